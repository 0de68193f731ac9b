"""Granting and removing remote access (PCC SecureConnect's "Allow remote server access")."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.access_ended import remote_access_ended_announce
from accounts.models import User
from accounts.permissions import authority_check
from practice.audit import audit_record
from practice.vocabulary import AuditAction, RemoteAccessRemoval


@transaction.atomic
def remote_access_grant(
    *, user: User, actor: User | None, until: datetime | None = None, reason: str = "", request=None
) -> None:
    """Allow sign-in from outside the office, until `until` (the moment it ends) or for good.

    The rules live here and nowhere else: remote access needs the linked practice management
    username (the database refuses it without one too), an active user, and an end in the future.
    """
    if not user.pm_username:
        raise ValidationError(
            {
                "remote_access": ValidationError(
                    "Set the Practice management username first: remote access needs the EHR "
                    "and practice management logins linked.",
                    code="remote_access_needs_pm_username",
                )
            }
        )
    if not user.is_active:
        raise ValidationError(
            {
                "remote_access": ValidationError(
                    "An inactive user cannot have remote access; make them active first.",
                    code="remote_access_inactive",
                )
            }
        )
    if until is not None and until <= timezone.now():
        raise ValidationError(
            {
                "remote_access_until": ValidationError(
                    "Choose a date from today on, or leave it empty.",
                    code="remote_access_until_past",
                )
            }
        )
    authority_check(actor=actor, user=user)
    user.remote_access = True
    user.remote_access_until = until
    user.remote_access_reason = reason
    user.save(update_fields=["remote_access", "remote_access_until", "remote_access_reason"])
    audit_record(
        action=AuditAction.REMOTE_ACCESS_GRANTED,
        actor=actor,
        target=user,
        request=request,
        details={"until": until.isoformat() if until else None, "reason": reason},
    )


@transaction.atomic
def remote_access_revoke(
    *,
    user: User,
    actor: User | None,
    request=None,
    reason: RemoteAccessRemoval = RemoteAccessRemoval.ADMINISTRATOR,
) -> None:
    if not user.remote_access:
        return
    authority_check(actor=actor, user=user)
    user.remote_access = False
    user.remote_access_until = None
    user.remote_access_reason = ""
    user.save(update_fields=["remote_access", "remote_access_until", "remote_access_reason"])
    audit_record(
        action=AuditAction.REMOTE_ACCESS_REMOVED,
        actor=actor,
        target=user,
        request=request,
        details={"reason": reason},
    )
    remote_access_ended_announce(user=user)


def remote_access_allowed(user: User, *, request=None) -> bool:
    """Whether the user may sign in from outside the office now (User.remote_access_live).

    A time-limited grant that has ended is removed here (audited) the first time it is noticed.
    """
    if user.remote_access_live(timezone.now()):
        return True
    if user.remote_access:
        remote_access_revoke(
            user=user, actor=None, request=request, reason=RemoteAccessRemoval.EXPIRED
        )
    return False


def remote_access_lapse_due(*, now: datetime | None = None) -> int:
    """End every time-limited grant whose "until" has passed; returns how many. For cron.

    remote_access_allowed() ends a grant when its user next signs in or clicks; this ends the
    rest (`manage.py expire_remote_access`), so the console's list and the audit log show the
    end even for users who never come back. The conditional UPDATE lets exactly one of two
    concurrent callers end (and audit) a grant.
    """
    now = now or timezone.now()
    due = User.objects.filter(remote_access=True, remote_access_until__lte=now)
    lapsed = 0
    for candidate in due.select_related("practice").only(
        "pk", "practice", "remote_access_until", "remote_access_reason"
    ):
        with transaction.atomic():
            updated = User.objects.filter(
                pk=candidate.pk, remote_access=True, remote_access_until__lte=now
            ).update(remote_access=False, remote_access_until=None, remote_access_reason="")
            if not updated:
                continue
            audit_record(
                action=AuditAction.REMOTE_ACCESS_REMOVED,
                target=candidate,
                details={
                    "reason": RemoteAccessRemoval.EXPIRED,
                    "until": candidate.remote_access_until.isoformat(),
                    "grant_reason": candidate.remote_access_reason,
                },
            )
            remote_access_ended_announce(user=candidate)
        lapsed += 1
    return lapsed
