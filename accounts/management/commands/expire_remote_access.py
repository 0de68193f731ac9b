"""End time-limited remote access whose "until" has passed. Run it from cron, e.g. every 5 minutes.

Sign-in and the per-request session check end a user's grant when that user comes back
(accounts.remote_access.remote_access_allowed); this ends everyone else's, audited each.
"""

from django.core.management.base import BaseCommand
from django.template.defaultfilters import pluralize

from accounts.remote_access import remote_access_lapse_due


class Command(BaseCommand):
    help = "Remove remote access whose time limit has passed (audited)."

    def handle(self, *args, **options):
        lapsed = remote_access_lapse_due()
        self.stdout.write(f"Remote access ended for {lapsed} user{pluralize(lapsed)}.")
