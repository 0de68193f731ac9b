"""Deactivate users who have not signed in for the practice's number of days (daily from cron;
`run_scheduled` does this too)."""

from django.core.management.base import BaseCommand
from django.template.defaultfilters import pluralize

from accounts.dormancy import dormant_digests_due, dormant_due


class Command(BaseCommand):
    help = "Deactivate dormant users (administrators and emergency accounts are warned)."

    def handle(self, *args, **options):
        run = dormant_due()
        digests = dormant_digests_due()
        deactivated, warned = len(run.deactivated), len(run.warned)
        self.stdout.write(
            f"Deactivated {deactivated} user{pluralize(deactivated)}; warned {warned}; "
            f"sent {digests} weekly digest{pluralize(digests)}."
        )
