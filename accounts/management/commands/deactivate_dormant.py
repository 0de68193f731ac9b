"""Deactivate users who have not signed in for the practice's number of days (daily from cron;
`run_scheduled` does this too)."""

from django.core.management.base import BaseCommand

from accounts.dormancy import dormant_digests_due, dormant_due


class Command(BaseCommand):
    help = "Deactivate dormant users (administrators and emergency accounts are warned)."

    def handle(self, *args, **options):
        run = dormant_due()
        digests = dormant_digests_due()
        self.stdout.write(
            f"Deactivated {len(run.deactivated)} user(s); warned {len(run.warned)}; "
            f"sent {digests} weekly digest(s)."
        )
