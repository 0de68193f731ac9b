"""The console's user list against Django admin's like-for-like changelist (bench.changelist),
at --users and again at each of --scales."""

import time

from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import UserSession
from accounts.sessions import session_stamp
from bench import seed
from bench.measures.base import LIST_URL, MAIN_PRACTICE, Bench, expect_ok, scale_label
from bench.timing import paired
from bench.urls import changelist_url

# The project's URLs plus the changelist's admin site.
URLCONF = "bench.urls"

KEYS = [
    ("list_queries", "", "statements of the console user list (administrator)"),
    ("list_queries_django", "", "what django_assert_num_queries sees of it"),
    ("list_manager_queries", "", "statements of the list without the overview (user manager)"),
    ("admin_list_queries", "", "statements of Django admin's like-for-like changelist"),
    ("list_vs_admin_ratio", "x", "console user list (administrator) / admin changelist (paired)"),
    ("list_manager_vs_admin_ratio", "x", "the list without the overview / admin changelist"),
    ("list_ms", "ms", "console user list, administrator's page"),
    ("list_manager_ms", "ms", "console user list, user manager's page"),
    ("admin_list_ms", "ms", "Django admin's changelist of the same rows and columns"),
]
# The same figures again for each of --scales (the key with a suffix: list_ms_100k).
SCALE_KEYS = [
    *KEYS,
    ("list_growth", "x", "the administrator's list here / at --users (paired)"),
]


def measure(bench: Bench) -> None:
    bench.say("User list against Django admin…")
    with override_settings(ROOT_URLCONF=URLCONF):
        bench.figures(**list_figures(bench, MAIN_PRACTICE))


def at_scale(bench: Bench, users: int) -> str:
    """A second practice of `users` users and as many audit events as the first: the same
    figures with a suffix, and the list's time there over its time at the first size
    (paired, both practices in the same database). Its code."""
    label = scale_label(users)
    code = f"bench{label}"
    bench.say(f"User list at {users:,} users (seeding)…")
    start = time.perf_counter()
    bench.practices[code] = seed.practice_seed(
        code=code, users=users, events=bench.options.events, encoded=bench.encoded
    )
    seed.analyze()
    bench.say(f"  seeded in {time.perf_counter() - start:.1f} s")
    with override_settings(ROOT_URLCONF=URLCONF):
        figures = list_figures(bench, code)
        small = bench.signed_in_client(seed.ADMIN)
        large = bench.signed_in_client(seed.ADMIN, code=code)
        growth = paired(
            lambda: expect_ok(large.get(LIST_URL)),
            lambda: expect_ok(small.get(LIST_URL)),
            pairs=bench.options.repeat,
            warmup=bench.options.warmup,
        )
    bench.figures(**{f"{key}_{label}": value for key, value in figures.items()})
    bench.figures(**{f"list_growth_{label}": growth.ratio})
    return code


def list_figures(bench: Bench, code: str) -> dict:
    """The list page (an administrator's, with the security overview; and a user manager's,
    the same rows without it) against the like-for-like changelist of the same users."""
    admin = bench.signed_in_client(seed.ADMIN, code=code)
    manager = bench.signed_in_client(seed.MANAGER, code=code)
    staff = staff_client(bench)
    changelist = changelist_url(code)

    def ours():
        expect_ok(admin.get(LIST_URL))

    def managers():
        expect_ok(manager.get(LIST_URL))

    def django_admin():
        response = staff.get(changelist)
        expect_ok(response)

    pairs, warmup = bench.options.repeat, bench.options.warmup
    page = paired(ours, django_admin, pairs=pairs, warmup=warmup)
    rows_only = paired(managers, django_admin, pairs=pairs, warmup=warmup)
    wire, seen = bench.counted(ours)
    manager_wire, _ = bench.counted(managers)
    admin_wire, admin_seen = bench.counted(django_admin)
    bench.detail.setdefault("list_statements", {})[code] = wire.texts
    bench.detail.setdefault("changelist_statements", {})[code] = admin_wire.texts
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


class _SessionRequest:
    def __init__(self, session):
        self.session = session


def staff_client(bench: Bench) -> Client:
    """Support staff, signed in as the pipeline leaves them: stamped, second factor passed."""
    client = Client()
    client.force_login(bench.staff)
    device, _ = TOTPDevice.objects.get_or_create(user=bench.staff, name="Key", confirmed=True)
    session = client.session
    session_stamp(_SessionRequest(session), zone="office", second_factor=device.persistent_id)
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    now = timezone.now()
    UserSession.objects.create(
        user=bench.staff,
        session_key=session.session_key,
        zone="office",
        created_at=now,
        last_activity=now,
    )
    return client
