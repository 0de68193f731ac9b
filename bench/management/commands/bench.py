"""`manage.py bench [--json PATH]`: how fast the sign-in and the console are, on data of our own.

It creates a fresh database (on PostgreSQL `bench_<name>_<pid>` on the configured server, on
SQLite a temporary file; the configured database is never touched), seeds a practice with
thousands of users and a long audit log, hashes with production's Argon2, and times real
requests. bench.measures says what each figure is and how it is measured; each measure's
module lists its rows of the table.
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

from bench.database import bench_database
from bench.measures import run, table_keys
from bench.measures.base import Options
from bench.statements import Statements
from config import settings as production_settings


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
        parser.add_argument(
            "--rush",
            type=int,
            default=0,
            metavar="SECONDS",
            help="the morning rush: whole sign-ins through 2 gunicorn servers at the knee "
            "for this long, against the bare Argon2 ceiling (bench.measures.rush)",
        )

    def handle(self, *args, json_path=None, **options):
        if options["users"] < 1 or options["events"] < 1 or options["repeat"] < 1:
            raise CommandError("--users, --events and --repeat must be at least 1.")
        if options["rush"] < 0:
            raise CommandError("--rush takes a number of seconds.")
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
            rush=options["rush"],
        )
        with bench_database(), override_settings(**overrides), quiet():
            self.stdout.write(
                f"Seeding {bench_options.users:,} users and {bench_options.events:,} audit "
                f"events on {connections['default'].vendor}…"
            )
            results, sizes, detail = run(bench_options, say=self.stdout.write)
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
        self.stdout.write(
            f"Load average (1 minute) on {sizes['cpus']} cores: {sizes['load_before']:.2f} "
            f"at the start, {sizes['load_after']:.2f} at the end"
            + (" (the rush's own sign-ins)." if sizes["rush_seconds"] else ".")
        )
        # The rush loads every core itself: only the start says whether others were busy.
        load = sizes["load_before"]
        if not sizes["rush_seconds"]:
            load = max(load, sizes["load_after"])
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
        for key, unit, text in table_keys(options):
            value = results[key]
            shown = f"{value:,.2f}" if isinstance(value, float) else f"{value:,}"
            self.stdout.write(f"{key:<36} {shown:>12} {unit:<6} {text}")

    def statements(self, title: str, texts: list[str]) -> None:
        kinds = Statements(texts).by_kind
        summary = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
        self.stdout.write(f"\n{title} {len(texts)} statements ({summary}):")
        for text in texts:
            self.stdout.write(f"  {text[:150]}")
