"""RP-initiated logout (`end_session_endpoint`, /o/logout/): an application signs the user out
of PracticeGate too (OpenID Connect RP-Initiated Logout 1.0).

django-oauth-toolkit checks the request (the ID token hint, the client, the registered
post-logout redirect URI) and asks the user to confirm when the hint is not this browser's own
user. Signing out is ours: the application's own sign-in ends (it knows: no logout token to
it), then this browser's PracticeGate session ends through the one service every sign-out goes
through, and with it every other application signed in through that session, each told over
its back-channel.
"""

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.shortcuts import redirect
from oauth2_provider.http import OAuth2ResponseRedirect
from oauth2_provider.views.oidc import RPInitiatedLogoutView, _load_id_token
from oauthlib.common import add_params_to_uri

from accounts.middleware import login_path_for
from accounts.sessions import session_end_current
from oidc.endings import signins_end
from oidc.models import ApplicationSignIn
from oidc.signins import session_id_of
from practice.vocabulary import SessionEndReason


class LogoutView(RPInitiatedLogoutView):
    template_name = "oidc/logout_confirm.html"

    def validate_logout_request_user(self, id_token_hint, client_id):
        id_token = super().validate_logout_request_user(id_token_hint, client_id)
        # The session the application names (the hint's `sid`), when it names one.
        self.hint_sid = ""
        if id_token is not None:
            _token, claims = _load_id_token(id_token_hint)
            self.hint_sid = (claims or {}).get("sid", "")
        return id_token

    def do_logout(
        self, application=None, post_logout_redirect_uri=None, state=None, token_user=None
    ):
        request = self.request
        user = token_user or request.user
        with transaction.atomic():
            if application is not None and not isinstance(user, AnonymousUser):
                signins = ApplicationSignIn.objects.filter(user=user, application=application)
                session = session_id_of(request) if request.user == user else None
                sid = getattr(self, "hint_sid", "")
                if sid:
                    signins = signins.filter(sid=sid)
                elif session is not None:
                    signins = signins.filter(session=session)
                signins_end(signins=signins, reason=SessionEndReason.SIGNED_OUT, tell=False)
            if request.user.is_authenticated:
                login_path = login_path_for(request.user)
                session_end_current(request, reason=SessionEndReason.SIGNED_OUT, actor=request.user)
            else:
                login_path = login_path_for(None)
        if post_logout_redirect_uri:
            if state:
                post_logout_redirect_uri = add_params_to_uri(
                    post_logout_redirect_uri, [("state", state)]
                )
            return OAuth2ResponseRedirect(
                post_logout_redirect_uri, application.get_allowed_schemes()
            )
        return redirect(login_path)
