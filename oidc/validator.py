"""django-oauth-toolkit's request validator, with PracticeGate's rules
(settings.OAUTH2_PROVIDER["OAUTH2_VALIDATOR_CLASS"]).

- PKCE (S256) is required of public clients (confidential ones may use it too);
- a code and its tokens belong to one sign-in (oidc.models.ApplicationSignIn): the claims say
  how that sign-in was made (`amr`, `auth_time`, `sid`);
- at each refresh and userinfo call the user must still be allowed now (the rule of
  oidc.signins, with the zone and factors of the sign-in), the sign-in and the PracticeGate
  session it came from must still be open, and no older than the session's absolute limit.
  A refresh that fails that ends the sign-in for everyone (oidc.endings).
"""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db.models import Q, Subquery
from django.utils import timezone
from oauth2_provider.models import RefreshToken, get_grant_model
from oauth2_provider.oauth2_validators import OAuth2Validator

from oidc.claims import CLAIM_SCOPES, user_claims
from oidc.endings import APPLICATION_OFF, signin_refused_at_refresh, signins_end
from oidc.models import ApplicationSignIn
from oidc.signins import refusal_for
from practice.vocabulary import SessionEndReason

SIGNIN_RELATED = (
    "application",
    "session",
    "user__practice",
    "user__practice_role",
    "user__oidc_subject",
)


def signin_stop_reason(signin: ApplicationSignIn | None, now=None) -> str | None:
    """Why the sign-in may not go on (a SessionEndReason or ApplicationRefusal value); None
    when it is open, its PracticeGate session too and within its absolute limit, and its user
    may use its application now."""
    now = now or timezone.now()
    if signin is None:
        return SessionEndReason.NOT_SIGNED_IN
    if signin.ended_at is not None:
        return signin.end_reason or SessionEndReason.SIGNED_OUT
    if not signin.application.is_active:
        return APPLICATION_OFF
    session = signin.session
    if session is None:
        return SessionEndReason.NOT_SIGNED_IN
    if session.ended_at is not None:
        return session.end_reason or SessionEndReason.SIGNED_OUT
    if now - session.created_at > timedelta(seconds=settings.SESSION_ABSOLUTE_SECONDS):
        return SessionEndReason.ABSOLUTE
    if session.emergency_until is not None and now >= session.emergency_until:
        return SessionEndReason.EMERGENCY_ENDED
    return refusal_for(
        signin.user,
        signin.application,
        zone=signin.zone,
        second_factor=signin.second_factor,
        emergency=signin.emergency,
        now=now,
    )


class PracticeValidator(OAuth2Validator):
    oidc_claim_scope = CLAIM_SCOPES

    # --- The authorization request ---------------------------------------------------------

    def is_pkce_required(self, client_id, request):
        # SECURITY: a public client has no secret; only PKCE binds its code to it.
        application = self._load_application(client_id, request)
        return application is None or application.is_public

    def validate_silent_login(self, request):
        # prompt=none: the authorize view answers login_required itself before asking.
        return True

    def validate_silent_authorization(self, request):
        # No consent page: the practice registered the application itself.
        return True

    def _create_authorization_code(self, request, code, expires=None):
        grant = super()._create_authorization_code(request, code, expires)
        # The sign-in this code is for (oidc.authorize passes it with the credentials).
        ApplicationSignIn.objects.filter(pk=request.application_signin_id).update(grant=grant)
        return grant

    # --- The token request -------------------------------------------------------------------

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        if not super().validate_code(client_id, code, client, request, *args, **kwargs):
            return False
        signin = (
            ApplicationSignIn.objects.select_related(*SIGNIN_RELATED)
            .filter(grant__in=get_grant_model().objects.filter(code=code, application=client))
            .first()
        )
        if signin_stop_reason(signin) is not None:
            return False
        request.user = signin.user
        request.application_signin = signin
        return True

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        if not super().validate_refresh_token(refresh_token, client, request, *args, **kwargs):
            return False
        family = request.refresh_token_instance.token_family
        signin = (
            ApplicationSignIn.objects.select_related(*SIGNIN_RELATED)
            .filter(token_family=family)
            .first()
            if family
            else None
        )
        stop = signin_stop_reason(signin)
        if stop is not None:
            if signin is not None and signin.ended_at is None:
                signin_refused_at_refresh(signin, stop)
            return False
        request.user = signin.user
        request.application_signin = signin
        return True

    def _create_refresh_token(self, request, refresh_token_code, access_token, previous):
        refresh_token = super()._create_refresh_token(
            request, refresh_token_code, access_token, previous
        )
        if previous is None:
            # The code's first tokens start a family: the sign-in's, for as long as it rotates.
            ApplicationSignIn.objects.filter(pk=request.application_signin.pk).update(
                token_family=refresh_token.token_family
            )
        return refresh_token

    def revoke_token(self, token, token_type_hint, request, *args, **kwargs):
        """The application revokes its token (RFC 7009; access and refresh tokens go together
        here): the sign-in they belong to ends, without a logout token to the application that
        asked."""
        checksum = hashlib.sha256(token.encode("utf-8")).hexdigest()
        families = list(
            RefreshToken.objects.filter(
                Q(token_checksum=checksum) | Q(access_token__token_checksum=checksum),
                application_id=getattr(request.client, "pk", None),
            ).values_list("token_family", flat=True)
        )
        super().revoke_token(token, token_type_hint, request, *args, **kwargs)
        signins_end(
            signins=ApplicationSignIn.objects.filter(token_family__in=families),
            reason=SessionEndReason.SIGNED_OUT,
            tell=False,
        )

    # --- Tokens used at userinfo ---------------------------------------------------------------

    def _load_access_token(self, token):
        access_token = super()._load_access_token(token)
        if access_token is None:
            return None
        # The sign-in the token came from, with everything the rule and the claims read.
        access_token.application_signin = (
            ApplicationSignIn.objects.select_related(*SIGNIN_RELATED)
            .filter(
                token_family=Subquery(
                    RefreshToken.objects.filter(access_token=access_token).values("token_family")[
                        :1
                    ]
                )
            )
            .first()
        )
        return access_token

    def validate_bearer_token(self, token, scopes, request):
        if not super().validate_bearer_token(token, scopes, request):
            return False
        signin = getattr(request.access_token, "application_signin", None)
        if signin_stop_reason(signin) is not None:
            request.oauth2_error = {"error": "invalid_token"}
            return False
        request.user = signin.user
        request.application_signin = signin
        return True

    # --- Claims ----------------------------------------------------------------------------

    def get_additional_claims(self, request):
        signin = request.application_signin
        return user_claims(signin.user, amr=signin.amr, scopes=request.scopes)

    def get_claim_dict(self, request):
        # Ours, whole: django-oauth-toolkit's `sub` would be the row's id.
        return self.get_additional_claims(request)

    def get_discovery_claims(self, request):
        return sorted(CLAIM_SCOPES)

    def get_id_token_dictionary(self, token, token_handler, request):
        claims, expiration_time = super().get_id_token_dictionary(token, token_handler, request)
        signin = request.application_signin
        # When the PracticeGate session signed in, not the user's last sign-in anywhere.
        claims["auth_time"] = int(signin.auth_time.timestamp())
        claims["sid"] = signin.sid
        return claims, expiration_time

    # Never used here (no ID token is taken as a bearer token), named so nobody wonders.
    def validate_jwt_bearer_token(self, token, scopes, request):
        return False
