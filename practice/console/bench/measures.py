"""The bench's figures: what is measured, on what, and how.

Requests go through Django's test client in this process (the whole middleware chain, URL
resolution, views and templates; no sockets), except the CSV export, which is also streamed
through a real gunicorn to see its speed, the worker's memory and gunicorn's timeout.

- Ratios: `timing.paired` (a warm-up, then interleaved pairs, the median of the per-pair ratios).
- Times in ms: medians after the same warm-up.
- Queries: every statement sent to the database server, transaction control and Django's
  per-request connection health check included (`statements`); the `_django` figures are what
  `django_assert_num_queries` sees, for comparison with the tests.
"""

import http.client
import os
import re
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import check_password
from django.core.management.base import CommandError
from django.db import close_old_connections, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.middleware import SessionGuardMiddleware
from accounts.models import UserSession
from accounts.sessions import session_stamp
from practice.console.bench import seed, server
from practice.console.bench.database import database_url
from practice.console.bench.oidc import oidc_figures
from practice.console.bench.statements import Statements, statements_sent
from practice.console.bench.timing import median_ms, paired, timed
from practice.console.bench.urls import changelist_url
from practice.console.selectors.audit import cursor_encode
from practice.models import AuditEvent

MAIN_PRACTICE = "bench"
# A cheap signed-in page: the guard's share of its cost is what the page check measures.
# (An action the bench never writes, so the page is cheap.)
PAGE_URL = "/console/audit/?action=mfa.code_opted_out"
VERIFY_URL = "/auth/verify"
LIST_URL = "/console/"
EXPORT_URL = "/console/audit/export.csv"
MILLION = 1_000_000
_DECLARE_CURSOR = re.compile(r"^\s*DECLARE .+? CURSOR (?:WITH(?:OUT)? HOLD )?FOR ", re.DOTALL)


@dataclass
class Options:
    users: int
    events: int
    repeat: int  # pairs per ratio, runs per median
    warmup: int
    scales: list[int] = field(default_factory=list)  # more user counts for the list
    explain: bool = False


class _SessionRequest:
    def __init__(self, session):
        self.session = session


def expect_ok(response) -> None:
    # A redirect or an error page would time the wrong thing.
    if response.status_code != 200:
        raise CommandError(f"{response.request['PATH_INFO']} answered {response.status_code}.")


def scale_label(users: int) -> str:
    return f"{users // 1000}k" if users % 1000 == 0 else str(users)


class Bench:
    def __init__(self, options: Options, say: Callable[[str], None]):
        self.options = options
        self.say = say
        self.results: dict[str, float | int] = {}
        self.detail: dict = {}
        self.practices: dict[str, seed.SeededPractice] = {}

    def run(self) -> tuple[dict, dict, dict]:
        started = time.perf_counter()
        load_before = os.getloadavg()[0]
        self.seed()
        self.signin()
        self.user_list()
        self.audit()
        self.request_checks()
        self.figures(**oidc_figures(self))
        self.export_through_gunicorn()
        if self.options.explain:
            self.explain(MAIN_PRACTICE)
        for users in self.options.scales:
            code = self.user_list_at_scale(users)
            if self.options.explain:
                self.explain(code)
        sizes = {
            "users": self.options.users,
            "events": self.options.events,
            "repeat": self.options.repeat,
            "warmup": self.options.warmup,
            "scales": self.options.scales,
            "database": connection.vendor,
            "database_version": ".".join(map(str, connection.get_database_version())),
            "seed_seconds": round(self.seed_seconds, 1),
            # How busy the machine was (1-minute load average) at the start and at the end.
            "cpus": os.cpu_count(),
            "load_before": round(load_before, 2),
            "load_after": round(os.getloadavg()[0], 2),
            "total_seconds": round(time.perf_counter() - started, 1),
        }
        return self.results, sizes, self.detail

    def figures(self, **values) -> None:
        for key, value in values.items():
            self.results[key] = round(value, 3) if isinstance(value, float) else value

    # --- Data ---------------------------------------------------------------------------

    def seed(self) -> None:
        start = time.perf_counter()
        self.encoded = seed.make_bench_password()
        self.practices[MAIN_PRACTICE] = seed.practice_seed(
            code=MAIN_PRACTICE,
            users=self.options.users,
            events=self.options.events,
            encoded=self.encoded,
        )
        self.practice = self.practices[MAIN_PRACTICE].practice
        self.staff = seed.staff_seed(encoded=self.encoded)
        seed.analyze()
        self.seed_seconds = time.perf_counter() - start
        self.say(f"  seeded in {self.seed_seconds:.1f} s")

    def signed_in_client(self, username: str, *, code: str = MAIN_PRACTICE) -> Client:
        """A browser signed in through the sign-in pipeline (office network: no second factor)."""
        client = Client()
        response = client.post(
            f"/p/{code}/login/", {"username": username, "password": seed.PASSWORD}
        )
        if SESSION_KEY not in client.session:
            raise CommandError(
                f"The bench user {username} could not sign in (status {response.status_code}); "
                "is the sign-in pipeline complete?"
            )
        return client

    def staff_client(self) -> Client:
        """Support staff, signed in as the pipeline leaves them: stamped, second factor passed."""
        client = Client()
        client.force_login(self.staff)
        device, _ = TOTPDevice.objects.get_or_create(user=self.staff, name="Key", confirmed=True)
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

    def counted(self, send: Callable[[], object]) -> tuple[Statements, int]:
        """The statements of one request as a real server's request sends them, and how many of
        them went through Django's cursors (what django_assert_num_queries counts).

        A real handler calls close_old_connections() as each request starts (the test client
        does not): that arms Django's connection health check, a `SELECT 1` sent before the
        request's first query. One request goes first uncounted, so that a connection past its
        CONN_MAX_AGE is replaced there and not inside the count. (Django's count is taken with
        an execute wrapper, not CaptureQueriesContext: on SQLite, the debug cursor that one
        turns on sends a query of its own for each query, to show its parameters.)
        """
        through_django = 0

        def count(execute, sql, params, many, context):
            nonlocal through_django
            through_django += 1
            return execute(sql, params, many, context)

        close_old_connections()
        send()
        with statements_sent(connection) as wire, connection.execute_wrapper(count):
            close_old_connections()
            send()
        return wire, through_django

    # --- Sign-in ------------------------------------------------------------------------

    def signin(self) -> None:
        self.say("Sign-in…")
        path = f"/p/{self.practice.code}/login/"

        def sign_in():
            response = Client().post(path, {"username": seed.SIGNER, "password": seed.PASSWORD})
            if response.status_code != 302:
                raise CommandError(f"The bench sign-in answered {response.status_code}.")

        def verify():
            check_password(seed.PASSWORD, self.encoded)

        pair = paired(sign_in, verify, pairs=self.options.repeat, warmup=self.options.warmup)
        wire, seen = self.counted(sign_in)
        kinds = wire.by_kind
        self.figures(
            signin_ratio=pair.ratio,
            signin_cpu_ratio=pair.cpu_ratio,
            signin_ms=pair.a_ms,
            verify_ms=pair.b_ms,
            # What capacity is made of: CPU time, here in the app's process (not the database's).
            signin_cpu_ms=pair.a_cpu_ms,
            verify_cpu_ms=pair.b_cpu_ms,
            signin_queries=wire.total,
            signin_transaction_statements=kinds["transaction"],
            signin_queries_django=seen,
        )
        self.detail["signin_statements"] = wire.texts

    # --- The console's user list against Django admin's changelist ----------------------

    def list_figures(self, code: str) -> dict:
        """The list page (an administrator's, with the security overview; and a user manager's,
        the same rows without it) against the like-for-like changelist of the same users."""
        admin = self.signed_in_client(seed.ADMIN, code=code)
        manager = self.signed_in_client(seed.MANAGER, code=code)
        staff = self.staff_client()
        changelist = changelist_url(code)

        def ours():
            expect_ok(admin.get(LIST_URL))

        def managers():
            expect_ok(manager.get(LIST_URL))

        def django_admin():
            response = staff.get(changelist)
            expect_ok(response)

        pairs, warmup = self.options.repeat, self.options.warmup
        page = paired(ours, django_admin, pairs=pairs, warmup=warmup)
        rows_only = paired(managers, django_admin, pairs=pairs, warmup=warmup)
        wire, seen = self.counted(ours)
        manager_wire, _ = self.counted(managers)
        admin_wire, admin_seen = self.counted(django_admin)
        self.detail.setdefault("list_statements", {})[code] = wire.texts
        self.detail.setdefault("changelist_statements", {})[code] = admin_wire.texts
        return {
            "list_queries": wire.total,
            "list_queries_django": seen,
            "list_manager_queries": manager_wire.total,
            "admin_list_queries": admin_wire.total,
            "list_vs_admin_ratio": page.ratio,
            "list_manager_vs_admin_ratio": rows_only.ratio,
            "list_ms": page.a_ms,
            "list_manager_ms": rows_only.a_ms,
            "admin_list_ms": page.b_ms,
        }

    def user_list(self) -> None:
        self.say("User list against Django admin…")
        with override_settings(ROOT_URLCONF="practice.console.bench.urls"):
            self.figures(**self.list_figures(MAIN_PRACTICE))

    def user_list_at_scale(self, users: int) -> str:
        """A second practice of `users` users and as many audit events as the first: the same
        figures with a suffix, and the list's time there over its time at the first size
        (paired, both practices in the same database)."""
        label = scale_label(users)
        code = f"bench{label}"
        self.say(f"User list at {users:,} users (seeding)…")
        start = time.perf_counter()
        self.practices[code] = seed.practice_seed(
            code=code, users=users, events=self.options.events, encoded=self.encoded
        )
        seed.analyze()
        self.say(f"  seeded in {time.perf_counter() - start:.1f} s")
        with override_settings(ROOT_URLCONF="practice.console.bench.urls"):
            figures = self.list_figures(code)
            small = self.signed_in_client(seed.ADMIN)
            large = self.signed_in_client(seed.ADMIN, code=code)
            growth = paired(
                lambda: expect_ok(large.get(LIST_URL)),
                lambda: expect_ok(small.get(LIST_URL)),
                pairs=self.options.repeat,
                warmup=self.options.warmup,
            )
        self.figures(**{f"{key}_{label}": value for key, value in figures.items()})
        self.figures(**{f"list_growth_{label}": growth.ratio})
        return code

    # --- Audit log ----------------------------------------------------------------------

    def audit(self) -> None:
        self.say("Audit log…")
        admin = self.signed_in_client(seed.ADMIN)
        events = AuditEvent.objects.filter(practice=self.practice)
        deep = events.order_by("-created_at", "-id")[int(self.options.events * 0.9)]
        deep_url = f"/console/audit/?before={cursor_encode(deep)}"
        runs, warmup = self.options.repeat, self.options.warmup
        first_page = median_ms(
            lambda: expect_ok(admin.get("/console/audit/")), runs=runs, warmup=warmup
        )
        deep_page = median_ms(lambda: expect_ok(admin.get(deep_url)), runs=runs, warmup=warmup)
        rows = 0

        def export():
            nonlocal rows
            response = admin.get(EXPORT_URL)
            rows = sum(chunk.count(b"\n") for chunk in response.streaming_content) - 1

        elapsed = timed(export)
        # The free-text search: a common word (an action of two in five events), a user's
        # name (one event in a few thousand: the page is the whole practice's log walked), and
        # words nothing matches (the worst case: every event of the practice looked at).
        searches = {
            key: median_ms(
                lambda query=query: expect_ok(admin.get(f"/console/audit/?q={query}")),
                runs=runs,
                warmup=warmup,
            )
            for key, query in (
                ("audit_search_ms", "locked"),
                ("audit_search_user_ms", seed.PLAIN),
                ("audit_search_none_ms", "no+such+words"),
            )
        }
        self.figures(
            audit_page_ms=first_page,
            audit_deep_page_ms=deep_page,
            csv_rows_per_second=rows / elapsed,
            **searches,
        )

    # --- The per-request session checks -------------------------------------------------

    def request_checks(self) -> None:
        """/auth/verify for a user with login windows and one without, and a page, each with
        the session guard's checks and without them, in the same session.

        One client for both sides, the guard's check switched off for the "without" side:
        two clients (one built without the guard in its middleware) differ by more than the
        guard; on a busy machine the one without it came out 10 to 20% slower or faster from
        run to run, while the same client against itself stays within 1 to 2%.
        """
        self.say("Per-request checks…")
        cases = {
            ("auth_verify_ratio_windows", "auth_verify_extra_queries_windows"): (
                seed.WINDOWED,
                VERIFY_URL,
            ),
            ("auth_verify_ratio_plain", "auth_verify_extra_queries_plain"): (
                seed.PLAIN,
                VERIFY_URL,
            ),
            ("page_checks_ratio", "page_checks_extra_queries"): (seed.ADMIN, PAGE_URL),
        }
        # Short requests: more pairs, so that a few slow ones move the median less.
        pairs = self.options.repeat * 10
        for (ratio_key, queries_key), (username, url) in cases.items():
            browser = self.signed_in_client(username)

            def guarded(browser=browser, url=url):
                expect_ok(browser.get(url))

            def unguarded(browser=browser, url=url):
                with guard_checks_off():
                    expect_ok(browser.get(url))

            with_wire, _ = self.counted(guarded)
            without_wire, _ = self.counted(unguarded)
            # Throughput with the guard / without = time without / time with.
            pair = paired(unguarded, guarded, pairs=pairs, warmup=self.options.warmup)
            self.figures(
                **{ratio_key: pair.ratio, queries_key: with_wire.total - without_wire.total}
            )
        self.figures(
            request_checks_extra_queries=self.results["page_checks_extra_queries"],
            request_checks_throughput_ratio=self.results["page_checks_ratio"],
        )

    # --- The CSV export through gunicorn ------------------------------------------------

    def export_through_gunicorn(self) -> None:
        """The whole log streamed from a real gunicorn as deployed (gunicorn.conf.py: threaded
        workers, 2 of them here, a 30-second timeout; production settings) on the bench's
        database, by a signed-in administrator.

        Rows per second, whether the stream completed, and the peak resident memory (VmHWM) of
        the worker that served it, next to what that worker held before the export.
        """
        self.say("CSV export through gunicorn…")
        env = server.server_environment(
            database_url=database_url(connection.settings_dict),
            secret_key=secrets.token_urlsafe(50),
            redis_url=getattr(settings, "REDIS_URL", ""),
        )
        with (
            tempfile.TemporaryDirectory(prefix="bench-gunicorn-") as logs,
            server.gunicorn(env=env, log_dir=Path(logs), workers=2) as app,
        ):
            browser = server.HttpClient(app.port, timeout=600)
            signed_in = browser.sign_in(MAIN_PRACTICE, seed.ADMIN, seed.PASSWORD)
            if signed_in.status != 302 or "/login" in signed_in.header("Location"):
                raise CommandError(
                    f"Signing in through gunicorn answered {signed_in.status}:\n{app.log_tail()}"
                )
            # Each worker's peak starts again from what it holds now: the sign-in's Argon2 hash
            # (100 MiB of memory for a moment) would otherwise be the peak.
            workers = app.worker_pids()
            before = {pid: server.peak_reset(pid) for pid in workers}
            peaks = dict(before)
            rows = size = 0
            complete = False
            start = last_look = time.perf_counter()
            try:
                with browser.stream(EXPORT_URL) as (status, body):
                    if status != 200:
                        raise CommandError(f"The export through gunicorn answered {status}.")
                    for chunk in body:
                        rows += chunk.count(b"\n")
                        size += len(chunk)
                        if time.perf_counter() - last_look > 0.25:
                            # Looked at while it runs: a worker killed mid-way takes its own
                            # numbers with it.
                            peaks.update(server.peaks(workers))
                            last_look = time.perf_counter()
                    complete = True
            except (OSError, http.client.HTTPException) as exc:
                self.say(f"  the export stopped early: {exc!r}")
            elapsed = time.perf_counter() - start
            peaks.update(server.peaks(workers))
            expected = AuditEvent.objects.filter(practice=self.practice).count()
            killed = app.workers_gone(workers, wait=0 if rows - 1 == expected else 5)
            if killed:
                self.say(f"  gunicorn killed worker(s) {killed}:\n{app.log_tail(5)}")
        rows -= 1  # the header
        # Complete: a line for every event (over HTTP/1.0 a killed worker's stream just ends).
        complete = complete and rows == expected and not killed
        served_by = max(workers, key=lambda pid: peaks[pid] - before[pid])
        rate = rows / elapsed if elapsed else 0.0
        # A million rows: measured when the log had them and they all came, otherwise at the
        # rate measured here (a stream cut at the timeout projects past it).
        if complete and rows >= MILLION:
            million_seconds = elapsed * MILLION / rows
        else:
            million_seconds = MILLION / rate if rate else float("inf")
        within = million_seconds < server.GUNICORN_TIMEOUT_SECONDS and (
            complete or expected < MILLION
        )
        self.figures(
            csv_rows_per_second_gunicorn=rate,
            csv_rows_gunicorn=rows,
            csv_seconds_gunicorn=elapsed,
            csv_mib_gunicorn=size / 2**20,
            csv_complete_gunicorn=int(complete),
            csv_peak_mib=peaks[served_by] / 1024,
            csv_worker_before_mib=before[served_by] / 1024,
            csv_worker_killed=int(bool(killed)),
            csv_1m_seconds=million_seconds,
            csv_1m_measured=int(expected >= MILLION),
            csv_1m_within_timeout=int(within),
            gunicorn_timeout_seconds=server.GUNICORN_TIMEOUT_SECONDS,
        )

    # --- Query plans --------------------------------------------------------------------

    def explain(self, code: str) -> None:
        """The plans of the SELECTs of the list page, the audit log's first page and the export
        (EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on SQLite), for one practice."""
        admin = self.signed_in_client(seed.ADMIN, code=code)
        plans = self.detail.setdefault("plans", [])
        for url in (LIST_URL, "/console/audit/", EXPORT_URL):
            with CaptureQueriesContext(connection) as seen:
                response = admin.get(url)
                if response.streaming:
                    # The header row comes first; the second chunk needs the export's query.
                    chunks = iter(response.streaming_content)
                    next(chunks, None)
                    next(chunks, None)
                    response.close()
            for query in seen.captured_queries:
                # The export reads through a server-side cursor on PostgreSQL.
                sql = _DECLARE_CURSOR.sub("", query["sql"])
                if sql.lstrip().upper().startswith("SELECT") and "django_session" not in sql:
                    plans.append(
                        {
                            "practice": code,
                            "url": url,
                            "seconds": float(query["time"]),
                            "sql": sql,
                            "plan": explain_plan(sql),
                        }
                    )


@contextmanager
def guard_checks_off() -> Iterator[None]:
    """SessionGuardMiddleware lets every request through unchecked inside the block."""
    check = SessionGuardMiddleware.check
    SessionGuardMiddleware.check = lambda self, request: None
    try:
        yield
    finally:
        SessionGuardMiddleware.check = check


def explain_plan(sql: str) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return "\n".join(" ".join(str(column) for column in row) for row in cursor.fetchall())
