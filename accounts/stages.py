"""The sign-in stages of accounts: credentials (with the lockout gate), login times, network,
and required actions. settings.SIGNIN_STAGES puts them in order; mfa adds the second factor.

Each stage that refuses writes the "signin.failed" audit event with its reason.
"""

from django.contrib.auth.hashers import make_password
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from accounts.access_end import access_end_carry_out, access_end_message, access_has_ended
from accounts.dormancy import dormant_deactivate, is_dormant
from accounts.emergency import emergency_or_refuse
from accounts.lockout import (
    address_failure_record,
    address_is_slowed,
    attempt_reserve,
    failure_record,
    lock_refresh,
    unknown_name_failure_record,
    unknown_name_locked,
)
from accounts.login_times import login_allowed, login_times_refusal
from accounts.models import User
from accounts.passwords import password_is_expired
from accounts.profile import registration_phone_pending
from accounts.remote_access import remote_access_allowed
from accounts.setup_access import setup_access_allowed, setup_access_record
from accounts.signin import (
    INVALID,
    SETUP_ACCESS_STATE,
    Passed,
    Refused,
    SignIn,
    SignInStage,
    Step,
    signin_refusal,
)
from accounts.zones import address_zone
from practice.models import Practice
from practice.network import client_ip
from practice.vocabulary import SignInFailure, Zone

# SECURITY: the same words for an account locked by failed attempts, one an administrator
# locked, and a name that matches nobody answered as locked (accounts.lockout): saying which
# would tell a stranger that the name exists. The attempt that reaches the threshold is the
# one that knows why, and says so (a name that matches nobody says it at the same attempt).
LOCKED = (
    "Your account is locked. Ask your practice administrator to unlock it, or reset your "
    "password with “Forgot your password?”: a completed reset unlocks it."
)
LOCKED_NOW = (
    "Your account is now locked after too many failed sign-in attempts. Ask your practice "
    "administrator to unlock it, or reset your password with “Forgot your password?”: a "
    "completed reset unlocks it."
)
SLOWED = "Too many failed sign-in attempts from your network. Wait 15 minutes, then try again."
TEMPORARY_EXPIRED = (
    "Your temporary password has expired. Ask your practice administrator for a new one."
)
REMOTE_NOT_ENABLED = (
    "Remote access is not enabled for your account. Ask your practice administrator."
)


def office_networks(practice: Practice | None) -> list[str]:
    """The practice's office networks, from its own row (Practice.office_cidrs, the copy the
    network services keep): no query."""
    return practice.office_cidrs if practice is not None else []


def user_named(practice: Practice | None, username: str) -> User | None:
    """The user of `practice` (None: support staff) named `username` in any case, with their
    role (where the sign-in lands depends on its permissions) and the practice already read.

    One indexed lookup on every sign-in: get(), not first(), so no ORDER BY (a username is
    unique in its practice), and no join to the practice the caller already holds.
    """
    try:
        user = (
            User.objects.select_related("practice_role")
            .with_username(username)
            .get(practice=practice)
        )
    except User.DoesNotExist:
        return None
    user.practice = practice
    return user


class CredentialsStage(SignInStage):
    """Practice + username (any case) + password, behind the lockout gate.

    The lockout gate sits before the password check on purpose: a locked account's password is
    never checked, and each check is counted before it runs (lockout.attempt_reserve).
    """

    key = "credentials"

    # SECURITY: an error report (a DEBUG page, mail to ADMINS) never shows the password, nor the
    # username, which may be a password typed into the wrong box.
    @sensitive_variables("username", "password", "credentials")
    def run(self, signin: SignIn, credentials):
        if credentials is None:
            # Only the first request of a sign-in carries the password.
            return Refused(message=INVALID, code="no_credentials")
        request = signin.request
        practice: Practice | None = credentials["practice"]
        password: str = credentials["password"]
        networks = office_networks(practice)
        username = signin.pending.username
        user = None
        if practice is not None or credentials.get("staff"):
            user = user_named(practice, username)
        if address_is_slowed(request=request, office_networks=networks):
            return signin_refusal(
                signin, reason=SignInFailure.ADDRESS_SLOWED, message=SLOWED, user=user
            )

        if user is None:
            # SECURITY: run the hasher anyway so the response time does not tell who (or which
            # practice) exists; and count the failure as an account's would be, so the answer
            # turns to "locked" at the same attempt (accounts.lockout, names that match nobody).
            make_password(password)
            address_failure_record(request=request, office_networks=networks)
            if unknown_name_locked(practice=practice, username=username):
                message = LOCKED
            elif unknown_name_failure_record(practice=practice, username=username):
                message = LOCKED_NOW
            else:
                message = INVALID
            return signin_refusal(signin, reason=SignInFailure.UNKNOWN_USER, message=message)

        if lock_refresh(user=user, request=request):
            # SECURITY: the same hashing work as a wrong password, so a locked account cannot
            # be told apart by how fast the answer comes; its password is still never checked.
            # It counts against this address as any failed sign-in does (a name that matches
            # nobody does too, "locked" or not).
            make_password(password)
            address_failure_record(request=request, office_networks=networks)
            return signin_refusal(signin, reason=SignInFailure.LOCKED, message=LOCKED, user=user)
        if not attempt_reserve(user=user):
            # At the threshold without a lock (the threshold was lowered): lock now.
            make_password(password)
            address_failure_record(request=request, office_networks=networks)
            failure_record(
                user=user, request=request, reason=SignInFailure.THRESHOLD, reserved=True
            )
            return Refused(message=LOCKED_NOW, code=SignInFailure.LOCKED)

        if not user.check_password(password):
            address_failure_record(request=request, office_networks=networks)
            locked = failure_record(
                user=user, request=request, reason=SignInFailure.WRONG_PASSWORD, reserved=True
            )
            return Refused(
                message=LOCKED_NOW if locked else INVALID, code=SignInFailure.WRONG_PASSWORD
            )

        # The password was right: the reserved attempt does not count (given back at the end of
        # the request). Earlier failures (wrong second-factor codes) stay counted until a
        # sign-in completes.
        signin.attempt_to_refund = user
        if not user.is_active:
            return signin_refusal(signin, reason=SignInFailure.INACTIVE, message=INVALID, user=user)
        if access_has_ended(user):
            access_end_carry_out(user=user, request=request)
            return signin_refusal(
                signin,
                reason=SignInFailure.ACCESS_ENDED,
                message=access_end_message(user),
                user=user,
            )
        if is_dormant(user) and dormant_deactivate(user=user, request=request):
            days = user.practice.dormant_after_days
            return signin_refusal(
                signin,
                reason=SignInFailure.DORMANT,
                message=f"Your account was deactivated after {days} days without sign-in. "
                "Ask your practice administrator.",
                user=user,
            )
        if (
            user.must_change_password
            and user.temporary_password_expires_at is not None
            and user.temporary_password_expires_at <= timezone.now()
        ):
            return signin_refusal(
                signin,
                reason=SignInFailure.TEMPORARY_PASSWORD_EXPIRED,
                message=TEMPORARY_EXPIRED,
                user=user,
            )
        signin.identify(user)
        return Passed()


class LoginTimesStage(SignInStage):
    key = "login_times"

    def run(self, signin: SignIn, credentials):
        user = signin.user
        if login_allowed(user):
            return Passed()
        message = login_times_refusal(user)
        return emergency_or_refuse(
            signin, stage=self.key, reason=SignInFailure.LOGIN_TIMES, message=message
        )


class NetworkStage(SignInStage):
    """Office or remote: inside an office network, or anywhere else (needs the grant, or, for the
    first administrator of a practice without an office network, accounts.setup_access)."""

    key = "network"

    def run(self, signin: SignIn, credentials):
        user, request = signin.user, signin.request
        signin.pending.zone = address_zone(user.practice, client_ip(request))
        office = signin.pending.zone == Zone.OFFICE
        # Support staff belong to no practice and always sign in remotely, with a second factor.
        if office or user.practice_id is None or remote_access_allowed(user, request=request):
            return Passed()
        if setup_access_allowed(user):
            # The first administrator of a practice without an office network: let in to set
            # it up, audited; the second factor is still asked (a remote sign-in's rule).
            signin.state[SETUP_ACCESS_STATE] = True
            setup_access_record(user=user, request=request)
            return Passed()
        return emergency_or_refuse(
            signin, stage=self.key, reason=SignInFailure.REMOTE_ACCESS, message=REMOTE_NOT_ENABLED
        )


class RequiredActionsStage(SignInStage):
    """Before the session is complete: a temporary or expired password is changed, and an
    invited user's phone is verified when the practice asks for it."""

    key = "required_actions"

    def run(self, signin: SignIn, credentials):
        user = signin.user
        if user.must_change_password or password_is_expired(user, policy=signin.policy):
            return Step(url=reverse("accounts:signin_password"))
        if registration_phone_pending(user):
            return Step(url=reverse("accounts:signin_phone"))
        return Passed()
