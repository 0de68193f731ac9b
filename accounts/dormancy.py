"""Dormant accounts: a practice may deactivate users who have not signed in for N days
("Deactivate after days without sign-in", 0 = never).

A user's last activity is their last sign-in; an invited user who never signed in counts from
their latest invitation, anyone else from when the account was made. Administrators and
emergency access accounts are warned (once), not deactivated, unless the practice includes them.
The scheduled job (`manage.py run_scheduled`, or `manage.py deactivate_dormant`) does it for
everyone, and the sign-in for the user signing in; a weekly digest tells the administrators who
was deactivated and who will be within 14 days.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import DateTimeField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.lifecycle import user_deactivate
from accounts.models import Invitation, User
from accounts.notices import admins_notify, notice_send
from accounts.permissions import has_permission, role_managers
from practice.audit import audit_record
from practice.models import AuditEvent, Practice
from practice.vocabulary import AuditAction, DeactivationReason, Permission

DORMANT = DeactivationReason.DORMANT
UPCOMING_DAYS = 14
DIGEST_DAYS = 7


def with_last_activity(users):
    """Annotate `last_activity`: the last sign-in, else the latest invitation, else joining."""
    latest_invitation = (
        Invitation.objects.filter(user_id=OuterRef("pk"))
        .order_by("-created_at")
        .values("created_at")
    )
    return users.annotate(
        last_activity=Coalesce(
            "last_login",
            Subquery(latest_invitation[:1], output_field=DateTimeField()),
            "date_joined",
        )
    )


def spared(user: User, practice: Practice) -> bool:
    """Administrators (who may manage roles) and emergency access accounts are warned, not
    deactivated (by default); the last user who can manage roles, always."""
    managers = role_managers(practice.pk)
    if managers.filter(pk=user.pk).exists() and not managers.exclude(pk=user.pk).exists():
        return True
    return not practice.dormant_includes_admins and (
        has_permission(user, Permission.MANAGE_ROLES) or user.emergency_access
    )


def is_dormant(user: User, *, now: datetime | None = None) -> bool:
    """For the user signing in: no sign-in (or invitation) for the practice's number of days."""
    practice = user.practice
    if practice is None or not practice.dormant_after_days:
        return False
    cutoff = (now or timezone.now()) - timedelta(days=practice.dormant_after_days)
    if user.last_login is not None:
        # The usual case, read off the row already loaded: no query.
        return user.last_login < cutoff
    annotated = with_last_activity(User.objects.filter(pk=user.pk)).get()
    return annotated.last_activity < cutoff


def dormant_deactivate(*, user: User, request=None) -> bool:
    """Deactivate a dormant user, or warn a spared one once; True if deactivated."""
    if spared(user, user.practice):
        if user.dormant_warned_at is None:
            _warn(user, request=request)
        return False
    user_deactivate(user=user, actor=None, request=request, why=DORMANT)
    return True


def _warn(user: User, *, request=None) -> None:
    now = timezone.now()
    if not User.objects.filter(pk=user.pk, dormant_warned_at__isnull=True).update(
        dormant_warned_at=now
    ):
        return
    user.dormant_warned_at = now
    audit_record(
        action=AuditAction.USER_DORMANT_WARNED,
        target=user,
        request=request,
        details={"days": user.practice.dormant_after_days},
    )
    notice_send(
        user=user,
        subject="PracticeGate: your account has not been used for a long time",
        template="emails/dormant_warning.txt",
        context={"days": user.practice.dormant_after_days},
    )


@dataclass
class DormantRun:
    deactivated: list[User] = field(default_factory=list)
    warned: list[User] = field(default_factory=list)


def dormant_due(*, now: datetime | None = None) -> DormantRun:
    """Deactivate (or warn) every dormant user of every practice that asks for it."""
    now = now or timezone.now()
    run = DormantRun()
    for practice in Practice.objects.filter(dormant_after_days__gt=0):
        cutoff = now - timedelta(days=practice.dormant_after_days)
        users = with_last_activity(
            User.objects.filter(practice=practice, is_active=True).select_related(
                "practice", "practice_role"
            )
        ).filter(last_activity__lt=cutoff)
        for user in users:
            if spared(user, practice):
                if user.dormant_warned_at is None:
                    _warn(user)
                    run.warned.append(user)
            else:
                user_deactivate(user=user, actor=None, why=DORMANT)
                run.deactivated.append(user)
    return run


def dormant_digests_due(*, now: datetime | None = None) -> int:
    """Once a week per practice: who was deactivated for dormancy, and who will be within 14
    days. Returns how many practices were sent one."""
    now = now or timezone.now()
    sent = 0
    for practice in Practice.objects.filter(dormant_after_days__gt=0):
        today = practice.today(now)
        last = practice.dormant_digest_sent_on
        if last is not None and (today - last).days < DIGEST_DAYS:
            continue
        claimed = Practice.objects.filter(pk=practice.pk).filter(
            Q(dormant_digest_sent_on__isnull=True)
            | Q(dormant_digest_sent_on__lte=today - timedelta(days=DIGEST_DAYS))
        )
        if not claimed.update(dormant_digest_sent_on=today):
            continue
        since = now - timedelta(days=DIGEST_DAYS)
        deactivated = [
            event.target
            for event in AuditEvent.objects.filter(
                practice=practice,
                action=AuditAction.USER_DEACTIVATED,
                details__why=DORMANT,
                created_at__gte=since,
            ).select_related("target")
        ]
        cutoff = now - timedelta(days=practice.dormant_after_days)
        upcoming = list(
            with_last_activity(User.objects.filter(practice=practice, is_active=True))
            .filter(
                last_activity__gte=cutoff,
                last_activity__lt=cutoff + timedelta(days=UPCOMING_DAYS),
            )
            .order_by("last_activity")
        )
        if not deactivated and not upcoming:
            continue
        admins_notify(
            permission=Permission.ACTIVATE,
            practice_id=practice.pk,
            subject=f"PracticeGate: accounts unused at {practice.name}",
            template="emails/dormant_digest.txt",
            context={
                "deactivated": deactivated,
                # The day each is deactivated, in the practice's zone (this runs from cron).
                "upcoming": [
                    (
                        user,
                        practice.today(
                            user.last_activity + timedelta(days=practice.dormant_after_days)
                        ),
                    )
                    for user in upcoming
                ],
                "days": practice.dormant_after_days,
            },
        )
        sent += 1
    return sent
