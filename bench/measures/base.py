"""What every measure shares: the run's options, its seeded data, the figures it collects, a
browser signed in through the real sign-in, and how a request's statements are counted.

A measure is a module of bench.measures with two things:
- `KEYS`: its rows of the table, in order, each (key, unit, what it is);
- `measure(bench)`: runs on the seeded database and records each of its keys with
  `bench.figures(...)` (anything longer than a number goes to `bench.detail`).
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import SESSION_KEY
from django.core.management.base import CommandError
from django.db import close_old_connections, connection
from django.test import Client

from bench import seed
from bench.statements import Statements, statements_sent

MAIN_PRACTICE = "bench"
LIST_URL = "/console/"
AUDIT_URL = "/console/audit/"
EXPORT_URL = "/console/audit/export.csv"


@dataclass
class Options:
    users: int
    events: int
    repeat: int  # pairs per ratio, runs per median
    warmup: int
    scales: list[int] = field(default_factory=list)  # more user counts for the list
    explain: bool = False
    rush: int = 0  # seconds of the morning rush at its knee (0: no rush)


def expect_ok(response) -> None:
    # A redirect or an error page would time the wrong thing.
    if response.status_code != 200:
        raise CommandError(f"{response.request['PATH_INFO']} answered {response.status_code}.")


def scale_label(users: int) -> str:
    return f"{users // 1000}k" if users % 1000 == 0 else str(users)


class Bench:
    """One run: its options, the data it seeded, and what the measures found."""

    def __init__(self, options: Options, say: Callable[[str], None]):
        self.options = options
        self.say = say
        self.results: dict[str, float | int] = {}
        self.detail: dict = {}
        self.practices: dict[str, seed.SeededPractice] = {}

    def figures(self, **values) -> None:
        for key, value in values.items():
            self.results[key] = round(value, 3) if isinstance(value, float) else value

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
