"""Counting failed sign-ins, locking and unlocking accounts, and slowing down noisy addresses.

The count lives in the database (User.failed_logins) and is only ever changed with conditional
UPDATEs, so concurrent requests on several app servers cannot lose or double a count.
"""

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.notices import admins_notify
from accounts.permissions import authority_check
from practice import ratelimit
from practice.audit import audit_record, typed_name_fingerprint
from practice.links import site_link
from practice.models import Practice
from practice.network import client_ip, in_networks, throttle_key
from practice.policy import effective_policy, practice_policy
from practice.vocabulary import AuditAction, LockChange, Permission, SignInFailure

# One client address failing this often across any accounts is slowed down (refused before any
# password check) until the window passes. A practice's office networks are never slowed down:
# a shared front desk must not be locked out by one user's typos.
ADDRESS_FAILURE_LIMIT = 20
ADDRESS_WINDOW_SECONDS = 15 * 60
# How long failures of a name that matches nobody are remembered, and how long such a name stays
# "locked" where the practice does not auto-unlock (see unknown_name_failure_record).
UNKNOWN_NAME_MEMORY_SECONDS = 30 * 24 * 60 * 60


@transaction.atomic
def user_lock(
    *, user: User, actor: User | None, request=None, reason: LockChange = LockChange.ADMINISTRATOR
) -> None:
    if user.locked_at is not None:
        return
    authority_check(actor=actor, user=user)
    user.locked_at = timezone.now()
    user.save(update_fields=["locked_at"])
    audit_record(
        action=AuditAction.USER_LOCKED,
        actor=actor,
        target=user,
        request=request,
        details={"reason": reason},
    )


@transaction.atomic
def user_unlock(
    *, user: User, actor: User | None, request=None, reason: LockChange = LockChange.ADMINISTRATOR
) -> None:
    if user.locked_at is None and user.failed_logins == 0:
        return
    authority_check(actor=actor, user=user)
    user.locked_at = None
    user.failed_logins = 0
    user.save(update_fields=["locked_at", "failed_logins"])
    audit_record(
        action=AuditAction.USER_UNLOCKED,
        actor=actor,
        target=user,
        request=request,
        details={"reason": reason},
    )


def lock_refresh(*, user: User, request=None) -> bool:
    """Carry out the practice's auto-unlock if it has come due (a write, audited), then answer
    whether the account is locked (User.locked_now, the pure read)."""
    if user.locked_at is None:
        return False
    if user.locked_now(effective_policy(user), timezone.now()):
        return True
    user_unlock(user=user, actor=None, request=request, reason=LockChange.AUTO_UNLOCK)
    return False


def attempt_reserve(*, user: User) -> bool:
    """Count the coming password check as a failure before it runs; False if none is left.

    SECURITY: reserving first (one conditional UPDATE) means thirty guesses sent at once get at
    most `lockout_threshold` password checks, not thirty; a locked account gets none.
    """
    threshold = effective_policy(user).lockout_threshold
    reserved = User.objects.filter(
        pk=user.pk, locked_at__isnull=True, failed_logins__lt=threshold
    ).update(failed_logins=F("failed_logins") + 1)
    return reserved == 1


def attempts_left(*, user: User) -> int:
    """Failed attempts (passwords or codes) the account can still take before it locks."""
    failed = User.objects.filter(pk=user.pk).values_list("failed_logins", flat=True).get()
    return max(effective_policy(user).lockout_threshold - failed, 0)


def attempt_refund(*, user: User) -> None:
    """The password reserved by attempt_reserve() was right: that attempt does not count.

    SECURITY: only the reservation is given back, not the count. Wrong second-factor codes of
    an earlier sign-in stay counted until a sign-in completes (every factor), so knowing the
    password does not buy a fresh set of guesses at the code.
    """
    User.objects.filter(pk=user.pk, failed_logins__gt=0).update(
        failed_logins=F("failed_logins") - 1
    )


def failure_record(*, user: User, request, reason: SignInFailure, reserved: bool = False) -> bool:
    """Count one failed attempt (a password, a second-factor code); True if it locked the account.

    With `reserved`, attempt_reserve() already counted it. The attempt that reaches the
    threshold locks the account; the conditional UPDATE lets exactly one request do so.
    """
    with transaction.atomic():
        if not reserved:
            User.objects.filter(pk=user.pk).update(failed_logins=F("failed_logins") + 1)
        policy = effective_policy(user)
        now = timezone.now()
        locked = (
            User.objects.filter(
                pk=user.pk, locked_at__isnull=True, failed_logins__gte=policy.lockout_threshold
            ).update(locked_at=now)
            == 1
        )
        audit_record(
            action=AuditAction.SIGNIN_FAILED,
            target=user,
            request=request,
            details={"reason": reason},
        )
        if locked:
            user.locked_at = now
            audit_record(
                action=AuditAction.USER_LOCKED,
                target=user,
                request=request,
                details={
                    "reason": LockChange.FAILED_ATTEMPTS,
                    "threshold": policy.lockout_threshold,
                },
            )
    if locked and policy.notify_admins_on_lock and user.practice_id:
        _notify_admins(user)
    return locked


def _notify_admins(user: User) -> None:
    admins_notify(
        permission=Permission.UNLOCK,
        practice_id=user.practice_id,
        subject=f"PracticeGate: {user.username}'s account is locked",
        template="emails/account_locked_admin.txt",
        about=user,
        context={
            "locked_user": user,
            # The user's page in the console, where "Login locked" is unticked.
            "user_link": site_link(reverse("console:user", kwargs={"user_id": user.pk})),
        },
    )


def _address_key(address: str) -> str:
    return f"signin-failures:{throttle_key(address)}"


def address_is_slowed(*, request, office_networks: list[str]) -> bool:
    """Too many failures from this client address lately (never for an office network)."""
    address = client_ip(request)
    if not address or in_networks(address, office_networks):
        return False
    return ratelimit.used(_address_key(address)) >= ADDRESS_FAILURE_LIMIT


def address_failure_record(*, request, office_networks: list[str]) -> None:
    address = client_ip(request)
    if not address or in_networks(address, office_networks):
        return
    ratelimit.hit(
        _address_key(address), limit=ADDRESS_FAILURE_LIMIT, window_seconds=ADDRESS_WINDOW_SECONDS
    )


# --- Names that match no user ------------------------------------------------------------------
#
# SECURITY: an existing name's wrong passwords lock it, and from then on its sign-in says
# "locked" (DESIGN.md: "locked", and then never "invalid username or password", even with the
# right password). If a name that matches nobody went on saying "invalid username or password",
# five tries would tell anyone which names exist. So such a name's failures are counted too, per
# practice and name, against the same threshold, and from the threshold on it is answered as
# locked, for as long as a real account stays locked: the practice's auto-unlock if it has one,
# else UNKNOWN_NAME_MEMORY_SECONDS (a real account waits for an unlock, which a stranger cannot
# see or time). The counts live in the shared cache under the name's keyed fingerprint, never
# its text, which may be a password typed into the wrong box.
#
# The other way to answer alike was refused: saying "invalid" to a locked account's wrong
# password and "locked" only to its right one would mean checking a locked account's password
# and telling a guesser when the guess was right, which turns the lock into an oracle.


def _unknown_name_key(kind: str, practice: Practice | None, username: str) -> str:
    where = practice.pk if practice is not None else "none"
    return f"signin-unknown-name:{kind}:{where}:{typed_name_fingerprint(username)}"


def unknown_name_locked(*, practice: Practice | None, username: str) -> bool:
    """Whether a name that matches no user of `practice` is answered as locked now."""
    return ratelimit.used(_unknown_name_key("locked", practice, username)) > 0


def unknown_name_failure_record(*, practice: Practice | None, username: str) -> bool:
    """Count a failed sign-in with a name that matches no user; True once the name reaches the
    lockout threshold (it is answered as locked from this attempt on, as an account would be)."""
    policy = practice_policy(practice if practice is not None else Practice())
    count_key = _unknown_name_key("failures", practice, username)
    if ratelimit.hit(
        count_key,
        limit=policy.lockout_threshold - 1,
        window_seconds=UNKNOWN_NAME_MEMORY_SECONDS,
    ):
        return False
    ratelimit.forget(count_key)  # as an unlock sets a real account's count back to none
    lock_seconds = policy.auto_unlock_minutes * 60 or UNKNOWN_NAME_MEMORY_SECONDS
    ratelimit.hit(
        _unknown_name_key("locked", practice, username), limit=1, window_seconds=lock_seconds
    )
    return True
