"""The security overview above the console's user list: counts, and 14 days of sign-ins."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import User
from practice.console.charts import SigninChart, signin_chart
from practice.console.selectors.statuses import has_second_factor_q, remote_access_now_q
from practice.models import AuditEvent, Practice
from practice.policy import EXPIRY_WARNING_DAYS, practice_policy
from practice.vocabulary import AuditAction

OVERVIEW_DAYS = 14
FAILED_SIGNIN_DAYS = 7


@dataclass
class Overview:
    locked: int
    remote_access: int
    without_2fa: int
    temporary_passwords: int
    expiring: int
    failed_signins: int
    chart: SigninChart


def security_overview(*, practice: Practice) -> Overview:
    """Counts over the practice's active users and 14 days of sign-ins: three queries."""
    now = timezone.now()
    policy = practice_policy(practice)
    expiring = Q(pk__in=[])
    if policy.password_expiry_days:
        warn_from = now - timedelta(days=policy.password_expiry_days - EXPIRY_WARNING_DAYS)
        expiring = Q(password_changed_at__lte=warn_from, must_change_password=False) & ~Q(
            password__startswith=UNUSABLE_PASSWORD_PREFIX
        )
    counts = User.objects.filter(practice=practice, is_active=True).aggregate(
        locked=Count("pk", filter=Q(locked_at__isnull=False)),
        remote_access=Count("pk", filter=remote_access_now_q(now)),
        without_2fa=Count("pk", filter=~has_second_factor_q()),
        temporary_passwords=Count("pk", filter=Q(must_change_password=True)),
        expiring=Count("pk", filter=expiring),
    )
    zone = ZoneInfo(practice.time_zone)
    today = now.astimezone(zone).date()
    first_day = today - timedelta(days=OVERVIEW_DAYS - 1)
    since = datetime.combine(first_day, time.min, tzinfo=zone)
    per_day = (
        AuditEvent.objects.filter(
            practice=practice,
            action__in=[AuditAction.SIGNIN_SUCCEEDED, AuditAction.SIGNIN_FAILED],
            created_at__gte=since,
        )
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("day", "action")
        .annotate(n=Count("id"))
        .order_by()
    )
    tally: dict[tuple[date, str], int] = {}
    for row in per_day:
        tally[(row["day"], row["action"])] = row["n"]
    failed_recent = AuditEvent.objects.filter(
        practice=practice,
        action=AuditAction.SIGNIN_FAILED,
        created_at__gte=now - timedelta(days=FAILED_SIGNIN_DAYS),
    ).count()
    days = [first_day + timedelta(days=i) for i in range(OVERVIEW_DAYS)]
    chart = signin_chart(
        [
            (
                day,
                tally.get((day, AuditAction.SIGNIN_SUCCEEDED), 0),
                tally.get((day, AuditAction.SIGNIN_FAILED), 0),
            )
            for day in days
        ]
    )
    return Overview(**counts, failed_signins=failed_recent, chart=chart)
