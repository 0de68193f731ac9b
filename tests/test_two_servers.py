"""Two app servers on one PostgreSQL and one Redis behave as one; one server as deployed
streams an export of any length.

Two real gunicorn processes (production settings, DEBUG off, on ports of their own) share the
test database pytest-django made and a Redis database of their own (7, emptied before and
after). A session made on one works on the other; wrong passwords sent at once to both lock the
account at exactly the threshold; an address slowed down through one is slowed down on the other.

The servers sit behind a pretend proxy at 127.0.0.1 (TRUSTED_PROXIES): requests say HTTPS with
X-Forwarded-Proto, and a client elsewhere is named with X-Forwarded-For.
"""

import os
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils.module_loading import import_string

from accounts.lockout import ADDRESS_FAILURE_LIMIT
from accounts.models import Role
from bench.database import database_url
from bench.seed import events_insert
from bench.server import HttpClient, gunicorn, server_environment
from config import settings as production_settings
from practice.models import AuditEvent
from practice.vocabulary import AuditAction, SignInFailure
from tests.factories import OfficeNetworkFactory, PracticeFactory, UserFactory, starting_role

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="two app servers share a PostgreSQL database (set DATABASE_URL=postgres://...)",
    ),
    pytest.mark.django_db(transaction=True),
]

REDIS_URL = os.environ.get("TWO_SERVERS_REDIS_URL", "redis://127.0.0.1:6379/7")
PASSWORD = "Correct-Horse-9!"
INVALID = "invalid username or password"
SLOWED = "too many failed sign-in attempts from your network"


def production_hash(password: str) -> str:
    """The hash the servers' own hasher makes (the suite's settings hash with MD5)."""
    hasher = import_string(production_settings.PASSWORD_HASHERS[0])()
    return hasher.encode(password, hasher.salt())


@pytest.fixture
def servers(tmp_path):
    """Servers A and B, started together and stopped (killed if need be) when the test ends."""
    cache = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        cache.ping()
    except redis.RedisError as exc:
        pytest.skip(f"two app servers share a Redis; none answers at {REDIS_URL} ({exc})")
    cache.flushdb()
    env = server_environment(
        database_url=database_url(connection.settings_dict),
        secret_key=secrets.token_urlsafe(50),
        redis_url=REDIS_URL,
    )
    try:
        with ExitStack() as running:
            a = running.enter_context(gunicorn(env=env, log_dir=tmp_path, workers=2))
            b = running.enter_context(gunicorn(env=env, log_dir=tmp_path, workers=2))
            yield a, b
    finally:
        cache.flushdb()
        cache.close()


def user_with_password(practice, username: str):
    user = UserFactory(practice=practice, username=username)
    user.password = production_hash(PASSWORD)
    user.save(update_fields=["password"])
    return user


def office_practice():
    """Sign-ins from 127.0.0.1 are office sign-ins here: no second factor is asked."""
    practice = PracticeFactory()
    OfficeNetworkFactory(practice=practice, cidr="127.0.0.0/8")
    return practice


def logs(*running) -> str:
    return "\n".join(f"--- server :{server.port}\n{server.log_tail()}" for server in running)


def test_a_session_made_on_one_server_works_on_the_other(servers):
    a, b = servers
    practice = office_practice()
    user_with_password(practice, "ana")
    browser = HttpClient(a.port)

    signed_in = browser.sign_in(practice.code, "ana", PASSWORD)
    assert signed_in.status == 302, logs(a, b)
    assert signed_in.header("Location") == settings.LOGIN_REDIRECT_URL
    assert settings.SESSION_COOKIE_NAME in browser.cookies
    # The cookie is Secure (DEBUG off): the proxy in front would carry it over HTTPS.
    assert "secure" in signed_in.header("Set-Cookie").lower()

    on_b = browser.on(b.port).get("/account/")
    assert on_b.status == 200, logs(a, b)
    assert "Sign out" in on_b.text
    # Without the cookie, server B sends the browser to sign in.
    assert HttpClient(b.port).get("/account/").status == 302


def test_wrong_passwords_spread_over_both_servers_lock_at_exactly_the_threshold(servers):
    a, b = servers
    practice = office_practice()
    user = user_with_password(practice, "ben")
    path = f"/p/{practice.code}/login/"
    attempts = 30
    browsers = [HttpClient((a, b)[i % 2].port) for i in range(attempts)]
    tokens = [browser.csrf_token(path) for browser in browsers]
    start = threading.Barrier(attempts)

    def attempt(i: int):
        start.wait()
        return browsers[i].post_form(
            path, {"username": "ben", "password": "Wrong-Horse-1!"}, token=tokens[i]
        )

    with ThreadPoolExecutor(max_workers=attempts) as pool:
        responses = list(pool.map(attempt, range(attempts)))

    assert [r.status for r in responses] == [200] * attempts, logs(a, b)
    said = [r.text.lower() for r in responses]
    assert all(INVALID in text or "locked" in text for text in said)
    user.refresh_from_db()
    threshold = practice.lockout_threshold
    assert user.failed_logins == threshold
    assert user.locked_at is not None
    assert AuditEvent.objects.filter(target=user, action=AuditAction.USER_LOCKED).count() == 1
    # Exactly `threshold` passwords were checked; every other attempt was refused unchecked.
    checked = AuditEvent.objects.filter(
        target=user,
        action=AuditAction.SIGNIN_FAILED,
        details__reason=SignInFailure.WRONG_PASSWORD,
    )
    assert checked.count() == threshold
    # The attempt that locked says so: a reserved one (the others of those say "invalid"), or
    # one that found the count at the threshold before the lock was written.
    assert threshold - 1 <= sum(INVALID in text for text in said) <= threshold


def test_an_address_slowed_down_on_one_server_is_slowed_down_on_the_other(servers):
    a, b = servers
    # No office network: from anywhere, failures count against the client's address.
    practice = PracticeFactory()
    user_with_password(practice, "cy")
    path = f"/p/{practice.code}/login/"
    far = HttpClient(a.port, client_address="203.0.113.9")
    token = far.csrf_token(path)

    for i in range(ADDRESS_FAILURE_LIMIT):
        refused = far.post_form(path, {"username": f"nobody{i}", "password": "x"}, token=token)
        assert INVALID in refused.text.lower(), logs(a, b)

    on_b = far.on(b.port).post_form(path, {"username": "cy", "password": PASSWORD}, token=token)
    assert SLOWED in on_b.text.lower(), logs(a, b)
    assert SLOWED in far.post_form(path, {"username": "cy", "password": PASSWORD}).text.lower()
    slowed = AuditEvent.objects.filter(
        action=AuditAction.SIGNIN_FAILED,
        details__reason=SignInFailure.ADDRESS_SLOWED,
        ip_address="203.0.113.9",
    )
    assert slowed.count() == 2
    # The address, not the servers: another client is not slowed down on either.
    elsewhere = HttpClient(b.port, client_address="203.0.113.10")
    answer = elsewhere.post_form(path, {"username": "nobody", "password": "x"})
    assert INVALID in answer.text.lower()


# A threaded worker reports to its master about once a second: leave it room.
TIMEOUT = 3


def test_an_export_longer_than_the_worker_timeout_completes(tmp_path):
    """gunicorn as deployed (gunicorn.conf.py: threaded workers) with a three-second timeout: an
    audit export that streams for several seconds to a slow client arrives whole. A sync worker,
    which cannot tell its master it is alive while it streams, was killed at the timeout and the
    file ended part-way with no error."""
    practice = office_practice()
    admin = user_with_password(practice, "ada")
    admin.practice_role = starting_role(practice, Role.ADMIN)
    admin.role = Role.ADMIN
    admin.save(update_fields=["practice_role", "role"])
    events_insert(practice=practice, targets=[admin.pk], count=200_000)
    env = server_environment(
        database_url=database_url(connection.settings_dict),
        secret_key=secrets.token_urlsafe(50),
    )
    with gunicorn(env=env, log_dir=tmp_path, workers=1, timeout=TIMEOUT) as app:
        browser = HttpClient(app.port, timeout=120)
        assert browser.sign_in(practice.code, "ada", PASSWORD).status == 302, logs(app)
        workers = app.worker_pids()
        started = time.monotonic()
        with browser.stream("/console/audit/export.csv", slow_link=True) as (status, body):
            assert status == 200, logs(app)
            lines = sum(chunk.count(b"\n") for chunk in body)
        streamed_for = time.monotonic() - started
        gone = app.workers_gone(workers, wait=1)
    # Every event arrived (the header is a line too), over long enough to have been killed.
    assert lines - 1 == AuditEvent.objects.filter(practice=practice).count() >= 200_000, logs(app)
    assert not gone, logs(app)
    assert streamed_for > 2 * TIMEOUT, f"the export took {streamed_for:.1f} s: make the log longer"
