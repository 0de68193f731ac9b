"""The bench's data: a practice of N users with their second factors, and a long audit log.

Users share one Argon2 hash (hashing thousands of passwords would only slow the seeding down).
Audit events go in with PostgreSQL's COPY (a million rows in well under a minute) or, on SQLite,
with bulk_create in batches.
"""

import json
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.db import connection
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.login_times import login_week_of
from accounts.models import LoginWindow, Role, User
from practice.models import AuditEvent, OfficeNetwork, Practice
from practice.roles import roles_seed

# Bench-only credentials for users that exist only in the throwaway database.
PASSWORD = "Bench-Mark-Horse-7!"  # noqa: S105
ACTIONS = ["signin.succeeded", "signin.failed", "user.locked", "user.unlocked", "sessions.ended"]
# The first users of every bench practice, by role in the bench. None of them has a second factor
# (their sign-ins at the office need none), a lock, or remote access.
ADMIN, SIGNER, WINDOWED, PLAIN, MANAGER = "admin", "signer", "windowed", "plain", "manager"
NAMED = [ADMIN, SIGNER, WINDOWED, PLAIN, MANAGER]
AUDIT_DAYS = 90
BATCH = 5000


def make_bench_password() -> str:
    """The one hash every bench user shares, made by the first of PASSWORD_HASHERS."""
    return make_password(PASSWORD)


@dataclass
class SeededPractice:
    practice: Practice
    users: int
    events: int


def practice_seed(*, code: str, users: int, events: int, encoded: str) -> SeededPractice:
    """A practice whose office network is 127.0.0.0/8 (the bench's own requests need no second
    factor), `users` users (the NAMED ones first) and `events` audit events over 90 days."""
    now = timezone.now()
    # Rows written directly, as a bulk import would; the copies the request path reads (the
    # practice's office networks, the user's week) are filled in here as the services would.
    practice = Practice.objects.create(
        code=code, name=f"Bench Practice {code}", office_cidrs=["127.0.0.0/8"]
    )
    OfficeNetwork.objects.create(practice=practice, cidr="127.0.0.0/8", label="Bench")
    roles = roles_seed(practice)
    created = User.objects.bulk_create(
        (_user(practice, roles, i, encoded, now) for i in range(max(users, len(NAMED)))),
        batch_size=1000,
    )
    TOTPDevice.objects.bulk_create(
        (
            TOTPDevice(user=user, name="Phone", confirmed=True)
            for i, user in enumerate(created)
            if i >= len(NAMED) and i % 3 == 2
        ),
        batch_size=1000,
    )
    windowed = created[NAMED.index(WINDOWED)]
    # The guard reads the windows on each request. Every day from an hour ago to eleven hours
    # from now (practice time, across midnight when it must): open for the whole run, at any hour.
    local = timezone.localtime(now, ZoneInfo(practice.time_zone))
    opens, closes = (local - timedelta(hours=1)).time(), (local + timedelta(hours=11)).time()
    week = {
        day: (opens.replace(second=0, microsecond=0), closes.replace(second=0, microsecond=0))
        for day in range(7)
    }
    LoginWindow.objects.bulk_create(
        LoginWindow(user=windowed, weekday=day, start=start, end=end)
        for day, (start, end) in week.items()
    )
    windowed.login_week = login_week_of(week)
    windowed.save(update_fields=["login_week"])
    events_insert(practice=practice, targets=[user.pk for user in created], count=events)
    return SeededPractice(practice=practice, users=len(created), events=events)


def _user(practice: Practice, roles: dict, i: int, encoded: str, now) -> User:
    named = i < len(NAMED)
    username = NAMED[i] if named else f"user{i:06d}"
    kind = (
        Role.ADMIN
        if username == ADMIN
        else (Role.USER_MANAGER if username == MANAGER else Role.USER)
    )
    return User(
        practice=practice,
        username=username,
        first_name=f"First{i % 97}",
        last_name=f"Last{i:06d}",
        email=f"{username}@bench.test",
        role=kind,
        practice_role=roles[kind],
        # One in a hundred invited and not registered yet (no usable password).
        password=encoded if named or i % 100 else "!",
        password_changed_at=now - timedelta(days=i % 100),
        is_active=named or i % 25 != 0,
        locked_at=None if named or i % 50 else now,
        pm_username="" if named or i % 20 else "PM",
        remote_access=not named and i % 20 == 0,
        login_times_restricted=username == WINDOWED,
        last_login=now - timedelta(hours=i % 500),
    )


def events_insert(*, practice: Practice, targets: list[int], count: int) -> None:
    """`count` events for `practice` over the last 90 days, oldest first."""
    start = timezone.now() - timedelta(days=AUDIT_DAYS)
    step = timedelta(days=AUDIT_DAYS) / max(count, 1)

    def rows():
        for i in range(count):
            yield (
                practice.pk,
                targets[i % len(targets)],
                ACTIONS[i % len(ACTIONS)],
                {"n": i, "zone": "office"},
                "10.0.0.1",
                start + step * i,
            )

    if connection.vendor == "postgresql":
        table = AuditEvent._meta.db_table
        columns = "practice_id, target_id, action, details, ip_address, user_agent, created_at"
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(
                f"COPY {table} ({columns}) FROM STDIN"  # noqa: S608 - our own table and columns
            ) as copy,
        ):
            for practice_id, target, action, details, address, at in rows():
                copy.write_row((practice_id, target, action, json.dumps(details), address, "", at))
        return
    batch = []
    for practice_id, target, action, details, address, at in rows():
        batch.append(
            AuditEvent(
                practice_id=practice_id,
                target_id=target,
                action=action,
                details=details,
                ip_address=address,
                created_at=at,
            )
        )
        if len(batch) == BATCH:
            AuditEvent.objects.bulk_create(batch)
            batch = []
    AuditEvent.objects.bulk_create(batch)


def staff_seed(*, encoded: str) -> User:
    return User.objects.create(
        practice=None, username="support", is_staff=True, is_superuser=True, password=encoded
    )


def analyze() -> None:
    """Planner statistics and visibility, as a live database has them once autovacuum has been
    by (it has not yet for rows inserted a second ago: without statistics PostgreSQL can pick a
    worse plan, and without the visibility map an index-only scan still reads every row)."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
