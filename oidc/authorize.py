"""The authorize endpoint, `/o/authorize/`: where an application of the practice sends a browser
to sign in, and where PracticeGate's rules decide.

- The request is checked first (django-oauth-toolkit and oauthlib: a known, switched-on client,
  a redirect URI registered exactly, the code flow, PKCE for a public client). A bad one never
  sends the browser anywhere but an error page here.
- Not signed in: the practice's own sign-in page (`/p/<code>/login/`), which comes back here
  afterwards (its `next`). The whole sign-in applies: lockout, login times, the network rule,
  the second factor, required actions.
- Signed in: the rule of oidc.signins (the gateway's, plus the application's practice and its
  "Always ask for a second factor"). A second factor missing: sign in again with one. Any other
  refusal: PracticeGate's refusal page says why, and its button takes the browser back to the
  application with `error=access_denied`. `prompt=none` never shows a page: the application
  hears `login_required` or `access_denied` at once.
- `prompt=login` and `max_age`: sign in again first, unless this session signed in since.
- Allowed: the sign-in is recorded and audited, and the code goes to the application.

The session guard runs before any of this: a session that may not go on (locked, deactivated,
ended, outside login times, remote without the grant) is ended there, and
`session_ended_answer` answers for this endpoint with the same refusal page.
"""

import time
from functools import cache
from urllib.parse import urlencode

from django.core import signing
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.http import OAuth2ResponseRedirect
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views.mixins import OAuthLibMixin
from oauthlib.oauth2.rfc6749 import errors
from oauthlib.openid.connect.core.exceptions import LoginRequired

from accounts.pending import second_factor_demand
from accounts.sessions import AUTH_SESSION_KEY
from accounts.views.gateway import REFUSALS, Refusal
from oidc.models import Application
from oidc.signins import (
    application_refusal_record,
    application_signin_record,
    signin_refusal,
)
from practice.vocabulary import ApplicationRefusal, GatewayRefusal
from practice.vocabulary import SessionEndReason as End

# The sign-in this request asks for must be newer than this (prompt=login, max_age): a signed
# timestamp in the address the sign-in page comes back to.
SIGNED_IN_AFTER = "pg_signed_in_after"
SIGNED_IN_AFTER_SALT = "oidc.authorize.signed-in-after"

# Why the session guard ended the session, as the application's refusal.
REFUSAL_FOR_END = {
    End.LOCKED: ApplicationRefusal.LOCKED,
    End.DEACTIVATED: ApplicationRefusal.INACTIVE,
    End.OFFBOARDED: ApplicationRefusal.INACTIVE,
    End.ACCESS_ENDED: ApplicationRefusal.ACCESS_ENDED,
    End.LOGIN_TIMES: ApplicationRefusal.LOGIN_TIMES,
    End.REMOTE_ACCESS: ApplicationRefusal.REMOTE_ACCESS,
    # An office session used from outside (accounts.zones) ends there: the application hears
    # what the rule refused.
    End.OUTSIDE_OFFICE: ApplicationRefusal.REMOTE_ACCESS,
    End.OUTSIDE_WITHOUT_SECOND_FACTOR: ApplicationRefusal.SECOND_FACTOR,
}

# The refusal page's words: the gateway's where the reason is the same.
WORDS = {
    **{
        ApplicationRefusal(reason.value): REFUSALS[reason]
        for reason in (
            GatewayRefusal.REMOTE_ACCESS,
            GatewayRefusal.LOGIN_TIMES,
            GatewayRefusal.LOCKED,
            GatewayRefusal.INACTIVE,
            GatewayRefusal.SECOND_FACTOR,
        )
    },
    ApplicationRefusal.OTHER_PRACTICE: Refusal(
        "This application belongs to another practice",
        "You are signed in to PracticeGate as a user of %(practice)s, and this application "
        "admits only the users of %(owner)s.",
        "Sign in as a user of %(owner)s, if you are one, or go back to the application.",
    ),
    ApplicationRefusal.ACCESS_ENDED: Refusal(
        "Your access has ended",
        "Your access to %(practice)s ended on the date your practice administrator set.",
        "Ask your practice administrator if you still need it.",
    ),
}


@cache
def authorize_path() -> str:
    return reverse("oauth2_provider:authorize")


def error_url(credentials: dict, error: errors.OAuth2Error) -> str:
    """The application's redirect URI with the error (the request was checked: the URI is one
    the application registered), its `state`, and the issuer (RFC 9207)."""
    uri = credentials["redirect_uri"]
    params = [*error.twotuples, ("iss", oauth2_settings.OIDC_ISS_ENDPOINT)]
    return f"{uri}{'&' if '?' in uri else '?'}{urlencode(params)}"


def error_redirect(credentials: dict, error: errors.OAuth2Error) -> OAuth2ResponseRedirect:
    return OAuth2ResponseRedirect(
        error_url(credentials, error), oauth2_settings.ALLOWED_REDIRECT_URI_SCHEMES
    )


def refusal_page(request, application: Application, credentials: dict, reason):
    """PracticeGate's refusal page: why, what to do, and the way back to the application with
    `error=access_denied` (or, with prompt=none, that redirect at once)."""
    reason = ApplicationRefusal(reason)
    denied = errors.AccessDeniedError(state=credentials.get("state"), description=reason.label)
    if "none" in _prompt(request):
        return error_redirect(credentials, denied)
    request.practice = application.practice
    user = request.user if request.user.is_authenticated else None
    own = user.practice.name if user is not None and user.practice_id else "your practice"
    names = {"practice": own, "owner": application.practice.name}
    if reason != ApplicationRefusal.OTHER_PRACTICE:
        names["practice"] = application.practice.name
    words = WORDS[reason]
    context = {
        "reason": reason,
        "title": words.title,
        "why": words.why % names,
        "what_next": words.what_next % names,
        "application": application,
        "back_url": error_url(credentials, denied),
        "signin_url": _signin_url(request, application)
        if reason == ApplicationRefusal.OTHER_PRACTICE
        else "",
    }
    return render(request, "oidc/refused.html", context, status=403)


def _prompt(request) -> set[str]:
    return set(request.GET.get("prompt", "").split())


def _signin_url(request, application: Application, *, fresh: bool = False) -> str:
    """The practice's sign-in page, coming back to this request; with `fresh`, it comes back
    only satisfied by a sign-in made after now."""
    query = request.GET.copy()
    if fresh:
        prompt = _prompt(request) - {"login"}
        query.pop("prompt", None)
        if prompt:
            query["prompt"] = " ".join(sorted(prompt))
        query[SIGNED_IN_AFTER] = signing.dumps(time.time(), salt=SIGNED_IN_AFTER_SALT)
    back = f"{request.path}?{query.urlencode()}"
    login = reverse("accounts:practice_login", kwargs={"code": application.practice.code})
    return f"{login}?{urlencode({'next': back})}"


def _signed_in_after(request) -> float | None:
    value = request.GET.get(SIGNED_IN_AFTER)
    if not value:
        return None
    try:
        return float(signing.loads(value, salt=SIGNED_IN_AFTER_SALT, max_age=24 * 3600))
    except (signing.BadSignature, TypeError, ValueError):
        # Altered or old: as if the sign-in had to be newer than now.
        return time.time()


def _sign_in_again(request) -> bool:
    """prompt=login or max_age ask for a sign-in newer than this session's."""
    signed_in_at = (request.session.get(AUTH_SESSION_KEY) or {}).get("at", 0)
    after = _signed_in_after(request)
    if after is not None:
        # Sent to sign in already: satisfied by a sign-in made since.
        return signed_in_at < after
    if "login" in _prompt(request):
        return True
    max_age = request.GET.get("max_age", "")
    return max_age.isdigit() and time.time() - signed_in_at > int(max_age)


@method_decorator(never_cache, name="dispatch")
@method_decorator(csrf_exempt, name="dispatch")
class AuthorizeView(OAuthLibMixin, View):
    http_method_names = ["get", "post"]

    def post(self, request):
        # OpenID Connect Core 3.1.2.1: the endpoint takes POST too. It changes nothing; it is
        # answered as the GET it stands for (a 303, so the browser asks with GET).
        response = HttpResponseRedirect(f"{request.path}?{request.POST.urlencode()}")
        response.status_code = 303
        return response

    def get(self, request):
        try:
            scopes, credentials = self.validate_authorization_request(request)
        except OAuthToolkitError as error:
            return self.invalid(request, error)
        application = Application.objects.select_related("practice").get(
            client_id=credentials["client_id"]
        )
        if "openid" not in scopes:
            return error_redirect(
                credentials,
                errors.InvalidScopeError(
                    state=credentials.get("state"), description="The openid scope is required."
                ),
            )
        # SECURITY: PKCE's "plain" method gives the code away with the challenge; S256 only.
        if (
            credentials.get("code_challenge")
            and (credentials.get("code_challenge_method") or "plain") != "S256"
        ):
            return error_redirect(
                credentials,
                errors.InvalidRequestError(
                    state=credentials.get("state"),
                    description="The code_challenge_method must be S256.",
                ),
            )
        prompt = _prompt(request)
        user = request.user
        login_required = LoginRequired(state=credentials.get("state"))
        if not user.is_authenticated:
            if "none" in prompt:
                return error_redirect(credentials, login_required)
            if application.always_second_factor:
                second_factor_demand(request)
            return redirect(_signin_url(request, application))
        if _sign_in_again(request):
            if "none" in prompt:
                return error_redirect(credentials, login_required)
            return redirect(_signin_url(request, application, fresh=True))
        refusal = signin_refusal(request, user, application)
        if refusal == ApplicationRefusal.SECOND_FACTOR:
            # Signed in without one: sign in again, asked for it this time.
            if "none" in prompt:
                return error_redirect(credentials, login_required)
            second_factor_demand(request)
            return redirect(_signin_url(request, application))
        if refusal is not None:
            application_refusal_record(
                user=user, application=application, reason=refusal, request=request
            )
            return refusal_page(request, application, credentials, refusal)
        return self.issue(request, application, scopes, credentials)

    def issue(self, request, application, scopes, credentials):
        """Record the sign-in and send the code, in one transaction: no code without its
        record, no record without its code."""
        with transaction.atomic():
            signin = application_signin_record(
                user=request.user, application=application, request=request
            )
            credentials["application_signin_id"] = signin.pk
            try:
                uri, _headers, _body, _status = self.create_authorization_response(
                    request=request, scopes=" ".join(scopes), credentials=credentials, allow=True
                )
            except OAuthToolkitError as error:
                transaction.set_rollback(True)
                return self.invalid(request, error)
        if request.headers.get("Sec-Fetch-Site") == "same-origin":
            # The browser comes from one of our own pages, straight after the sign-in's form
            # (the password, the code): our Content-Security-Policy's form-action 'self' holds
            # for that form's whole chain of redirects, and the browser would refuse the last
            # one, to the application. A page of ours sends it on instead, as a navigation of
            # its own (an instant refresh, and a link for whoever has refreshes turned off).
            context = {"application": application, "url": uri}
            return render(request, "oidc/continue.html", context)
        return OAuth2ResponseRedirect(uri, application.get_allowed_schemes())

    def invalid(self, request, error: OAuthToolkitError):
        """A request that names no usable client or redirect URI is answered here, never sent
        on (an open redirect); any other error goes back to the application."""
        redirect_allowed, answer = self.error_response(error)
        if redirect_allowed:
            return OAuth2ResponseRedirect(
                answer["url"], oauth2_settings.ALLOWED_REDIRECT_URI_SCHEMES
            )
        context = {"error": answer["error"]}
        return render(request, "oidc/invalid_request.html", context, status=400)


def session_ended_answer(request, user, reason):
    """settings.SESSION_ENDED_ANSWERS: the session guard has just ended this browser's session
    on the authorize endpoint. When the reason is one the application must hear of (not a
    session that merely timed out, which signs in again as usual), the refusal page."""
    refusal = REFUSAL_FOR_END.get(reason)
    if refusal is None or user is None or request.path != authorize_path():
        return None
    try:
        _scopes, credentials = AuthorizeView().validate_authorization_request(request)
    except OAuthToolkitError:
        return None
    application = Application.objects.select_related("practice").get(
        client_id=credentials["client_id"]
    )
    application_refusal_record(user=user, application=application, reason=refusal, request=request)
    return refusal_page(request, application, credentials, refusal)
