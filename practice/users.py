"""A practice administrator's changes to the practice's users (the console's services).

Each function takes the acting user, runs in one transaction and leaves an audit event for every
change in that same transaction; the building blocks (locking, remote access, login windows,
passwords, invitations) are the services of `accounts`. Callers have already scoped `user` to
the actor's practice through practice.access.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.invitations import INVITATION_DAYS, invitation_create, invitation_path
from accounts.lockout import user_lock, user_unlock
from accounts.login_times import login_windows_set
from accounts.models import Role, TwoFactorSetup, User
from accounts.passwords import generate_password, temporary_password_set, validate_password
from accounts.remote_access import remote_access_grant, remote_access_revoke
from accounts.sessions import sessions_end
from accounts.users import user_create
from accounts.validators import normalize_phone
from practice.audit import audit_record
from practice.models import Provider
from practice.policy import effective_policy

logger = logging.getLogger(__name__)

# Why remote access was taken away, in the words the console shows (PCC: re-enabling a user or
# re-linking their usernames does not restore SecureConnect access).
REMOVED_DEACTIVATED = "deactivated"
REMOVED_PM_CLEARED = "pm_username_cleared"


def _refuse_self(user: User, actor: User, what: str) -> None:
    if actor is not None and user.pk == actor.pk:
        raise ValidationError(
            "You cannot %(what)s your own account here.", code="self", params={"what": what}
        )


def _locked_row(user: User) -> User:
    """Re-read the user under a row lock, so two administrators' saves apply one after the other."""
    fresh = (
        # Only the user's row: PostgreSQL cannot lock the nullable side of the provider join.
        User.objects.select_for_update(of=("self",))
        .select_related("practice", "provider")
        .prefetch_related("login_windows")
        .get(pk=user.pk)
    )
    return fresh


@transaction.atomic
def user_deactivate(*, user: User, actor: User, request=None) -> bool:
    """Deactivate: no sign-in, sessions end, remote access removed. True if access was removed.

    The remote-access grant goes for good: re-activating the user does not restore it.
    """
    _refuse_self(user, actor, "deactivate")
    if not user.is_active:
        return False
    had_remote_access = user.remote_access
    user.is_active = False
    user.save(update_fields=["is_active"])
    audit_record(action="user.deactivated", actor=actor, target=user, request=request)
    remote_access_revoke(user=user, actor=actor, request=request, reason=REMOVED_DEACTIVATED)
    sessions_end(user=user, reason="deactivated", actor=actor, request=request)
    return had_remote_access


@transaction.atomic
def user_activate(*, user: User, actor: User, request=None) -> None:
    """Allow the user to sign in again. Remote access stays off until granted again."""
    if user.is_active:
        return
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_record(action="user.activated", actor=actor, target=user, request=request)


@transaction.atomic
def pm_username_set(*, user: User, actor: User, pm_username: str, request=None) -> bool:
    """Link (or unlink) the practice management username. True if remote access was removed."""
    pm_username = pm_username.strip()
    if pm_username == user.pm_username:
        return False
    before = user.pm_username
    removed = False
    if not pm_username and user.remote_access:
        # Unlinking removes remote access first: the database refuses remote access without a
        # linked username, and re-linking later does not bring it back.
        remote_access_revoke(user=user, actor=actor, request=request, reason=REMOVED_PM_CLEARED)
        removed = True
    user.pm_username = pm_username
    user.save(update_fields=["pm_username"])
    audit_record(
        action="user.pm_username_changed",
        actor=actor,
        target=user,
        request=request,
        details={"before": before, "after": pm_username},
    )
    return removed


def _field_set(*, user, actor, request, field_name, value, action, self_what=None) -> None:
    before = getattr(user, field_name)
    if before == value:
        return
    if self_what:
        _refuse_self(user, actor, self_what)
    setattr(user, field_name, value)
    user.save(update_fields=[field_name])
    audit_record(
        action=action,
        actor=actor,
        target=user,
        request=request,
        details={"before": _plain(before), "after": _plain(value)},
    )


def _plain(value):
    if isinstance(value, Provider):
        return value.name
    return value


@dataclass
class UserChanges:
    """Everything the console's user page saves with its "Save" button."""

    active: bool
    pm_username: str
    remote_access: bool
    remote_access_until: datetime | None
    remote_access_reason: str
    locked: bool
    role: str
    two_factor_setup: str
    provider: Provider | None
    verify_phone_at_registration: bool
    login_times_restricted: bool
    windows: dict[int, tuple[time, time] | None]


@dataclass
class UserUpdateResult:
    remote_access_removed: str = ""  # REMOVED_* when this save took remote access away
    reactivated: bool = False
    notes: list[str] = field(default_factory=list)


@transaction.atomic
def user_update(*, user: User, actor: User, changes: UserChanges, request=None) -> UserUpdateResult:
    """Apply the user page in one transaction: any refusal leaves the user as it was."""
    user = _locked_row(user)
    if changes.provider is not None and changes.provider.practice_id != user.practice_id:
        # SECURITY: a provider id of another practice is refused, never linked.
        raise ValidationError({"provider": "Choose a provider of this practice."})
    if changes.role not in Role.values:
        raise ValidationError({"role": "Choose a role from the list."})
    if changes.two_factor_setup not in TwoFactorSetup.values:
        raise ValidationError({"two_factor_setup": "Choose a setup option from the list."})
    result = UserUpdateResult()

    # Order matters: deactivation and unlinking remove remote access before any grant below is
    # considered, so a save that does both ends with no remote access.
    if not changes.active and user.is_active:
        if user_deactivate(user=user, actor=actor, request=request):
            result.remote_access_removed = REMOVED_DEACTIVATED
    elif changes.active and not user.is_active:
        user_activate(user=user, actor=actor, request=request)
        result.reactivated = True
    if pm_username_set(user=user, actor=actor, pm_username=changes.pm_username, request=request):
        result.remote_access_removed = result.remote_access_removed or REMOVED_PM_CLEARED

    # A save that just took remote access away never grants it back, even if the checkbox was
    # still ticked: restoring it takes a later, deliberate save.
    wants_grant = changes.remote_access and not result.remote_access_removed
    if wants_grant and not user.pm_username:
        raise ValidationError(
            {
                "remote_access": ValidationError(
                    "Set the practice management username first.",
                    code="remote_access_needs_pm_username",
                )
            }
        )
    if wants_grant and not user.is_active:
        raise ValidationError(
            {"remote_access": "An inactive user cannot have remote access; make them active first."}
        )
    if wants_grant and (
        not user.remote_access
        or user.remote_access_until != changes.remote_access_until
        or user.remote_access_reason != changes.remote_access_reason
    ):
        if (
            changes.remote_access_until is not None
            and changes.remote_access_until <= timezone.now()
        ):
            raise ValidationError(
                {"remote_access_until": "Choose a date from today on, or leave it empty."}
            )
        remote_access_grant(
            user=user,
            actor=actor,
            until=changes.remote_access_until,
            reason=changes.remote_access_reason,
            request=request,
        )
    elif not changes.remote_access and user.remote_access:
        remote_access_revoke(user=user, actor=actor, request=request)

    if changes.locked and not user.is_locked:
        _refuse_self(user, actor, "lock")
        user_lock(user=user, actor=actor, request=request)
    elif not changes.locked and user.is_locked:
        user_unlock(user=user, actor=actor, request=request)

    _field_set(
        user=user,
        actor=actor,
        request=request,
        field_name="role",
        value=changes.role,
        action="user.role_changed",
        self_what="change the role of",
    )
    _field_set(
        user=user,
        actor=actor,
        request=request,
        field_name="two_factor_setup",
        value=changes.two_factor_setup,
        action="user.two_factor_setup_changed",
    )
    _field_set(
        user=user,
        actor=actor,
        request=request,
        field_name="provider",
        value=changes.provider,
        action="user.provider_changed",
    )
    _field_set(
        user=user,
        actor=actor,
        request=request,
        field_name="verify_phone_at_registration",
        value=changes.verify_phone_at_registration,
        action="user.registration_verification_changed",
    )
    login_windows_set(
        user=user,
        actor=actor,
        restricted=changes.login_times_restricted,
        windows=changes.windows,
        request=request,
    )
    return result


@transaction.atomic
def temporary_password_assign(*, user: User, actor: User, password: str, request=None) -> None:
    """Set a temporary password typed by the administrator; it must meet the practice's rules."""
    _refuse_self(user, actor, "set a temporary password for")
    validate_password(password, user=user)
    temporary_password_set(user=user, password=password, actor=actor, request=request)


@transaction.atomic
def temporary_password_generate(*, user: User, actor: User, request=None) -> str:
    """Generate a temporary password that meets the practice's rules, set it, return it once."""
    _refuse_self(user, actor, "set a temporary password for")
    length = max(16, effective_policy(user).password_min_length)
    while True:
        password = generate_password(length)
        try:
            validate_password(password, user=user)
        except ValidationError:
            # A random password can, rarely, contain the username or the practice's name.
            continue
        break
    temporary_password_set(user=user, password=password, actor=actor, request=request)
    return password


# --- Adding and inviting ------------------------------------------------------------------


@dataclass
class NewUser:
    username: str
    first_name: str
    last_name: str
    email: str
    mobile_phone: str
    role: str
    verify_phone_at_registration: bool = False


def _invitation_email(*, user: User, token: str, request) -> bool:
    """Email the invitation link; False if the mail server refused (the link stays valid)."""
    link = request.build_absolute_uri(invitation_path(token))
    body = render_to_string(
        "practice/emails/invitation.txt",
        {"user": user, "practice": user.practice, "link": link, "days": INVITATION_DAYS},
    )
    subject = f"PracticeGate: you are invited to {user.practice.name}"
    try:
        send_mail(" ".join(subject.splitlines()), body, settings.DEFAULT_FROM_EMAIL, [user.email])
    except OSError:
        # Never log the body: it holds the link.
        logger.exception("Could not email an invitation to user %s", user.pk)
        return False
    return True


@dataclass
class AddResult:
    user: User
    invitation_sent: bool = False
    invitation_failed: bool = False


def user_add(
    *,
    practice,
    actor: User,
    new: NewUser,
    invite: bool,
    temporary_password: str = "",
    copy_from: User | None = None,
    request=None,
) -> AddResult:
    """Create a user, copy settings from `copy_from`, then invite or set a temporary password.

    Copy User (OfficeEMR) copies the role (as pre-filled on the form), login times and the
    second-factor setup option; never credentials, second factors or remote access.
    """
    if invite and not new.email.strip():
        raise ValidationError({"email": "An invitation needs an email address."})
    with transaction.atomic():
        user = user_create(
            practice=practice,
            username=new.username,
            email=new.email,
            first_name=new.first_name,
            last_name=new.last_name,
            mobile_phone=new.mobile_phone,
            role=new.role,
            actor=actor,
            request=request,
        )
        if new.verify_phone_at_registration:
            user.verify_phone_at_registration = True
            user.save(update_fields=["verify_phone_at_registration"])
        if copy_from is not None:
            _copy_settings(source=copy_from, user=user, actor=actor, request=request)
        token = None
        if invite:
            token = invitation_create(user=user, actor=actor, request=request)
        else:
            try:
                validate_password(temporary_password, user=user)
            except ValidationError as exc:
                raise ValidationError({"temporary_password": exc.error_list}) from None
            temporary_password_set(
                user=user, password=temporary_password, actor=actor, request=request
            )
    # Emailed only after the commit: a rolled-back user never receives a link.
    result = AddResult(user=user)
    if token is not None:
        result.invitation_sent = _invitation_email(user=user, token=token, request=request)
        result.invitation_failed = not result.invitation_sent
    return result


def _copy_settings(*, source: User, user: User, actor: User, request) -> None:
    if source.practice_id != user.practice_id:
        raise ValidationError("Copy a user of this practice.")
    user.two_factor_setup = source.two_factor_setup
    user.save(update_fields=["two_factor_setup"])
    windows = {w.weekday: (w.start, w.end) for w in source.login_windows.all()}
    login_windows_set(
        user=user,
        actor=actor,
        restricted=source.login_times_restricted,
        windows=windows,
        request=request,
    )
    audit_record(
        action="user.copied",
        actor=actor,
        target=user,
        request=request,
        details={"from": source.username},
    )


def is_registered(user: User) -> bool:
    return user.has_usable_password()


def _refuse_manager_escalation(user: User, actor: User) -> None:
    """A user manager handles the invitations of plain users only.

    SECURITY: otherwise a user manager could point an invited administrator's invitation at
    their own address, register with it, and become an administrator.
    """
    if actor.role == Role.USER_MANAGER and user.role != Role.USER:
        raise ValidationError(
            "Only an administrator can change the invitation of an administrator or user manager.",
            code="manager_escalation",
        )


def user_reinvite(*, user: User, actor: User, request) -> bool:
    """A new invitation link; the old one stops working. True if the email went out."""
    _refuse_manager_escalation(user, actor)
    if is_registered(user):
        raise ValidationError(
            "%(username)s has already registered; set a temporary password instead.",
            code="already_registered",
            params={"username": user.username},
        )
    if not user.email:
        raise ValidationError("Add an email address before sending an invitation.")
    with transaction.atomic():
        token = invitation_create(user=user, actor=actor, request=request)
    return _invitation_email(user=user, token=token, request=request)


@transaction.atomic
def invited_contact_update(
    *, user: User, actor: User, email: str, mobile_phone: str, request=None
) -> bool:
    """Correct an invited user's email and mobile phone (before they register). True if changed."""
    user = _locked_row(user)
    _refuse_manager_escalation(user, actor)
    if is_registered(user):
        raise ValidationError(
            "%(username)s has already registered: they change their own email and phone.",
            code="already_registered",
            params={"username": user.username},
        )
    email = email.strip()
    try:
        phone = normalize_phone(mobile_phone) if mobile_phone.strip() else ""
    except ValidationError as exc:
        raise ValidationError({"mobile_phone": exc.error_list}) from None
    before = {"email": user.email, "mobile_phone": user.mobile_phone}
    after = {"email": email, "mobile_phone": phone}
    if before == after:
        return False
    user.email = email
    user.mobile_phone = phone
    user.mobile_phone_verified_at = None
    user.full_clean(exclude=["password"], validate_unique=False, validate_constraints=False)
    user.save(update_fields=["email", "mobile_phone", "mobile_phone_verified_at"])
    audit_record(
        action="user.contact_corrected",
        actor=actor,
        target=user,
        request=request,
        details={"before": before, "after": after},
    )
    return True
