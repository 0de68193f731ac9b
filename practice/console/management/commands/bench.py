"""`manage.py bench [--json PATH]`: how fast the sign-in and the console are, on data of our own.

It creates a fresh database (a test database: in memory on SQLite, `bench_<name>_<pid>` on
PostgreSQL; the configured database is never touched), seeds a practice with thousands of users
and a long audit log, hashes with Argon2 as production does, and times real requests through
Django's test client. Every figure is a median of several runs.
"""

import json
import os
import statistics
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import check_password, make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections
from django.test import Client
from django.test.utils import (
    CaptureQueriesContext,
    override_settings,
    setup_databases,
    setup_test_environment,
    teardown_databases,
    teardown_test_environment,
)
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, User, UserSession
from accounts.sessions import session_stamp
from practice.console.selectors.audit import cursor_encode
from practice.models import AuditEvent, OfficeNetwork, Practice

GUARD = "accounts.middleware.SessionGuardMiddleware"
# Bench-only credentials for users that exist only in the throwaway database.
PASSWORD = "Bench-Mark-Horse-7!"  # noqa: S105
# A cheap signed-in page: the guard's share of its cost is what request_checks measures.
# (An action the bench never writes, so the page is cheap.)
REQUEST_CHECK_URL = "/console/audit/?action=mfa.code_opted_out"
ACTIONS = ["signin.succeeded", "signin.failed", "user.locked", "user.unlocked", "sessions.ended"]
KEYS = [
    ("signin_ratio", "x", "full sign-in POST / one bare Argon2 verify"),
    ("signin_queries", "", "queries of one sign-in POST"),
    ("list_queries", "", "queries of the console's user list"),
    ("list_vs_admin_ratio", "x", "console user list / Django admin's user changelist"),
    ("audit_page_ms", "ms", "console audit log, newest page"),
    ("audit_deep_page_ms", "ms", "console audit log, a page 90% down"),
    ("csv_rows_per_second", "rows/s", "streamed CSV export of the whole log"),
    ("request_checks_extra_queries", "", "queries SessionGuardMiddleware adds to a request"),
    ("request_checks_throughput_ratio", "x", "requests/s with the guard / without it"),
]


class _SessionRequest:
    def __init__(self, session):
        self.session = session


def median_seconds(action, repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def expect_ok(response) -> None:
    # A redirect or an error page would time the wrong thing.
    if response.status_code != 200:
        raise CommandError(f"{response.request['PATH_INFO']} answered {response.status_code}.")


def query_count(action) -> int:
    with CaptureQueriesContext(connection) as queries:
        action()
    return len(queries)


@contextmanager
def bench_database():
    """A fresh, migrated database for the run, dropped afterwards."""
    settings_dict = connections["default"].settings_dict
    if connections["default"].vendor != "sqlite":
        # Never the name the test suite uses, so a bench can run beside `pytest`.
        settings_dict["TEST"]["NAME"] = f"bench_{settings_dict['NAME']}_{os.getpid()}"
    setup_test_environment()
    old_config = setup_databases(
        verbosity=0, interactive=False, aliases={"default"}, serialized_aliases=set()
    )
    try:
        yield
    finally:
        teardown_databases(old_config, verbosity=0)
        teardown_test_environment()


class Command(BaseCommand):
    help = (
        "Seed a throwaway database and print how fast sign-in, the user list and the audit log are."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", dest="json_path", help="also write the figures here")
        parser.add_argument("--users", type=int, default=5000)
        parser.add_argument("--events", type=int, default=100_000)
        parser.add_argument("--repeat", type=int, default=7, help="runs per median")

    def handle(self, *args, json_path=None, users=5000, events=100_000, repeat=7, **options):
        if users < 1 or events < 1 or repeat < 1:
            raise CommandError("--users, --events and --repeat must be at least 1.")
        overrides = {
            # Production's hasher, whatever the settings in use (the test settings use MD5).
            "PASSWORD_HASHERS": [
                "django.contrib.auth.hashers.Argon2PasswordHasher",
                "django.contrib.auth.hashers.PBKDF2PasswordHasher",
            ],
            # The test client speaks plain HTTP and nothing here is collected for production.
            "SECURE_SSL_REDIRECT": False,
            "STORAGES": {
                **settings.STORAGES,
                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
            },
        }
        with bench_database(), override_settings(**overrides):
            self.stdout.write(f"Seeding {users} users and {events} audit events…")
            results, sizes = Bench(users=users, events=events, repeat=repeat).run()
        self.stdout.write("")
        self.stdout.write(f"{'measure':<34} {'value':>12}  what")
        for key, unit, text in KEYS:
            value = results[key]
            shown = f"{value:,.2f}" if isinstance(value, float) else f"{value:,}"
            self.stdout.write(f"{key:<34} {shown:>12} {unit:<6} {text}")
        if json_path:
            payload = {**results, "sizes": sizes}
            Path(json_path).write_text(json.dumps(payload, indent=2) + "\n")
            self.stdout.write(f"\nWrote {json_path}")


class Bench:
    def __init__(self, *, users: int, events: int, repeat: int):
        self.users = users
        self.events = events
        self.repeat = repeat

    def run(self) -> tuple[dict, dict]:
        self.seed()
        results = {}
        results.update(self.signin())
        results.update(self.user_list())
        results.update(self.audit())
        results.update(self.request_checks())
        sizes = {
            "users": self.users,
            "events": self.events,
            "repeat": self.repeat,
            "database": connection.vendor,
        }
        return results, sizes

    # --- Data ---------------------------------------------------------------------------

    def seed(self) -> None:
        now = timezone.now()
        self.practice = Practice.objects.create(code="bench", name="Bench Family Practice")
        # The test client's address: every sign-in is an office one, so no second factor.
        OfficeNetwork.objects.create(practice=self.practice, cidr="127.0.0.0/8")
        self.encoded = make_password(PASSWORD)
        people = [
            User(
                practice=self.practice,
                username=f"user{i:06d}",
                first_name=f"First{i % 97}",
                last_name=f"Last{i:06d}",
                email=f"user{i:06d}@bench.test",
                password=self.encoded,
                password_changed_at=now - timedelta(days=i % 100),
                locked_at=now if i % 50 == 0 else None,
                pm_username="PM" if i % 20 == 0 else "",
                remote_access=i % 20 == 0,
                last_login=now - timedelta(hours=i % 500),
            )
            for i in range(self.users)
        ]
        people[0].username, people[0].role, people[0].locked_at = "admin", Role.ADMIN, None
        people[1].username, people[1].locked_at = "signer", None
        created = User.objects.bulk_create(people, batch_size=1000)
        self.admin = User.objects.get(practice=self.practice, username="admin")
        TOTPDevice.objects.bulk_create(
            (TOTPDevice(user=user, name="Phone", confirmed=True) for user in created[2::3]),
            batch_size=1000,
        )
        self.staff = User.objects.create(
            practice=None,
            username="support",
            is_staff=True,
            is_superuser=True,
            password=self.encoded,
        )
        targets = [user.pk for user in created]
        start = now - timedelta(days=90)
        step = timedelta(days=90) / self.events
        batch = []
        for i in range(self.events):
            batch.append(
                AuditEvent(
                    practice=self.practice,
                    target_id=targets[i % len(targets)],
                    action=ACTIONS[i % len(ACTIONS)],
                    details={"n": i, "zone": "office"},
                    ip_address="10.0.0.1",
                    created_at=start + step * i,
                )
            )
            if len(batch) == 5000:
                AuditEvent.objects.bulk_create(batch)
                batch = []
        AuditEvent.objects.bulk_create(batch)
        # Planner statistics, as a live database has them (autovacuum has not run yet on rows
        # inserted a second ago, and without them PostgreSQL can pick a worse plan).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    def signed_in_client(self, username: str) -> Client:
        client = Client()
        response = client.post(
            f"/p/{self.practice.code}/login/", {"username": username, "password": PASSWORD}
        )
        if SESSION_KEY not in client.session:
            raise CommandError(
                f"The bench user could not sign in (status {response.status_code}); "
                "is the sign-in pipeline complete?"
            )
        return client

    def staff_client(self) -> Client:
        """Support staff, signed in as the pipeline leaves them: stamped, second factor passed."""
        client = Client()
        client.force_login(self.staff)
        device = TOTPDevice.objects.create(user=self.staff, name="Key", confirmed=True)
        session = client.session
        session_stamp(_SessionRequest(session), zone="office", second_factor=device.persistent_id)
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        now = timezone.now()
        UserSession.objects.create(
            user=self.staff,
            session_key=session.session_key,
            zone="office",
            created_at=now,
            last_activity=now,
        )
        return client

    # --- Measures -----------------------------------------------------------------------

    def signin(self) -> dict:
        bare = median_seconds(lambda: check_password(PASSWORD, self.encoded), self.repeat)
        full = median_seconds(lambda: self.signed_in_client("signer"), self.repeat)
        client = Client()
        queries = query_count(
            lambda: client.post(
                f"/p/{self.practice.code}/login/", {"username": "signer", "password": PASSWORD}
            )
        )
        return {"signin_ratio": round(full / bare, 3), "signin_queries": queries}

    def user_list(self) -> dict:
        admin = self.signed_in_client("admin")
        staff = self.staff_client()

        def ours():
            expect_ok(admin.get("/console/"))

        def django_admin():
            expect_ok(staff.get("/admin/accounts/user/"))

        ours(), django_admin()  # warm up: templates compiled, caches filled
        queries = query_count(ours)
        ratio = median_seconds(ours, self.repeat) / median_seconds(django_admin, self.repeat)
        return {"list_queries": queries, "list_vs_admin_ratio": round(ratio, 3)}

    def audit(self) -> dict:
        admin = self.signed_in_client("admin")
        deep = AuditEvent.objects.filter(practice=self.practice).order_by("-created_at", "-id")[
            int(self.events * 0.9)
        ]
        deep_url = f"/console/audit/?before={cursor_encode(deep)}"
        expect_ok(admin.get("/console/audit/"))
        first_page = median_seconds(lambda: expect_ok(admin.get("/console/audit/")), self.repeat)
        deep_page = median_seconds(lambda: expect_ok(admin.get(deep_url)), self.repeat)

        start = time.perf_counter()
        response = admin.get("/console/audit/export.csv")
        rows = sum(chunk.count(b"\n") for chunk in response.streaming_content) - 1
        elapsed = time.perf_counter() - start
        return {
            "audit_page_ms": round(first_page * 1000, 2),
            "audit_deep_page_ms": round(deep_page * 1000, 2),
            "csv_rows_per_second": round(rows / elapsed, 1),
        }

    def request_checks(self) -> dict:
        """One cheap signed-in page, with and without the per-request session checks.

        A test client builds its middleware chain on its first request and keeps it, so the
        client without the guard makes its first request inside override_settings. The two are
        timed in turn, so a busy machine slows both alike.
        """
        guarded = self.signed_in_client("admin")
        without = [name for name in settings.MIDDLEWARE if name != GUARD]
        with override_settings(MIDDLEWARE=without):
            bare = Client()
            bare.cookies = guarded.cookies
            expect_ok(bare.get(REQUEST_CHECK_URL))
        expect_ok(guarded.get(REQUEST_CHECK_URL))
        extra = query_count(lambda: expect_ok(guarded.get(REQUEST_CHECK_URL))) - query_count(
            lambda: expect_ok(bare.get(REQUEST_CHECK_URL))
        )
        with_guard, without_guard = [], []
        for _ in range(self.repeat * 5):
            with_guard.append(median_seconds(lambda: guarded.get(REQUEST_CHECK_URL), 1))
            without_guard.append(median_seconds(lambda: bare.get(REQUEST_CHECK_URL), 1))
        ratio = statistics.median(without_guard) / statistics.median(with_guard)
        return {
            "request_checks_extra_queries": extra,
            "request_checks_throughput_ratio": round(ratio, 3),
        }
