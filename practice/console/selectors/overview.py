"""The security overview above the console's user list: counts, 14 days of sign-ins, and what
support staff did in the practice in the last week.

It is read on every load of the list (every page, sort and search), so it is not computed on
every load: the counts and today's sign-ins are kept for a minute under the practice's change
counter (practice.changes: an audited change to users or their access makes them old at once;
a sign-in does not, so today's sign-ins may be a minute old), and the 13 days before today,
which can no longer change, for the day.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Q, Window
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import User, UserSession, remote_access_live_q
from accounts.reviews import review_due_on
from mfa.selectors import has_second_factor_q
from practice.audit_words import audit_describe
from practice.changes import practice_version
from practice.console.charts import SigninChart, signin_chart
from practice.models import AuditEvent, Practice
from practice.policy import EXPIRY_WARNING_DAYS, practice_policy
from practice.vocabulary import AuditAction

OVERVIEW_DAYS = 14
FAILED_SIGNIN_DAYS = 7
# Support staff's changes: the last week's, the latest few named.
SUPPORT_DAYS = 7
SUPPORT_LATEST = 3
# How long counts may be kept when nothing audited happens (time alone changes some of them:
# a remote-access grant or a password reaching its end).
FRESH_SECONDS = 60
SIGNINS = (AuditAction.SIGNIN_SUCCEEDED, AuditAction.SIGNIN_FAILED)


@dataclass(frozen=True)
class SupportAction:
    """One thing support staff did in the practice, as the overview lists it."""

    at: datetime
    who: str
    what: str
    about: str


@dataclass
class Overview:
    locked: int
    remote_access: int
    without_2fa: int
    temporary_passwords: int
    expiring: int
    emergencies: int
    failed_signins: int
    chart: SigninChart
    review_due_on: date | None = None
    # What support staff did in the last SUPPORT_DAYS days: how many, and the latest few.
    support_actions: int = 0
    support_latest: list[SupportAction] = field(default_factory=list)


def security_overview(*, practice: Practice) -> Overview:
    """At most four queries after a change in the practice; none while nothing changes."""
    now = timezone.now()
    zone = practice.zone
    today = now.astimezone(zone).date()
    key = f"overview:{practice.pk}:{practice_version(practice.pk)}:{today}"
    fresh = cache.get(key)
    if fresh is None:
        due = review_due_on(practice)
        fresh = {
            "counts": _user_counts(practice, now),
            "today": _signins(practice, today, today),
            "review_due_on": due.isoformat() if due else None,
            "support": _support_actions(practice, now),
        }
        cache.set(key, fresh, FRESH_SECONDS)
    first_day = today - timedelta(days=OVERVIEW_DAYS - 1)
    past_key = f"overview-days:{practice.pk}:{today}"
    past = cache.get(past_key)
    if past is None:
        past = _signins(practice, first_day, today - timedelta(days=1))
        cache.set(past_key, past, 24 * 60 * 60)
    tally = {**past, **fresh["today"]}
    days = [first_day + timedelta(days=i) for i in range(OVERVIEW_DAYS)]
    per_day = [(day, *tally.get(day.isoformat(), (0, 0))) for day in days]
    failed_recent = sum(failed for _, _, failed in per_day[-FAILED_SIGNIN_DAYS:])
    due = fresh["review_due_on"]
    support_count, support_latest = fresh["support"]
    return Overview(
        **fresh["counts"],
        failed_signins=failed_recent,
        chart=signin_chart(per_day),
        review_due_on=date.fromisoformat(due) if due else None,
        support_actions=support_count,
        support_latest=support_latest,
    )


def _support_actions(practice: Practice, now: datetime) -> tuple[int, list[SupportAction]]:
    """How many events support staff caused in the last SUPPORT_DAYS days, and the latest
    SUPPORT_LATEST of them: one query (the count rides on each row as a window)."""
    rows = list(
        AuditEvent.objects.filter(
            practice=practice, created_at__gte=now - timedelta(days=SUPPORT_DAYS)
        )
        .by_support()
        .select_related("actor", "target")
        .annotate(total=Window(Count("id")))
        .order_by("-created_at", "-id")[:SUPPORT_LATEST]
    )
    latest = [
        SupportAction(
            at=event.created_at,
            who=event.actor.username,
            what=audit_describe(event.action, event.details, time_zone=practice.time_zone).action,
            about=event.target.username if event.target is not None else "",
        )
        for event in rows
    ]
    return (rows[0].total if rows else 0), latest


def _user_counts(practice: Practice, now: datetime) -> dict[str, int]:
    policy = practice_policy(practice)
    expiring = Q(pk__in=[])
    if policy.password_expiry_days:
        warn_from = now - timedelta(days=policy.password_expiry_days - EXPIRY_WARNING_DAYS)
        expiring = Q(password_changed_at__lte=warn_from, must_change_password=False) & ~Q(
            password__startswith=UNUSABLE_PASSWORD_PREFIX
        )
    emergency = Exists(
        UserSession.objects.filter(
            user_id=OuterRef("pk"), ended_at__isnull=True, emergency_until__gt=now
        )
    )
    return User.objects.filter(practice=practice, is_active=True).aggregate(
        locked=Count("pk", filter=Q(locked_at__isnull=False)),
        remote_access=Count("pk", filter=remote_access_live_q(now)),
        without_2fa=Count("pk", filter=~has_second_factor_q()),
        temporary_passwords=Count("pk", filter=Q(must_change_password=True)),
        expiring=Count("pk", filter=expiring),
        emergencies=Count("pk", filter=Q(emergency)),
    )


def _signins(practice: Practice, first: date, last: date) -> dict[str, tuple[int, int]]:
    """{"YYYY-MM-DD": (succeeded, failed)} for the days from `first` to `last`, one query."""
    if last < first:
        return {}
    zone = practice.zone
    rows = (
        AuditEvent.objects.filter(
            practice=practice,
            action__in=SIGNINS,
            created_at__gte=datetime.combine(first, time.min, tzinfo=zone),
            created_at__lt=datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone),
        )
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("day", "action")
        .annotate(n=Count("id"))
        .order_by()
    )
    tally: dict[str, list[int]] = {}
    for row in rows:
        counts = tally.setdefault(row["day"].isoformat(), [0, 0])
        counts[0 if row["action"] == AuditAction.SIGNIN_SUCCEEDED else 1] += row["n"]
    return {day: (succeeded, failed) for day, (succeeded, failed) in tally.items()}
