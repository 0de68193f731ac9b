"""What support staff changed in a practice, told to its administrators once a day.

Support's changes are audited like anyone's and sit in the practice's own log (the actor is a
staff member, who belongs to no practice), but nobody is told. Once a day, after the practice's
day has ended (in its time zone), whoever may manage roles there gets one email listing what
support did that day, in the audit log's words. Nothing is sent for a day without any.

Each day's email is sent once, however often the scheduled job runs and however many run at
once: the practice's row is claimed for the day with a conditional UPDATE
(Practice.support_digest_sent_for) before anything is sent, as accounts.access_end claims its
notices. A day the job did not run is told with the next (a week back at most).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.notices import admins_notify
from practice.audit_words import audit_describe
from practice.links import site_link
from practice.models import AuditEvent, Practice
from practice.vocabulary import Permission

# The furthest back a late digest reaches (days the job did not run at all).
CATCH_UP_DAYS = 7


@dataclass(frozen=True)
class DigestLine:
    at: datetime  # in the practice's zone
    who: str
    what: str
    about: str


def _lines(practice: Practice, start: datetime, end: datetime) -> list[DigestLine]:
    events = (
        AuditEvent.objects.filter(practice=practice, created_at__gte=start, created_at__lt=end)
        .by_support()
        .select_related("actor", "target")
        .order_by("created_at", "id")
    )
    zone = practice.zone
    return [
        DigestLine(
            at=event.created_at.astimezone(zone),
            who=f"support ({event.actor.username})",
            what=audit_describe(event.action, event.details, time_zone=practice.time_zone).text,
            about=event.target.username if event.target is not None else "",
        )
        for event in events
    ]


def support_digest_claim(practice: Practice, day: date) -> bool:
    """Take the practice's digest up to `day` for this run; False if another run has."""
    return bool(
        Practice.objects.filter(pk=practice.pk)
        .filter(Q(support_digest_sent_for__isnull=True) | Q(support_digest_sent_for__lt=day))
        .update(support_digest_sent_for=day)
    )


def support_digests_due(*, now: datetime | None = None) -> int:
    """Send each practice its email of support's changes for the days that have ended since
    the last one; returns how many practices were sent one."""
    now = now or timezone.now()
    # No practice's yesterday is later than UTC's today: the rest were told already.
    utc_today = now.astimezone(UTC).date()
    candidates = Practice.objects.filter(
        Q(support_digest_sent_for__isnull=True) | Q(support_digest_sent_for__lt=utc_today)
    )
    sent = 0
    for practice in candidates:
        yesterday = practice.today(now) - timedelta(days=1)
        last = practice.support_digest_sent_for
        if last is not None and last >= yesterday:
            continue
        first = yesterday if last is None else last + timedelta(days=1)
        first = max(first, yesterday - timedelta(days=CATCH_UP_DAYS - 1))
        if not support_digest_claim(practice, yesterday):
            continue
        zone = practice.zone
        start = datetime.combine(first, time.min, tzinfo=zone)
        end = datetime.combine(yesterday + timedelta(days=1), time.min, tzinfo=zone)
        lines = _lines(practice, start, end)
        if not lines:
            continue
        with timezone.override(zone):  # the email's times read in the practice's zone
            _notify(practice, lines, first, yesterday)
        sent += 1
    return sent


def _notify(practice: Practice, lines: list[DigestLine], first: date, last: date) -> None:
    admins_notify(
        permission=Permission.MANAGE_ROLES,
        practice_id=practice.pk,
        subject=f"PracticeGate: what support changed at {practice.name}",
        template="emails/support_digest_admin.txt",
        context={
            "lines": lines,
            "first": first,
            "last": last,
            "time_zone": practice.time_zone.replace("_", " "),
            "audit_link": site_link(reverse("console:audit") + "?by=support"),
        },
    )
