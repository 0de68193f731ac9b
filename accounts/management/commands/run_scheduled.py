"""Everything that runs by itself, once: run it from cron, e.g. every 5 minutes:

    */5 * * * *  cd /srv/practicegate && .venv/bin/python manage.py run_scheduled

(see accounts.scheduled for what it does; each step is idempotent).
"""

from django.core.management.base import BaseCommand

from accounts.scheduled import run_scheduled


class Command(BaseCommand):
    help = (
        "Carry out what is due: time-limited remote access, end dates, dormant accounts, "
        "access reviews and their notices. Safe to run as often as you like."
    )

    def handle(self, *args, **options):
        for line in run_scheduled().lines():
            self.stdout.write(line)
