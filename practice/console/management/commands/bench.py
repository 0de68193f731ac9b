"""`manage.py bench [--json PATH]`: how fast the sign-in and the console are, on data of our own.

It creates a fresh database (on PostgreSQL `bench_<name>_<pid>` on the configured server, on
SQLite a temporary file; the configured database is never touched), seeds a practice with
thousands of users and a long audit log, hashes with production's Argon2, and times real
requests. practice.console.bench says what each figure is and how it is measured.
"""

import json
import logging
import warnings
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.test.utils import override_settings

from config import settings as production_settings
from practice.console.bench.database import bench_database
from practice.console.bench.measures import Bench, Options, scale_label
from practice.console.bench.oidc import KEYS as OIDC_KEYS
from practice.console.bench.statements import Statements

# (key, unit, what it is), in the order of the table.
KEYS = [
    ("signin_ratio", "x", "sign-in POST / bare Argon2 verify of the same hash (paired)"),
    ("signin_cpu_ratio", "x", "the same in CPU time of this process (steady under load)"),
    ("signin_ms", "ms", "one sign-in POST"),
    ("verify_ms", "ms", "one bare Argon2 verify"),
    ("signin_cpu_ms", "ms", "CPU time of one sign-in POST in the app's process"),
    ("verify_cpu_ms", "ms", "CPU time of one bare Argon2 verify"),
    ("signin_queries", "", "statements of one sign-in POST, transaction control included"),
    ("signin_transaction_statements", "", "of which BEGIN/COMMIT/SAVEPOINT/RELEASE"),
    ("signin_queries_django", "", "what django_assert_num_queries sees of it"),
    ("list_queries", "", "statements of the console user list (administrator)"),
    ("list_queries_django", "", "what django_assert_num_queries sees of it"),
    ("list_manager_queries", "", "statements of the list without the overview (user manager)"),
    ("admin_list_queries", "", "statements of Django admin's like-for-like changelist"),
    ("list_vs_admin_ratio", "x", "console user list (administrator) / admin changelist (paired)"),
    ("list_manager_vs_admin_ratio", "x", "the list without the overview / admin changelist"),
    ("list_ms", "ms", "console user list, administrator's page"),
    ("list_manager_ms", "ms", "console user list, user manager's page"),
    ("admin_list_ms", "ms", "Django admin's changelist of the same rows and columns"),
    ("audit_page_ms", "ms", "console audit log, newest page"),
    ("audit_deep_page_ms", "ms", "console audit log, a page 90% down"),
    ("audit_search_ms", "ms", 'audit log search, a common word ("locked")'),
    ("audit_search_user_ms", "ms", "audit log search, one user's name (few events)"),
    ("audit_search_none_ms", "ms", "audit log search matching nothing (every event read)"),
    ("csv_rows_per_second", "rows/s", "CSV export of the whole log, in process"),
    ("csv_rows_per_second_gunicorn", "rows/s", "CSV export of the whole log through gunicorn"),
    ("csv_rows_gunicorn", "rows", "rows it streamed"),
    ("csv_seconds_gunicorn", "s", "how long it took"),
    ("csv_mib_gunicorn", "MiB", "how much it sent"),
    ("csv_complete_gunicorn", "", "1 if every row arrived"),
    ("csv_peak_mib", "MiB", "peak resident memory of the worker that served it (VmHWM)"),
    ("csv_worker_before_mib", "MiB", "what that worker held before the export (VmRSS)"),
    ("csv_worker_killed", "", "1 if gunicorn killed a worker during the export"),
    ("csv_1m_seconds", "s", "a 1,000,000-row export (measured, or at the measured rate)"),
    ("csv_1m_measured", "", "1 if the log had a million rows (else projected from the rate)"),
    ("csv_1m_within_timeout", "", "1 if that finishes within gunicorn's timeout"),
    ("gunicorn_timeout_seconds", "s", "gunicorn's worker timeout (its default)"),
    ("auth_verify_ratio_windows", "x", "/auth/verify/s with the guard / without, login windows"),
    ("auth_verify_ratio_plain", "x", "/auth/verify/s with the guard / without, no windows"),
    ("page_checks_ratio", "x", "a console page/s with the guard / without"),
    ("auth_verify_extra_queries_windows", "", "statements the guard adds, login windows"),
    ("auth_verify_extra_queries_plain", "", "statements the guard adds, no windows"),
    ("page_checks_extra_queries", "", "statements the guard adds to a page"),
    ("request_checks_extra_queries", "", "= page_checks_extra_queries (the older name)"),
    ("request_checks_throughput_ratio", "x", "= page_checks_ratio (the older name)"),
    *OIDC_KEYS,
]
# The list's figures, again for each of --scales (the key with a suffix: list_ms_100k).
SCALE_KEYS = [
    *(
        (key, unit, text)
        for key, unit, text in KEYS
        if key.startswith(("list_", "admin_list_")) and not key.startswith("list_growth")
    ),
    ("list_growth", "x", "the administrator's list here / at --users (paired)"),
]


@contextmanager
def quiet():
    """The audit log's copy in the log (one JSON line an event) would drown the table; the
    servers the bench starts log warnings only, too."""
    audit_logger = logging.getLogger("practice.audit")
    level = audit_logger.level
    audit_logger.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            # WhiteNoise looks for collected static files; the bench fetches none.
            warnings.filterwarnings("ignore", "No directory at", UserWarning)
            yield
    finally:
        audit_logger.setLevel(level)


def user_counts(text: str) -> list[int]:
    try:
        counts = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise CommandError("--scales takes user counts separated by commas.") from None
    if any(count < 1 for count in counts):
        raise CommandError("--scales takes positive user counts.")
    return counts


class Command(BaseCommand):
    help = (
        "Seed a throwaway database and print how fast sign-in, the user list, the audit log "
        "and its export are."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", dest="json_path", help="also write the figures here")
        parser.add_argument("--users", type=int, default=5000, help="users of the practice")
        parser.add_argument("--events", type=int, default=100_000, help="its audit events")
        parser.add_argument(
            "--repeat", type=int, default=15, help="pairs per ratio and runs per median"
        )
        parser.add_argument("--warmup", type=int, default=3, help="untimed runs before each")
        parser.add_argument(
            "--scales",
            type=user_counts,
            default=[],
            help="more user counts for the list, comma-separated (e.g. 100000): each in a "
            "practice of its own with as many audit events",
        )
        parser.add_argument(
            "--postgres",
            action="store_true",
            help="refuse to run unless DATABASE_URL names a PostgreSQL server",
        )
        parser.add_argument(
            "--explain", action="store_true", help="print the query plans of the list and log"
        )

    def handle(self, *args, json_path=None, **options):
        if options["users"] < 1 or options["events"] < 1 or options["repeat"] < 1:
            raise CommandError("--users, --events and --repeat must be at least 1.")
        if options["warmup"] < 0:
            raise CommandError("--warmup cannot be negative.")
        if options["postgres"] and connections["default"].vendor != "postgresql":
            raise CommandError(
                "--postgres: DATABASE_URL names a "
                f"{connections['default'].vendor} database; set it to postgres://… "
                "(the bench makes a bench_* database of its own on that server)."
            )
        overrides = {
            # Production's hashers, whatever the settings in use (the test settings use MD5).
            "PASSWORD_HASHERS": production_settings.PASSWORD_HASHERS,
            # The test client speaks plain HTTP and nothing here is collected for production.
            "SECURE_SSL_REDIRECT": False,
            "STORAGES": {
                **settings.STORAGES,
                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
            },
        }
        bench_options = Options(
            users=options["users"],
            events=options["events"],
            repeat=options["repeat"],
            warmup=options["warmup"],
            scales=options["scales"],
            explain=options["explain"],
        )
        with bench_database(), override_settings(**overrides), quiet():
            self.stdout.write(
                f"Seeding {bench_options.users:,} users and {bench_options.events:,} audit "
                f"events on {connections['default'].vendor}…"
            )
            results, sizes, detail = Bench(bench_options, say=self.stdout.write).run()
        self.table(results, bench_options)
        self.statements("A sign-in POST sent", detail["signin_statements"])
        self.statements("The user list sent", detail["list_statements"]["bench"])
        for plan in detail.get("plans", []):
            self.stdout.write(
                f"\n{plan['practice']} {plan['url']} ({plan['seconds'] * 1000:.1f} ms):\n"
                f"{plan['sql']}\n{plan['plan']}"
            )
        self.stdout.write(
            f"\nSeeding took {sizes['seed_seconds']} s, the whole run {sizes['total_seconds']} s."
        )
        load = max(sizes["load_before"], sizes["load_after"])
        if load > sizes["cpus"]:
            self.stdout.write(
                f"The machine was busy (load {load:.1f} on {sizes['cpus']} cores): times, and "
                "the wall-time ratios of requests that wait on the database, come out high."
            )
        if json_path:
            payload = {**results, "sizes": sizes, "detail": detail}
            Path(json_path).write_text(json.dumps(payload, indent=2) + "\n")
            self.stdout.write(f"Wrote {json_path}")

    def table(self, results: dict, options: Options) -> None:
        self.stdout.write("")
        self.stdout.write(f"{'figure':<36} {'value':>12}  what")
        rows = list(KEYS)
        for users in options.scales:
            label = scale_label(users)
            rows += [
                (f"{key}_{label}", unit, f"{text}, {users:,} users")
                for key, unit, text in SCALE_KEYS
            ]
        for key, unit, text in rows:
            value = results[key]
            shown = f"{value:,.2f}" if isinstance(value, float) else f"{value:,}"
            self.stdout.write(f"{key:<36} {shown:>12} {unit:<6} {text}")

    def statements(self, title: str, texts: list[str]) -> None:
        kinds = Statements(texts).by_kind
        summary = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
        self.stdout.write(f"\n{title} {len(texts)} statements ({summary}):")
        for text in texts:
            self.stdout.write(f"  {text[:150]}")
