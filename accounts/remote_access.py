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


def remote_access_lapse_due(*, now: datetime | None = None, user: User | None = None) -> int:
    """End every time-limited grant whose "until" has passed (or only `user`'s); returns how many.

    Run from cron (`manage.py expire_remote_access`), and cheap enough for the sign-in and the
    per-request check to call with `user=`. Each lapse is audited with no actor. The conditional
    UPDATE lets exactly one of two concurrent callers lapse (and audit) a grant.
    """
    now = now or timezone.now()
    due = User.objects.filter(remote_access=True, remote_access_until__lte=now)
    if user is not None:
        due = due.filter(pk=user.pk)
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
                action="remote_access.removed",
                target=candidate,
                details={
                    "reason": "lapsed",
                    "until": candidate.remote_access_until.isoformat(),
                    "grant_reason": candidate.remote_access_reason,
                },
            )
        lapsed += 1
        if user is not None:
            user.remote_access = False
            user.remote_access_until = None
            user.remote_access_reason = ""
    return lapsed
