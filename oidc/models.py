"""The practice's applications that sign in through PracticeGate (OpenID Connect), and what each
sign-in to one leaves behind.

django-oauth-toolkit keeps the codes and tokens (Grant, AccessToken, RefreshToken, IDToken);
its Application model is swapped for ours (settings.OAUTH2_PROVIDER_APPLICATION_MODEL), which
belongs to one practice. The rest is ours: the user's opaque subject identifier, each sign-in
to an application (the session it came from, the factors it used, the tokens it was exchanged
for), and the back-channel logout tokens still to deliver.
"""

import uuid

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from oauth2_provider.models import AbstractApplication, ApplicationManager
from oauth2_provider.settings import oauth2_settings

from accounts.models import User, UserSession
from practice.models import Practice


class Application(AbstractApplication):
    """An application of one practice: only that practice's users sign in to it, through its
    sign-in page, under its rules. Registered by the practice's administrators (no consent
    page: `skip_authorization` is always on); authorization code flow only, RS256 ID tokens."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="applications")
    backchannel_logout_uri = models.CharField("back-channel logout URI", max_length=500, blank=True)
    always_second_factor = models.BooleanField(
        "always ask for a second factor",
        default=False,
        help_text="Even inside an office network, where the practice may not ask for one.",
    )
    is_active = models.BooleanField("on", default=True)

    objects = ApplicationManager()

    class Meta(AbstractApplication.Meta):
        constraints = [
            models.UniqueConstraint(
                "practice", Lower("name"), name="application_name_unique_in_practice"
            ),
            # SECURITY: the code flow with RS256 ID tokens, and nothing else, whatever writes
            # the row (no implicit, hybrid, password or client credentials grant; no HS256 with
            # the client secret as the signing key).
            models.CheckConstraint(
                condition=Q(authorization_grant_type=AbstractApplication.GRANT_AUTHORIZATION_CODE)
                & Q(algorithm=AbstractApplication.RS256_ALGORITHM)
                & Q(skip_authorization=True)
                & Q(
                    client_type__in=[
                        AbstractApplication.CLIENT_CONFIDENTIAL,
                        AbstractApplication.CLIENT_PUBLIC,
                    ]
                ),
                name="application_code_flow_only",
            ),
        ]

    def __str__(self):
        return self.name or self.client_id

    def natural_key(self):
        return (self.client_id,)

    @property
    def is_public(self) -> bool:
        return self.client_type == AbstractApplication.CLIENT_PUBLIC

    def redirect_uri_allowed(self, uri: str) -> bool:
        # SECURITY: exactly one of the registered URIs, character for character (OpenID
        # Connect Core 3.1.2.1, RFC 9700 2.1): django-oauth-toolkit would take any port on a
        # loopback address (RFC 8252, for native apps); our applications are web applications.
        return uri in self.redirect_uris.split()

    def post_logout_redirect_uri_allowed(self, uri: str) -> bool:
        return uri in self.post_logout_redirect_uris.split()

    def is_usable(self, request) -> bool:
        """An application switched off issues nothing, and its tokens are refused."""
        return self.is_active


class Subject(models.Model):
    """The user's `sub` claim: stable and opaque, never the username (which a practice may
    reuse) nor the row's sequence number (which counts the practice's users)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="oidc_subject")
    sub = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)

    def __str__(self):
        return str(self.sub)


class ApplicationSignIn(models.Model):
    """One sign-in of a user to an application through PracticeGate: the code issued by the
    authorize endpoint, then the tokens it was exchanged for (one refresh token family).

    It remembers the PracticeGate session it came from (so that session's end ends it), the zone
    and factors of that session (for the rules checked again at each refresh and userinfo call,
    and the `amr` claim), and the `sid` the application was told.
    """

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="signins")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="application_signins")
    session = models.ForeignKey(
        UserSession,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="application_signins",
    )
    # The `sid` claim: the PracticeGate session, opaque (never its session key).
    sid = models.CharField(max_length=64)
    zone = models.CharField(max_length=10)
    amr = models.JSONField(default=list)
    emergency = models.BooleanField(default=False)
    # When the PracticeGate session signed in (the ID token's auth_time).
    auth_time = models.DateTimeField()
    grant = models.OneToOneField(
        oauth2_settings.GRANT_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="application_signin",
    )
    token_family = models.UUIDField(null=True, blank=True, unique=True)
    created_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "ended_at"], name="application_signin_active"),
        ]

    def __str__(self):
        return f"{self.user} to {self.application} at {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def second_factor(self) -> bool:
        return len(self.amr) > 1


class LogoutDelivery(models.Model):
    """A back-channel logout token owed to an application (OpenID Back-Channel Logout 1.0),
    from the moment a sign-in to it ends until the application has it or we give up. The token
    itself is made at each attempt (fresh `iat`, `exp` and `jti`) and never stored."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="logout_deliveries"
    )
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    sid = models.CharField(max_length=64)
    reason = models.CharField(max_length=40)
    created_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    given_up_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["next_attempt_at"], name="logout_delivery_due"),
        ]

    def __str__(self):
        return f"Logout of {self.user} to {self.application}"
