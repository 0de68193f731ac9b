"""The remote-access gateway: what `/auth/verify` tells a reverse proxy about each request to
the practice's own applications, and where a sign-in that began behind the proxy may send the
browser back to. docs/gateway.md shows the proxies' side.

The proxy asks `/auth/verify` on every request, with the browser's own cookie and the address
the browser asked for (`X-Original-URL` from nginx; `X-Forwarded-Proto`, `-Host` and `-Uri`
from Traefik and Caddy). The answer:

- 200 with `X-Auth-User`, `X-Auth-Practice`, `X-Auth-Zone`: let it through;
- 401, not signed in (or not as a user of the practice the application belongs to), with
  `X-Auth-Redirect`: the practice's sign-in page, which sends the browser back afterwards;
- 403, signed in but not allowed now, with `X-Auth-Reason` (a GatewayRefusal) and
  `X-Auth-Redirect`: the refusal page that says why and what to do.

With `?redirect=1` (Traefik's forwardAuth and Caddy's forward_auth hand the answer itself to
the browser) 401 and 403 are that redirect instead.

It costs the session and the user with their practice (two queries, no password hashing): the
session guard's checks read the user's row, the practice's office networks travel on the
practice's row, and which factor the sign-in passed is in the session's stamp.
"""

from datetime import datetime
from functools import cache
from urllib.parse import quote, urlencode, urlsplit

import django_otp.middleware
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.login_times import login_allowed
from accounts.models import User
from accounts.sessions import AUTH_SESSION_KEY
from accounts.zones import request_zone
from practice.network import client_ip
from practice.policy import effective_policy
from practice.vocabulary import GatewayRefusal, Zone
from practice.vocabulary import SessionEndReason as End

# The longest destination kept (an address bar holds more; a sign-in's `next` need not).
DESTINATION_MAX_LENGTH = 2000

# Why the session guard ended a session, as the gateway says it (X-Auth-Reason).
REFUSAL_FOR_END = {
    End.REMOTE_ACCESS: GatewayRefusal.REMOTE_ACCESS,
    End.OUTSIDE_OFFICE: GatewayRefusal.REMOTE_ACCESS,
    End.SETUP_ENDED: GatewayRefusal.REMOTE_ACCESS,
    End.OUTSIDE_WITHOUT_SECOND_FACTOR: GatewayRefusal.SECOND_FACTOR,
    End.LOGIN_TIMES: GatewayRefusal.LOGIN_TIMES,
    End.LOCKED: GatewayRefusal.LOCKED,
    End.DEACTIVATED: GatewayRefusal.INACTIVE,
}


@cache
def verify_path() -> str:
    return reverse("accounts:auth_verify")


class OTPMiddleware(django_otp.middleware.OTPMiddleware):
    """django-otp's middleware everywhere but on `/auth/verify`.

    The proxy asks `/auth/verify` on every request of every application behind it. The answer
    reads which factor the sign-in passed from the session's stamp, so loading the device there
    (django-otp's `request.user.otp_device`) would be a query per request for nothing.
    """

    async_capable = False

    def __call__(self, request):
        if request.path_info == verify_path():
            return self.get_response(request)
        return super().__call__(request)


# --- Hosts and destinations ------------------------------------------------------------------


def gateway_hosts() -> dict[str, str]:
    """GATEWAY_ALLOWED_HOSTS: host (with its port if any) -> practice code, "" for any."""
    return settings.GATEWAY_ALLOWED_HOSTS


def gateway_destination(url: str) -> str:
    """`url` when a gateway sign-in may send the browser there, else "".

    SECURITY: only an absolute https address (http too with DEBUG) on a host listed in
    GATEWAY_ALLOWED_HOSTS, exactly as written there: no user information (`https://evil@host`),
    no backslash, space or control character that browsers read differently from us, and
    Django's own check on top. Anything else would make the sign-in an open redirect.
    """
    if not url or len(url) > DESTINATION_MAX_LENGTH:
        return ""
    if "\\" in url or any(ch.isspace() or not ch.isprintable() for ch in url):
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    schemes = {"https", "http"} if settings.DEBUG else {"https"}
    if parts.scheme not in schemes or "@" in parts.netloc or parts.netloc not in gateway_hosts():
        return ""
    if not url.startswith(f"{parts.scheme}://{parts.netloc}"):
        return ""
    if not url_has_allowed_host_and_scheme(
        url, allowed_hosts=set(gateway_hosts()), require_https=not settings.DEBUG
    ):
        return ""
    return url


def destination_practice_code(destination: str) -> str:
    """The practice whose users alone the destination's host admits; "" for any practice."""
    try:
        netloc = urlsplit(destination).netloc.lower()
    except ValueError:
        return ""
    return gateway_hosts().get(netloc, "")


def original_url(request: HttpRequest) -> str:
    """The address the browser asked the proxy for, as the proxy tells it; "" if it does not.

    nginx sends it whole (`X-Original-URL`); Traefik and Caddy in parts. Only a destination
    that gateway_destination() accepts is ever used to send a browser somewhere.
    """
    meta = request.META
    url = meta.get("HTTP_X_ORIGINAL_URL", "")
    if not url and meta.get("HTTP_X_FORWARDED_HOST"):
        proto = meta.get("HTTP_X_FORWARDED_PROTO", "https").split(",")[0].strip()
        host = meta["HTTP_X_FORWARDED_HOST"].split(",")[0].strip()
        url = f"{proto}://{host}{meta.get('HTTP_X_FORWARDED_URI', '/')}"
    return url


def _public(path: str) -> str:
    # SECURITY: from SITE_URL, never from the request's Host header.
    return settings.SITE_URL.rstrip("/") + path


def signin_url(destination: str, *, practice_code: str = "") -> str:
    """The sign-in page for an application's address: the practice's own when the host names
    one (else `practice_code`'s), else `/login/`; with `next` when the address may be returned
    to."""
    code = destination_practice_code(destination) or practice_code
    if code:
        path = reverse("accounts:practice_login", kwargs={"code": code})
    else:
        path = reverse("accounts:login")
    if destination:
        path += "?" + urlencode({"next": destination})
    return _public(path)


def refused_url(reason: GatewayRefusal, practice_code: str = "") -> str:
    query = {"reason": reason.value}
    if practice_code:
        query["practice"] = practice_code
    return _public(reverse("accounts:gateway_refused") + "?" + urlencode(query))


# --- Who may pass, from where ------------------------------------------------------------------


def access_refusal(
    user: User,
    *,
    zone: str,
    second_factor: bool = True,
    emergency: bool = False,
    now: datetime | None = None,
) -> GatewayRefusal | None:
    """Why the gateway refuses `user` from `zone` now; None when it lets them through.

    `second_factor`: the sign-in passed one. An emergency session is let through outside the
    login times and without the remote-access grant, as the session guard lets it. The same
    answer for `/auth/verify` and for the console's "Through the gateway"; it reads only the
    user's and the practice's rows, and writes nothing.
    """
    now = now or timezone.now()
    if not user.is_active:
        return GatewayRefusal.INACTIVE
    # Pure reads: the session guard before this has written any auto-unlock or lapse.
    if user.locked_now(effective_policy(user), now):
        return GatewayRefusal.LOCKED
    if not emergency and not login_allowed(user, now):
        return GatewayRefusal.LOGIN_TIMES
    if zone == Zone.REMOTE and not emergency and not user.remote_access_live(now):
        return GatewayRefusal.REMOTE_ACCESS
    if not second_factor and effective_policy(user).second_factor_required(zone):
        return GatewayRefusal.SECOND_FACTOR
    return None


# --- The answers ----------------------------------------------------------------------------------


def _answer(status: int, *, location: str = "", redirect: bool = False) -> HttpResponse:
    if redirect and location:
        response = HttpResponse(status=302)
        response["Location"] = location
    else:
        response = HttpResponse(status=status)
        if location:
            response["X-Auth-Redirect"] = location
    # SECURITY: an answer about one browser's session, never kept by a cache on the way.
    add_never_cache_headers(response)
    patch_cache_control(response, no_store=True, private=True)
    return response


def _wants_redirect(request: HttpRequest) -> bool:
    return request.GET.get("redirect") == "1"


def not_signed_in(request: HttpRequest, destination: str) -> HttpResponse:
    """401: sign in first, at the sign-in page that sends the browser back (the practice's
    own: the application's, else that of the session this browser had, if it ended)."""
    practice_code = getattr(request, "ended_session_practice", "")
    location = signin_url(gateway_destination(destination), practice_code=practice_code)
    return _answer(401, location=location, redirect=_wants_redirect(request))


def refused(request: HttpRequest, reason: GatewayRefusal, practice_code: str = "") -> HttpResponse:
    """403: signed in, but not allowed now, and why."""
    response = _answer(
        403, location=refused_url(reason, practice_code), redirect=_wants_redirect(request)
    )
    response["X-Auth-Reason"] = reason.value
    return response


def session_ended(request: HttpRequest, user: User | None, reason: End) -> HttpResponse:
    """The session guard ended this session on `/auth/verify`: the proxy hears 403 and why."""
    code = user.practice.code if user is not None and user.practice_id is not None else ""
    return refused(request, REFUSAL_FOR_END.get(reason, GatewayRefusal.EXPIRED), code)


def _header(value: str) -> str:
    # SECURITY: header values are ASCII without line breaks whatever a stored name holds (names
    # made before the username alphabet, support staff's): anything else is percent-encoded.
    return quote(value, safe="@._-+")


def verify(request: HttpRequest) -> HttpResponse:
    """The answer to the proxy's auth request. SessionGuardMiddleware has run: a session that
    must end (idle, locked, deactivated, outside login times, from outside the office without
    the grant or a second factor...) was ended there with its 403, as it would have been on any
    page; what is left is signed in as far as the console is concerned."""
    destination = original_url(request)
    user = request.user
    host_practice = destination_practice_code(destination)
    # SECURITY: an application of one practice admits that practice's users only, and support
    # staff (who belong to none) no application: anyone else signs in as a user of it first.
    if (
        not user.is_authenticated
        or user.practice_id is None
        or (host_practice and host_practice != user.practice.code)
    ):
        return not_signed_in(request, destination)
    stamp = request.session.get(AUTH_SESSION_KEY) or {}
    # The guard has ended a session this request's zone does not allow (accounts.zones): what
    # is left to refuse here is a request, not the session.
    zone = request_zone(user, stamp, client_ip(request))
    refusal = access_refusal(
        user,
        zone=zone,
        second_factor=bool(stamp.get("second_factor")),
        emergency=bool(stamp.get("emergency")),
    )
    if refusal is not None:
        # The session itself may go on (a practice that now requires a second factor in the
        # office: signing in again asks for it): only this request is refused.
        return refused(request, refusal, user.practice.code)
    response = _answer(200)
    response["X-Auth-User"] = _header(user.username)
    response["X-Auth-Practice"] = _header(user.practice.code)
    response["X-Auth-Zone"] = Zone(zone).value
    return response


# --- Configuration ------------------------------------------------------------------------------


def hosts_without_the_cookie() -> list[str]:
    """Gateway hosts the browser would not send PracticeGate's session cookie to: their
    requests would reach `/auth/verify` without it and go round the sign-in page for ever."""
    domain = (settings.SESSION_COOKIE_DOMAIN or "").lower().lstrip(".")
    own_host = (urlsplit(settings.SITE_URL).hostname or "").lower()
    missing = []
    for netloc in gateway_hosts():
        host = urlsplit(f"//{netloc}").hostname or netloc
        # Cookies ignore ports: without a domain only PracticeGate's own host gets it.
        reached = (host == domain or host.endswith("." + domain)) if domain else host == own_host
        if not reached:
            missing.append(netloc)
    return missing
