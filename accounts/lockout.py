"""Locking and unlocking accounts."""

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from practice.audit import audit_record


@transaction.atomic
def user_lock(
    *, user: User, actor: User | None, request=None, reason: str = "administrator"
) -> None:
    if user.locked_at is not None:
        return
    user.locked_at = timezone.now()
    user.save(update_fields=["locked_at"])
    audit_record(
        action="user.locked", actor=actor, target=user, request=request, details={"reason": reason}
    )


@transaction.atomic
def user_unlock(
    *, user: User, actor: User | None, request=None, reason: str = "administrator"
) -> None:
    if user.locked_at is None and user.failed_logins == 0:
        return
    user.locked_at = None
    user.failed_logins = 0
    user.save(update_fields=["locked_at", "failed_logins"])
    audit_record(
        action="user.unlocked",
        actor=actor,
        target=user,
        request=request,
        details={"reason": reason},
    )
