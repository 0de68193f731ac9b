"""What runs by itself, in one place: `python manage.py run_scheduled` from cron (every few
minutes is right; once a day is enough). Every step is idempotent: running it twice, or two at
once, does each thing once."""

from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.access_end import access_end_notices_due, access_ends_due
from accounts.dormancy import dormant_digests_due, dormant_due
from accounts.remote_access import remote_access_lapse_due
from accounts.reviews import reviews_lapse_due, reviews_start_due
from accounts.support_digest import support_digests_due


@dataclass
class ScheduledRun:
    remote_access_lapsed: int
    access_ended: int
    access_end_notices: int
    dormant_deactivated: int
    dormant_warned: int
    dormant_digests: int
    reviews_started: int
    review_items_lapsed: int
    support_digests: int
    # The lines of the steps that live above accounts (settings.SCHEDULED_STEPS).
    more: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"Time-limited remote access ended: {self.remote_access_lapsed}",
            f"Access ended (end date reached): {self.access_ended}",
            f"Administrators told of an end date 7 days away: {self.access_end_notices}",
            f"Deactivated after days without sign-in: {self.dormant_deactivated}",
            f"Warned (administrators, emergency access accounts): {self.dormant_warned}",
            f"Weekly digests of unused accounts sent: {self.dormant_digests}",
            f"Access reviews started: {self.reviews_started}",
            f"Review items removed, not reviewed in time: {self.review_items_lapsed}",
            f"Daily emails of what support changed: {self.support_digests}",
            *self.more,
        ]


def run_scheduled() -> ScheduledRun:
    now = timezone.now()
    dormant = dormant_due(now=now)
    return ScheduledRun(
        remote_access_lapsed=remote_access_lapse_due(now=now),
        access_ended=access_ends_due(now=now),
        access_end_notices=access_end_notices_due(now=now),
        dormant_deactivated=len(dormant.deactivated),
        dormant_warned=len(dormant.warned),
        dormant_digests=dormant_digests_due(now=now),
        reviews_started=reviews_start_due(now=now),
        review_items_lapsed=reviews_lapse_due(now=now),
        support_digests=support_digests_due(now=now),
        more=[import_string(path)(now=now) for path in getattr(settings, "SCHEDULED_STEPS", [])],
    )
