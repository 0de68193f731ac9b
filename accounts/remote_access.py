"""Granting and removing remote access (PCC SecureConnect's "Allow remote server access")."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from practice.audit import audit_record


@transaction.atomic
def remote_access_grant(
    *, user: User, actor: User | None, until: datetime | None = None, reason: str = "", request=None
) -> None:
    if not user.pm_username:
        raise ValidationError(
            "Link the user's practice management username before allowing remote access.",
            code="remote_access_needs_pm_username",
        )
    user.remote_access = True
    user.remote_access_until = until
    user.remote_access_reason = reason
    user.save(update_fields=["remote_access", "remote_access_until", "remote_access_reason"])
    audit_record(
        action="remote_access.granted",
        actor=actor,
        target=user,
        request=request,
        details={"until": until.isoformat() if until else None, "reason": reason},
    )


@transaction.atomic
def remote_access_revoke(
    *, user: User, actor: User | None, request=None, reason: str = "administrator"
) -> None:
    if not user.remote_access:
        return
    user.remote_access = False
    user.remote_access_until = None
    user.remote_access_reason = ""
    user.save(update_fields=["remote_access", "remote_access_until", "remote_access_reason"])
    audit_record(
        action="remote_access.removed",
        actor=actor,
        target=user,
        request=request,
        details={"reason": reason},
    )


def remote_access_allowed(user: User, *, request=None) -> bool:
    """Whether the user may sign in from outside the office now.

    A time-limited grant that has ended is removed here (audited) the first time it is noticed.
    """
    if not user.remote_access:
        return False
    if user.remote_access_until is not None and user.remote_access_until <= timezone.now():
        remote_access_revoke(user=user, actor=None, request=request, reason="expired")
        return False
    return True
