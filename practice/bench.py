"""The performance benchmark behind `python manage.py bench`.

Everything runs in-process through Django's test Client against the current database (the
command gives it a fresh one), so the figures include middleware, sessions and templates but no
network. Figures are reported as ratios and medians measured in the same run, because the
machines are shared and noisy.
"""

import csv
import io
import statistics
import time
from contextlib import contextmanager
from datetime import timedelta

from django.contrib.auth.hashers import check_password, make_password
from django.db import connection
from django.test import Client, modify_settings, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role, User, UserSession
from accounts.signin import session_stamp
from practice.models import AuditEvent, OfficeNetwork, Practice

ARGON2 = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
BENCH_PASSWORD = "Bench-Mark-Password-9!"  # noqa: S105 - a throwaway user in a throwaway database
GUARD = "accounts.middleware.SessionGuardMiddleware"


def _median_seconds(action, rounds: int) -> float:
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


class _SessionRequest:
    def __init__(self, session):
        self.session = session


def _signed_in_client(user: User, zone: str = "office") -> Client:
    """A client in the state the sign-in pipeline leaves it (as tests/signin_helpers.py)."""
    client = Client()
    client.force_login(user)
    session = client.session
    session_stamp(_SessionRequest(session), zone=zone)
    session.save()
    now = timezone.now()
    UserSession.objects.create(
        user=user, session_key=session.session_key, zone=zone, created_at=now, last_activity=now
    )
    return client


def seed(*, users: int, events: int) -> dict:
    """A practice with `users` users and `events` audit events; returns the actors."""
    practice = Practice.objects.create(code="bench", name="Bench Family Practice")
    OfficeNetwork.objects.create(practice=practice, cidr="127.0.0.0/8")
    encoded = make_password(BENCH_PASSWORD)
    now = timezone.now()
    User.objects.bulk_create(
        User(
            practice=practice,
            username=f"user{i:05d}",
            first_name="Pat",
            last_name=f"Member{i:05d}",
            email=f"user{i:05d}@bench.test",
            password=encoded,
            password_changed_at=now,
            role=Role.USER,
        )
        for i in range(users)
    )
    admin = User.objects.create(
        practice=practice,
        username="benchadmin",
        last_name="Admin",
        role=Role.ADMIN,
        password=encoded,
        password_changed_at=now,
    )
    staff = User.objects.create(
        username="benchsupport", is_staff=True, is_superuser=True, password=encoded
    )
    member = User.objects.filter(practice=practice, role=Role.USER).first()
    batch = []
    for i in range(events):
        batch.append(
            AuditEvent(
                practice=practice,
                actor=admin,
                target=member,
                action="signin.succeeded" if i % 3 else "signin.failed",
                details={"zone": "office"},
                ip_address="127.0.0.1",
                user_agent="bench",
                created_at=now - timedelta(seconds=i),
            )
        )
        if len(batch) == 5000:
            AuditEvent.objects.bulk_create(batch)
            batch = []
    AuditEvent.objects.bulk_create(batch)
    return {"practice": practice, "admin": admin, "staff": staff, "member": member}


@contextmanager
def _queries():
    with CaptureQueriesContext(connection) as captured:
        yield captured


def measure(*, users: int = 5000, events: int = 100_000, rounds: int = 15) -> dict:
    """Seed, then measure. Returns the figures (numbers only)."""
    with override_settings(PASSWORD_HASHERS=ARGON2):
        actors = seed(users=users, events=events)
        member = actors["member"]
        encoded = member.password

        verify = _median_seconds(lambda: check_password(BENCH_PASSWORD, encoded), rounds)

        def sign_in():
            response = Client().post(
                "/p/bench/login/", {"username": member.username, "password": BENCH_PASSWORD}
            )
            assert response.status_code == 302, response.status_code  # noqa: S101

        sign_in()  # warm up (templates, URL resolver)
        signin = _median_seconds(sign_in, rounds)
        with _queries() as captured:
            sign_in()
        signin_queries = len(captured)

    admin_client = _signed_in_client(actors["admin"])
    staff_client = _signed_in_client(actors["staff"], zone="remote")

    def page(client, url):
        def get():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)  # noqa: S101
            return response

        return get

    our_list = page(admin_client, "/console/")
    django_list = page(staff_client, "/admin/accounts/user/")
    our_list()
    django_list()
    with _queries() as captured:
        our_list()
    list_queries = len(captured)
    list_median = _median_seconds(our_list, rounds)
    admin_median = _median_seconds(django_list, rounds)

    audit_page = page(admin_client, "/console/audit/")
    audit_page()
    audit_median = _median_seconds(audit_page, rounds)

    start = time.perf_counter()
    response = admin_client.get("/console/audit/export.csv")
    body = b"".join(response.streaming_content)
    csv_seconds = time.perf_counter() - start
    csv_rows = sum(1 for _ in csv.reader(io.StringIO(body.decode()))) - 1

    verify_page = page(admin_client, "/auth/verify")
    verify_page()
    with _queries() as captured:
        verify_page()
    with_guard_queries = len(captured)
    with_guard = _median_seconds(verify_page, rounds * 4)
    with modify_settings(MIDDLEWARE={"remove": [GUARD]}):
        verify_page()
        with _queries() as captured:
            verify_page()
        without_guard_queries = len(captured)
        without_guard = _median_seconds(verify_page, rounds * 4)

    return {
        "users": users,
        "audit_events": events,
        "argon2_verify_ms": verify * 1000,
        "signin_ms": signin * 1000,
        "signin_ratio": signin / verify,
        "signin_queries": signin_queries,
        "list_queries": list_queries,
        "list_ms": list_median * 1000,
        "admin_changelist_ms": admin_median * 1000,
        "list_vs_admin_ratio": list_median / admin_median,
        "audit_page_ms": audit_median * 1000,
        "csv_rows": csv_rows,
        "csv_rows_per_second": csv_rows / csv_seconds,
        "request_checks_extra_queries": with_guard_queries - without_guard_queries,
        # Requests a second with the checks / without them (1.0 = free).
        "request_checks_throughput_ratio": without_guard / with_guard,
    }
