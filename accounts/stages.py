"""The sign-in stages of accounts: credentials (with the lockout gate), login times, network,
and required actions. settings.SIGNIN_STAGES puts them in order; mfa adds the second factor.

Each stage that refuses writes the "signin.failed" audit event with its reason.
"""

from django.contrib.auth.hashers import make_password
from django.urls import reverse
from django.utils import timezone

from accounts.lockout import (
    address_failure_record,
    address_is_slowed,
    attempt_reserve,
    attempt_succeeded,
    failure_record,
    lock_state,
)
from accounts.login_times import login_allowed, login_times_text
from accounts.models import User
from accounts.passwords import password_is_expired
from accounts.profile import registration_phone_pending
from accounts.remote_access import remote_access_allowed
from accounts.signin import Passed, PendingSignIn, Refused, SignInStage, Step, signin_user
from practice.audit import audit_record
from practice.models import Practice
from practice.network import client_ip, in_networks

INVALID = "Invalid username or password."
LOCKED = (
    "Your account is locked after too many failed sign-in attempts. Ask your practice "
    "administrator to unlock it, or reset your password with “Forgot your password?”."
)
SLOWED = "Too many failed sign-in attempts from your network. Wait 15 minutes, then try again."
TEMPORARY_EXPIRED = (
    "Your temporary password has expired. Ask your practice administrator for a new one."
)
REMOTE_NOT_ENABLED = (
    "Remote access is not enabled for your account. Ask your practice administrator."
)


def refusal(request, pending: PendingSignIn, *, reason: str, message: str, user=None) -> Refused:
    """Audit a refused sign-in and say so. The attempted username is kept, cleaned, for the log."""
    practice = user.practice if user else Practice.objects.filter(pk=pending.practice_id).first()
    details = {"reason": reason}
    if user is None:
        details["username"] = "".join(ch for ch in pending.username if ch.isprintable())[:150]
    audit_record(
        action="signin.failed", target=user, practice=practice, request=request, details=details
    )
    return Refused(message=message, code=reason)


def office_networks(request, practice: Practice | None) -> list[str]:
    """The practice's office networks, read once per request."""
    if practice is None:
        return []
    cached = getattr(request, "_office_networks", None)
    if cached is None or cached[0] != practice.pk:
        cidrs = list(practice.office_networks.values_list("cidr", flat=True))
        request._office_networks = cached = (practice.pk, cidrs)
    return cached[1]


class CredentialsStage(SignInStage):
    """Practice + username (any case) + password, behind the lockout gate.

    The lockout gate sits before the password check on purpose: a locked account's password is
    never checked, and each check is counted before it runs (lockout.attempt_reserve).
    """

    key = "credentials"

    def run(self, request, pending, credentials):
        if credentials is None:
            # Only the first request of a sign-in carries the password.
            return Refused(message=INVALID, code="no_credentials")
        practice: Practice | None = credentials["practice"]
        password: str = credentials["password"]
        networks = office_networks(request, practice)
        if address_is_slowed(request=request, office_networks=networks):
            return refusal(request, pending, reason="address_slowed", message=SLOWED)

        user = None
        if practice is not None or credentials.get("staff"):
            user = (
                User.objects.select_related("practice")
                .filter(practice=practice, username__iexact=pending.username)
                .first()
            )
        if user is None:
            # Run the hasher anyway so the response time does not tell who (or which practice)
            # exists.
            make_password(password)
            address_failure_record(request=request, office_networks=networks)
            return refusal(request, pending, reason="unknown_user", message=INVALID)

        if lock_state(user=user, request=request):
            return refusal(request, pending, reason="locked", message=LOCKED, user=user)
        if not attempt_reserve(user=user):
            # At the threshold without a lock (the threshold was lowered): lock now.
            failure_record(user=user, request=request, reason="threshold", reserved=True)
            return Refused(message=LOCKED, code="locked")

        if not user.check_password(password):
            address_failure_record(request=request, office_networks=networks)
            locked = failure_record(
                user=user, request=request, reason="wrong_password", reserved=True
            )
            return Refused(message=LOCKED if locked else INVALID, code="wrong_password")

        attempt_succeeded(user=user)
        if not user.is_active:
            return refusal(request, pending, reason="inactive", message=INVALID, user=user)
        if (
            user.must_change_password
            and user.temporary_password_expires_at is not None
            and user.temporary_password_expires_at <= timezone.now()
        ):
            return refusal(
                request,
                pending,
                reason="temporary_password_expired",
                message=TEMPORARY_EXPIRED,
                user=user,
            )
        pending.user_id = user.pk
        request._signin_user = user
        return Passed()


class LoginTimesStage(SignInStage):
    key = "login_times"

    def run(self, request, pending, credentials):
        user = signin_user(request, pending)
        if login_allowed(user):
            return Passed()
        message = (
            f"Sign-in is not allowed at this time. You may sign in {login_times_text(user)} "
            f"({user.practice.time_zone.replace('_', ' ')} time)."
        )
        return refusal(request, pending, reason="login_times", message=message, user=user)


class NetworkStage(SignInStage):
    """Office or remote: inside an office network, or anywhere else (needs the grant)."""

    key = "network"

    def run(self, request, pending, credentials):
        user = signin_user(request, pending)
        office = in_networks(client_ip(request), office_networks(request, user.practice))
        pending.zone = "office" if office else "remote"
        # Support staff belong to no practice and always sign in remotely, with a second factor.
        if office or user.practice_id is None or remote_access_allowed(user, request=request):
            return Passed()
        return refusal(
            request, pending, reason="remote_access", message=REMOTE_NOT_ENABLED, user=user
        )


class RequiredActionsStage(SignInStage):
    """Before the session is complete: a temporary or expired password is changed, and an
    invited user's phone is verified when the practice asks for it."""

    key = "required_actions"

    def run(self, request, pending, credentials):
        user = signin_user(request, pending)
        if user.must_change_password or password_is_expired(user):
            return Step(url=reverse("accounts:signin_password"))
        if registration_phone_pending(user):
            return Step(url=reverse("accounts:signin_phone"))
        return Passed()
