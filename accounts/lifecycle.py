"""Changes to a user's access made by someone else: activate, deactivate, role, settings, and the
console's user page as one change.

Every function takes the acting user (an administrator of the user's practice, or support
staff), checks the authority rule (accounts.permissions.authority_check) before it writes, runs
in one transaction and writes an audit event for each change in that same transaction. Callers
have already scoped `user` to the actor's practice (the console through its one scoped lookup;
support staff may act on any practice).
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from accounts.access_end import access_end_set
from accounts.lockout import user_lock, user_unlock
from accounts.login_times import DayWindows, login_times_differ, login_windows_set
from accounts.models import TwoFactorSetup, User, UserSession
from accounts.permissions import OutsideAuthority, actor_may, authority_check, may_act_on
from accounts.remote_access import remote_access_grant, remote_access_revoke
from accounts.roles import refuse_last_role_manager, user_role_set
from accounts.sessions import sessions_end
from practice.audit import audit_record
from practice.models import PracticeRole, Provider
from practice.vocabulary import AuditAction, Permission, RemoteAccessRemoval, SessionEndReason


def refuse_self(user: User, actor: User | None, what: str) -> None:
    """Administrators do not lock, deactivate, demote or reset themselves by accident."""
    if actor is not None and user.pk == actor.pk:
        raise ValidationError(
            "You cannot %(what)s your own account here.", code="self", params={"what": what}
        )


def locked_row(user: User) -> User:
    """Re-read the user under a row lock, so two administrators' saves apply one after the other."""
    return (
        # Only the user's row: PostgreSQL cannot lock the nullable side of the provider join.
        User.objects.select_for_update(of=("self",))
        .select_related("practice", "provider")
        .prefetch_related("login_windows")
        .get(pk=user.pk)
    )


@transaction.atomic
def user_deactivate(*, user: User, actor: User | None, request=None, why: str = "") -> bool:
    """Deactivate: no sign-in, sessions end, remote access removed. True if access was removed.

    The remote-access grant goes for good: re-activating the user does not restore it. `why`
    (for the audit row) says what deactivated them when no person did: "dormant".
    """
    refuse_self(user, actor, "deactivate")
    if not user.is_active:
        return False
    authority_check(actor=actor, user=user)
    refuse_last_role_manager(user, what="be deactivated")
    had_remote_access = user.remote_access
    user.is_active = False
    user.save(update_fields=["is_active"])
    audit_record(
        action=AuditAction.USER_DEACTIVATED,
        actor=actor,
        target=user,
        request=request,
        details={"why": why} if why else None,
    )
    remote_access_revoke(
        user=user, actor=actor, request=request, reason=RemoteAccessRemoval.DEACTIVATED
    )
    sessions_end(user=user, reason=SessionEndReason.DEACTIVATED, actor=actor, request=request)
    return had_remote_access


@transaction.atomic
def user_activate(*, user: User, actor: User, request=None) -> bool:
    """Allow the user to sign in again; True if they were inactive. Remote access stays off."""
    if user.is_active:
        return False
    authority_check(actor=actor, user=user)
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_record(action=AuditAction.USER_ACTIVATED, actor=actor, target=user, request=request)
    return True


@transaction.atomic
def pm_username_set(*, user: User, actor: User, pm_username: str, request=None) -> bool:
    """Link (or unlink) the practice management username. True if remote access was removed."""
    pm_username = pm_username.strip()
    if pm_username == user.pm_username:
        return False
    authority_check(actor=actor, user=user)
    before = user.pm_username
    removed = False
    if not pm_username and user.remote_access:
        # Unlinking removes remote access first: the database refuses remote access without a
        # linked username, and re-linking later does not bring it back.
        remote_access_revoke(
            user=user, actor=actor, request=request, reason=RemoteAccessRemoval.PM_USERNAME_CLEARED
        )
        removed = True
    user.pm_username = pm_username
    user.save(update_fields=["pm_username"])
    audit_record(
        action=AuditAction.USER_PM_USERNAME_CHANGED,
        actor=actor,
        target=user,
        request=request,
        details={"before": before, "after": pm_username},
    )
    return removed


def _field_set(*, user: User, actor: User, request, field_name: str, value, action) -> bool:
    before = getattr(user, field_name)
    if before == value:
        return False
    authority_check(actor=actor, user=user)
    setattr(user, field_name, value)
    user.save(update_fields=[field_name])
    audit_record(
        action=action,
        actor=actor,
        target=user,
        request=request,
        details={"before": _plain(before), "after": _plain(value)},
    )
    return True


def _plain(value):
    if isinstance(value, Provider):
        return value.name
    return value


@transaction.atomic
def two_factor_setup_set(*, user: User, actor: User, setup: str, request=None) -> bool:
    """The user's second-factor setup option (empty: the practice's default)."""
    if setup not in TwoFactorSetup.values:
        raise ValidationError({"two_factor_setup": "Choose a setup option from the list."})
    return _field_set(
        user=user,
        actor=actor,
        request=request,
        field_name="two_factor_setup",
        value=setup,
        action=AuditAction.USER_TWO_FACTOR_SETUP_CHANGED,
    )


@transaction.atomic
def provider_set(*, user: User, actor: User, provider: Provider | None, request=None) -> bool:
    """Link the user to a provider of their practice (None: unlink). A provider is one person:
    linked to one user at most (the database holds to it too)."""
    if provider is not None and provider.practice_id != user.practice_id:
        # SECURITY: a provider id of another practice is refused, never linked.
        raise ValidationError({"provider": "Choose a provider of this practice."})
    if provider is not None and provider.pk != user.provider_id:
        # The provider's row, locked: a removal at the same moment waits (practice.providers).
        if not Provider.objects.select_for_update().filter(pk=provider.pk).exists():
            raise ValidationError({"provider": "Choose a provider of this practice."})
        _refuse_taken(provider, user)
    try:
        with transaction.atomic():
            return _field_set(
                user=user,
                actor=actor,
                request=request,
                field_name="provider",
                value=provider,
                action=AuditAction.USER_PROVIDER_CHANGED,
            )
    except IntegrityError:
        # Linked to someone else at the same moment.
        _refuse_taken(provider, user)
        raise


def _refuse_taken(provider: Provider, user: User) -> None:
    holder = User.objects.filter(provider=provider).exclude(pk=user.pk).first()
    if holder is not None:
        raise ValidationError(
            {
                "provider": ValidationError(
                    "%(provider)s is already linked to %(holder)s (%(username)s): a provider is "
                    "one person. Unlink them on their page first.",
                    code="provider_taken",
                    params={
                        "provider": provider.name,
                        "holder": holder.get_full_name() or holder.username,
                        "username": holder.username,
                    },
                )
            }
        )


@transaction.atomic
def registration_verification_set(*, user: User, actor: User, verify: bool, request=None) -> bool:
    """MySecurePractice's "Two-step verification at registration" for an invited user."""
    return _field_set(
        user=user,
        actor=actor,
        request=request,
        field_name="verify_phone_at_registration",
        value=verify,
        action=AuditAction.USER_REGISTRATION_VERIFICATION_CHANGED,
    )


@transaction.atomic
def emergency_access_set(*, user: User, actor: User, enabled: bool, request=None) -> bool:
    """Mark (or unmark) an emergency access account (accounts.emergency).

    Unmarking ends the account's running emergency sessions now: they lasted only because of
    the mark (the session guard checks it on every request too; this also takes them off the
    console's list of active emergencies at once).
    """
    changed = _field_set(
        user=user,
        actor=actor,
        request=request,
        field_name="emergency_access",
        value=enabled,
        action=AuditAction.USER_EMERGENCY_ACCESS_CHANGED,
    )
    if changed and not enabled:
        running = UserSession.objects.filter(
            user=user, ended_at__isnull=True, emergency_until__isnull=False
        ).values_list("pk", flat=True)
        if running_ids := list(running):
            sessions_end(
                user=user,
                reason=SessionEndReason.EMERGENCY_ACCESS_REMOVED,
                actor=actor,
                request=request,
                session_ids=running_ids,
            )
    return changed


@dataclass
class UserChanges:
    """Everything the console's user page saves with its "Save" button."""

    active: bool
    pm_username: str
    remote_access: bool
    remote_access_until: datetime | None
    remote_access_reason: str
    locked: bool
    role: PracticeRole
    two_factor_setup: str
    provider: Provider | None
    verify_phone_at_registration: bool
    login_times_restricted: bool
    windows: dict[int, DayWindows]
    emergency_access: bool = False
    access_ends_on: date | None = None


# Which permission changes each part of the user page: the one map. The console's form offers a
# field only to whoever holds its permission, its view takes a POST from whoever holds any of
# them, and user_update refuses a change whose permission the actor does not hold. The keys are
# UserChanges' fields (the form's fields of the same names; "windows" are the days' fields).
CHANGE_PERMISSIONS: dict[str, Permission] = {
    "active": Permission.ACTIVATE,
    "locked": Permission.UNLOCK,
    "pm_username": Permission.EDIT_DETAILS,
    "two_factor_setup": Permission.EDIT_DETAILS,
    "provider": Permission.EDIT_DETAILS,
    "verify_phone_at_registration": Permission.EDIT_DETAILS,
    "remote_access": Permission.REMOTE_ACCESS,
    "remote_access_until": Permission.REMOTE_ACCESS,
    "remote_access_reason": Permission.REMOTE_ACCESS,
    "emergency_access": Permission.REMOTE_ACCESS,
    "role": Permission.MANAGE_ROLES,
    "access_ends_on": Permission.OFFBOARD,
    "login_times_restricted": Permission.LOGIN_TIMES,
    "windows": Permission.LOGIN_TIMES,
}
USER_PAGE_PERMISSIONS = frozenset(CHANGE_PERMISSIONS.values())


@dataclass
class UserUpdateResult:
    # Why this save took remote access away, if it did.
    remote_access_removed: RemoteAccessRemoval | None = None
    reactivated: bool = False


def _changed_fields(user: User, changes: UserChanges) -> set[str]:
    """Which of UserChanges' fields differ from the user as they are."""
    remote = changes.remote_access
    differ = {
        "active": changes.active != user.is_active,
        "locked": changes.locked != user.is_locked,
        "pm_username": changes.pm_username.strip() != user.pm_username,
        "two_factor_setup": changes.two_factor_setup != user.two_factor_setup,
        "provider": changes.provider != user.provider,
        "verify_phone_at_registration": (
            changes.verify_phone_at_registration != user.verify_phone_at_registration
        ),
        "remote_access": remote != user.remote_access,
        # An end or a reason matters only with the grant (without it, both are cleared).
        "remote_access_until": remote and changes.remote_access_until != user.remote_access_until,
        "remote_access_reason": remote
        and changes.remote_access_reason != user.remote_access_reason,
        "emergency_access": changes.emergency_access != user.emergency_access,
        "role": changes.role.pk != user.practice_role_id,
        "access_ends_on": changes.access_ends_on != user.access_ends_on,
        "windows": login_times_differ(
            user, restricted=changes.login_times_restricted, windows=changes.windows
        ),
    }
    return {name for name, changed in differ.items() if changed}


def _changed_permissions(user: User, changes: UserChanges) -> set[Permission]:
    """Which permissions the changes need: each part of the user page has its own."""
    return {CHANGE_PERMISSIONS[name] for name in _changed_fields(user, changes)}


@transaction.atomic
def user_update(*, user: User, actor: User, changes: UserChanges, request=None) -> UserUpdateResult:
    """Apply the user page in one transaction: any refusal leaves the user as it was."""
    user = locked_row(user)
    # SECURITY: the page offers each part only to whom may change it; a crafted POST that
    # changes another part anyway is refused here, before anything is written.
    needed = _changed_permissions(user, changes)
    missing = [p for p in needed if not actor_may(actor, p)]
    if missing:
        raise PermissionDenied(f"Not allowed: {', '.join(sorted(missing))}")
    if needed and not may_act_on(actor, user):
        raise OutsideAuthority(user)
    result = UserUpdateResult()

    # Order matters: deactivation and unlinking remove remote access before any grant below is
    # considered, so a save that does both ends with no remote access.
    if not changes.active and user.is_active:
        if user_deactivate(user=user, actor=actor, request=request):
            result.remote_access_removed = RemoteAccessRemoval.DEACTIVATED
    elif changes.active and not user.is_active:
        result.reactivated = user_activate(user=user, actor=actor, request=request)
    if pm_username_set(user=user, actor=actor, pm_username=changes.pm_username, request=request):
        result.remote_access_removed = (
            result.remote_access_removed or RemoteAccessRemoval.PM_USERNAME_CLEARED
        )

    # A save that just took remote access away never grants it back, even if the checkbox was
    # still ticked: restoring it takes a later, deliberate save.
    wants_grant = changes.remote_access and not result.remote_access_removed
    grant_changed = (
        not user.remote_access
        or user.remote_access_until != changes.remote_access_until
        or user.remote_access_reason != changes.remote_access_reason
    )
    if wants_grant and grant_changed:
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
        refuse_self(user, actor, "lock")
        user_lock(user=user, actor=actor, request=request)
    elif not changes.locked and user.is_locked:
        user_unlock(user=user, actor=actor, request=request)

    user_role_set(user=user, actor=actor, role=changes.role, request=request)
    two_factor_setup_set(user=user, actor=actor, setup=changes.two_factor_setup, request=request)
    provider_set(user=user, actor=actor, provider=changes.provider, request=request)
    registration_verification_set(
        user=user, actor=actor, verify=changes.verify_phone_at_registration, request=request
    )
    emergency_access_set(user=user, actor=actor, enabled=changes.emergency_access, request=request)
    if changes.access_ends_on != user.access_ends_on:
        refuse_self(user, actor, "set an end date for")
        access_end_set(user=user, actor=actor, ends_on=changes.access_ends_on, request=request)
    if login_times_differ(user, restricted=changes.login_times_restricted, windows=changes.windows):
        # Restricting one's own login times could sign one out on the spot.
        refuse_self(user, actor, "change the login times of")
    login_windows_set(
        user=user,
        actor=actor,
        restricted=changes.login_times_restricted,
        windows=changes.windows,
        request=request,
    )
    return result
