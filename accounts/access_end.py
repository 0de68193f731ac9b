"""End dates ("Access ends on"): from that day, in the practice's time zone, the user cannot sign
in (HIPAA 164.308(a)(3)(ii)(C), terminating access when someone leaves).

Setting or moving the date is access_end_set. Carrying the end out (sessions ended, remote access
removed, audited) is access_end_carry_out, once, whoever notices first: the scheduled job
(`manage.py run_scheduled`), the sign-in, or the per-request session check. A later date set
after that lifts the end (the user may sign in again); remote access stays removed, as after a
deactivation.
"""

from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import User
from accounts.notices import admins_notify
from accounts.permissions import authority_check
from accounts.remote_access import remote_access_revoke
from accounts.roles import refuse_last_role_manager
from accounts.sessions import sessions_end
from practice.audit import audit_record
from practice.vocabulary import AuditAction, Permission, RemoteAccessRemoval, SessionEndReason

# The practice's administrators hear of an end date this many days before it.
NOTICE_DAYS = 7
# The console's list shows "ends in N days" from this many days before.
SHOW_DAYS = 14


def access_has_ended(user: User, now: datetime | None = None) -> bool:
    """Whether the user's "Access ends on" day has come, in the practice's time zone."""
    if user.access_ends_on is None or user.practice_id is None:
        return False
    return user.practice.today(now) >= user.access_ends_on


def access_days_left(user: User, now: datetime | None = None) -> int | None:
    """Days until the end date (0 on the day itself); None without one."""
    if user.access_ends_on is None or user.practice_id is None:
        return None
    return (user.access_ends_on - user.practice.today(now)).days


def access_end_message(user: User) -> str:
    day = date_format(user.access_ends_on, "F j, Y")
    return f"Your access to {user.practice.name} ended on {day}. Ask your practice administrator."


@transaction.atomic
def access_end_set(*, user: User, actor: User, ends_on: date | None, request=None) -> bool:
    """Set, move or clear "Access ends on"; True if it changed. A date already reached is
    carried out at once."""
    if ends_on == user.access_ends_on:
        return False
    authority_check(actor=actor, user=user)
    if ends_on is not None:
        refuse_last_role_manager(user, what="have an end date")
    before = user.access_ends_on
    user.access_ends_on = ends_on
    if ends_on is None or not access_has_ended(user):
        # Extended (or cleared): the user may sign in again.
        user.access_ended_at = None
    user.save(update_fields=["access_ends_on", "access_ended_at"])
    audit_record(
        action=AuditAction.USER_ACCESS_END_CHANGED,
        actor=actor,
        target=user,
        request=request,
        details={
            "before": before.isoformat() if before else None,
            "after": ends_on.isoformat() if ends_on else None,
        },
    )
    if access_has_ended(user):
        access_end_carry_out(user=user, actor=actor, request=request)
    return True


@transaction.atomic
def access_end_carry_out(*, user: User, actor: User | None = None, request=None) -> bool:
    """The end date has come: end the sessions, remove remote access, audit. True the one time
    it does so (a conditional UPDATE lets exactly one of two callers at once do it)."""
    if not access_has_ended(user):
        return False
    now = timezone.now()
    if not User.objects.filter(pk=user.pk, access_ended_at__isnull=True).update(
        access_ended_at=now
    ):
        return False
    user.access_ended_at = now
    audit_record(
        action=AuditAction.USER_ACCESS_ENDED,
        actor=actor,
        target=user,
        request=request,
        details={"ends_on": user.access_ends_on.isoformat()},
    )
    remote_access_revoke(
        user=user, actor=actor, request=request, reason=RemoteAccessRemoval.ACCESS_ENDED
    )
    sessions_end(user=user, reason=SessionEndReason.ACCESS_ENDED, actor=actor, request=request)
    return True


def access_ends_due(*, now: datetime | None = None) -> int:
    """Carry out every end date that has come (for the scheduled job); returns how many."""
    now = now or timezone.now()
    # The latest zone is a day behind UTC at most: a wider net, then each in its own zone.
    candidates = User.objects.select_related("practice").filter(
        access_ends_on__lte=(now + timedelta(days=1)).date(),
        access_ended_at__isnull=True,
        practice__isnull=False,
    )
    return sum(
        access_end_carry_out(user=user) for user in candidates if access_has_ended(user, now)
    )


def access_end_notices_due(*, now: datetime | None = None) -> int:
    """Tell the administrators, once, of each end date NOTICE_DAYS away; returns how many."""
    now = now or timezone.now()
    soon = (now + timedelta(days=NOTICE_DAYS)).date()
    sent = 0
    candidates = User.objects.select_related("practice").filter(
        access_ends_on__gte=soon - timedelta(days=1),
        access_ends_on__lte=soon + timedelta(days=1),
        access_ended_at__isnull=True,
        is_active=True,
        practice__isnull=False,
    )
    for user in candidates:
        if access_days_left(user, now) != NOTICE_DAYS or user.access_end_notice_on == (
            user.access_ends_on
        ):
            continue
        with transaction.atomic():
            claimed = (
                User.objects.filter(pk=user.pk)
                .exclude(access_end_notice_on=user.access_ends_on)
                .update(access_end_notice_on=user.access_ends_on)
            )
        if claimed:
            admins_notify(
                permission=Permission.OFFBOARD,
                practice_id=user.practice_id,
                subject=f"PracticeGate: {user}'s access ends in {NOTICE_DAYS} days",
                template="emails/access_ends_soon_admin.txt",
                context={"ending_user": user, "days": NOTICE_DAYS},
                about=user,
            )
            sent += 1
    return sent
