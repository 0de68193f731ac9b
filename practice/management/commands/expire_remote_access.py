"""End time-limited remote access whose "until" has passed. Run it from cron, e.g. every 5 minutes.

Sign-in and the per-request session check can call remote_access_lapse_due(user=...) to end
one user's grant the moment it passes; this command ends everyone's, with an audit event each.
"""

from django.core.management.base import BaseCommand

from accounts.remote_access import remote_access_lapse_due


class Command(BaseCommand):
    help = "Remove remote access whose time limit has passed (audited)."

    def handle(self, *args, **options):
        lapsed = remote_access_lapse_due()
        self.stdout.write(f"Remote access ended for {lapsed} user(s).")
