"""Setting passwords: the user's own change, an administrator's temporary password, and expiry.

What makes a password acceptable lives in accounts.password_rules; these services store it, keep
the history, end the sessions it should end, audit it and tell the user.
"""

import math
from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.lifecycle import refuse_self
from accounts.models import PasswordHistory, User
from accounts.notices import acted_on_notify, notice_send, takeover_watch
from accounts.password_rules import generate_password, validate_password
from accounts.permissions import authority_check
from accounts.sessions import session_auth_refresh, sessions_end
from practice.audit import audit_record
from practice.policy import Policy, effective_policy
from practice.vocabulary import ActedOn, AuditAction, SessionEndReason


def _store_password(user: User, password: str, *, now, expires_at=None) -> None:
    """Hash and save the password (the old hash joins the history); with `expires_at` it is a
    temporary password, to be changed at the first sign-in."""
    if user.has_usable_password():
        PasswordHistory.objects.create(user=user, password=user.password, created_at=now)
    user.password = make_password(password)
    user.password_changed_at = now
    user.must_change_password = expires_at is not None
    user.temporary_password_expires_at = expires_at
    user.save(
        update_fields=[
            "password",
            "password_changed_at",
            "must_change_password",
            "temporary_password_expires_at",
        ]
    )


@transaction.atomic
def password_set(
    *,
    user: User,
    password: str,
    actor: User | None,
    request=None,
    action: AuditAction = AuditAction.PASSWORD_CHANGED,
) -> None:
    """Set the user's own new password (validated by the caller against the rules)."""
    _store_password(user, password, now=timezone.now())
    audit_record(action=action, actor=actor, target=user, request=request)


@transaction.atomic
def temporary_password_set(*, user: User, password: str, actor: User, request=None) -> None:
    """An administrator's temporary password: single use, changed at first sign-in, 72 hours.

    The user's sessions end with it (the old password signed them in), and are shown as ended.
    A user who had a password is told who set this one (a new user being added is not).
    """
    authority_check(actor=actor, user=user)
    now = timezone.now()
    hours = effective_policy(user).temporary_password_hours
    had_password = user.has_usable_password()
    _store_password(user, password, now=now, expires_at=now + timedelta(hours=hours))
    audit_record(
        action=AuditAction.PASSWORD_TEMPORARY_SET,
        actor=actor,
        target=user,
        request=request,
        details={"expires_at": user.temporary_password_expires_at.isoformat()},
    )
    sessions_end(
        user=user, reason=SessionEndReason.TEMPORARY_PASSWORD, actor=actor, request=request
    )
    if had_password:
        acted_on_notify(user=user, actor=actor, what=ActedOn.TEMPORARY_PASSWORD, hours=hours)
    takeover_watch(user=user, actor=actor, done=AuditAction.PASSWORD_TEMPORARY_SET)


@transaction.atomic
def password_clear(*, user: User, actor: User | None, request=None) -> bool:
    """No password at all (offboarding): a reset link already sent stops working, as reset
    tokens are made from the password hash. True if there was one."""
    if not user.has_usable_password():
        return False
    authority_check(actor=actor, user=user)
    PasswordHistory.objects.create(user=user, password=user.password, created_at=timezone.now())
    user.set_unusable_password()
    user.must_change_password = False
    user.temporary_password_expires_at = None
    user.save(update_fields=["password", "must_change_password", "temporary_password_expires_at"])
    audit_record(action=AuditAction.PASSWORD_CLEARED, actor=actor, target=user, request=request)
    return True


@transaction.atomic
def temporary_password_assign(*, user: User, actor: User, password: str, request=None) -> None:
    """Set a temporary password typed by the administrator; it must meet the practice's rules."""
    refuse_self(user, actor, "set a temporary password for")
    authority_check(actor=actor, user=user)
    validate_password(password, user=user)
    temporary_password_set(user=user, password=password, actor=actor, request=request)


@transaction.atomic
def temporary_password_generate(*, user: User, actor: User, request=None) -> str:
    """Generate a temporary password that meets the practice's rules, set it, return it once."""
    refuse_self(user, actor, "set a temporary password for")
    authority_check(actor=actor, user=user)
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


def password_change(*, user: User, password: str, request) -> int:
    """The signed-in user changes their own password (validated by the caller, with the current
    password checked). Ends their other sessions, keeps this one, emails a notice; returns how
    many other sessions ended."""
    with transaction.atomic():
        password_set(user=user, password=password, actor=user, request=request)
        # SECURITY: whoever else holds a session of this user (a stolen cookie, a shared
        # computer left signed in) is signed out by the change; this browser stays signed in.
        ended = sessions_end(
            user=user,
            reason=SessionEndReason.PASSWORD_CHANGED,
            actor=user,
            request=request,
            except_key=request.session.session_key,
        )
    # The session's auth hash derives from the password hash: refresh it, or this browser too
    # would be signed out at its next request.
    session_auth_refresh(request, user)
    notice_send(
        user=user,
        subject="PracticeGate: your password was changed",
        template="emails/password_changed.txt",
        context={"sessions_ended": ended, "reset": False},
    )
    return ended


# --- Expiry ---------------------------------------------------------------------------------
# A password older than the policy's expiry must be changed at the next sign-in (the sign-in's
# required-actions stage asks password_is_expired); from EXPIRY_WARNING_DAYS before, every page
# says how many days are left.


def password_expires_at(user: User, *, policy: Policy | None = None) -> datetime | None:
    """When the user's password expires; None when it never does (NIST profile, expiry 0)."""
    policy = policy or effective_policy(user)
    if (
        not policy.password_expiry_days
        or user.password_changed_at is None
        or not user.has_usable_password()
    ):
        return None
    return user.password_changed_at + timedelta(days=policy.password_expiry_days)


def password_expiry_days_left(
    user: User, *, now: datetime | None = None, policy: Policy | None = None
) -> int | None:
    """Whole days until expiry, rounded up (0 once expired); None when it never expires."""
    expires_at = password_expires_at(user, policy=policy)
    if expires_at is None:
        return None
    seconds = (expires_at - (now or timezone.now())).total_seconds()
    return max(math.ceil(seconds / 86400), 0)


def password_is_expired(
    user: User, *, now: datetime | None = None, policy: Policy | None = None
) -> bool:
    expires_at = password_expires_at(user, policy=policy)
    return expires_at is not None and (now or timezone.now()) >= expires_at
