"""python manage.py bench [--json PATH]: seed a fresh database and print the performance table."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import connection

from practice.bench import measure

LABELS = [
    ("signin_ratio", "sign-in request / one bare Argon2 verify (medians)", "{:.2f}x"),
    ("argon2_verify_ms", "  bare Argon2 verify", "{:.1f} ms"),
    ("signin_ms", "  sign-in POST, whole request", "{:.1f} ms"),
    ("signin_queries", "queries for one sign-in", "{:d}"),
    ("list_queries", "queries for the console user list", "{:d}"),
    ("list_vs_admin_ratio", "console list / Django admin changelist (medians)", "{:.2f}x"),
    ("list_ms", "  console user list", "{:.1f} ms"),
    ("admin_changelist_ms", "  Django admin user changelist", "{:.1f} ms"),
    ("audit_page_ms", "console audit log page (median)", "{:.1f} ms"),
    ("csv_rows_per_second", "audit CSV export", "{:,.0f} rows/s"),
    ("request_checks_extra_queries", "extra queries per request for the session checks", "{:d}"),
    (
        "request_checks_throughput_ratio",
        "throughput with the session checks / without",
        "{:.2f}",
    ),
]


class Command(BaseCommand):
    help = "Seed a fresh database of its own and print the performance table."

    def add_arguments(self, parser):
        parser.add_argument("--json", dest="json_path", help="Also write the figures here.")
        parser.add_argument("--users", type=int, default=5000)
        parser.add_argument("--events", type=int, default=100_000)
        parser.add_argument("--rounds", type=int, default=15)

    def handle(self, *args, json_path=None, users, events, rounds, **options):
        # A database of its own: the configured one is never touched.
        old_name = connection.settings_dict["NAME"]
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            self.stdout.write(f"Seeding {users:,} users and {events:,} audit events...")
            figures = measure(users=users, events=events, rounds=rounds)
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
        self.stdout.write(f"\n{'measure':<58} value")
        self.stdout.write("-" * 72)
        for key, label, fmt in LABELS:
            value = figures[key]
            self.stdout.write(f"{label:<58} {fmt.format(value)}")
        if json_path:
            Path(json_path).write_text(json.dumps(figures, indent=2) + "\n")
            self.stdout.write(f"\nWrote {json_path}")
