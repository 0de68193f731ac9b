"""Lockout: counted in the database, locks at the threshold, locked means locked."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import get_hasher
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.lockout import ADDRESS_FAILURE_LIMIT, user_unlock
from practice.models import AuditEvent
from tests.accounts.conftest import REMOTE, sign_in_post
from tests.factories import PASSWORD, AdminFactory, UserFactory
from tests.threads import run_together

pytestmark = pytest.mark.django_db

WRONG = "Wrong-Horse-9!"


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def fail(client, practice, username="nina", times=1, **extra):
    for _ in range(times):
        response = sign_in_post(client, practice, username, WRONG, **extra)
    return response


def test_each_wrong_password_is_counted_and_success_resets(client, office, member):
    fail(client, office.practice, times=3)
    member.refresh_from_db()
    assert member.failed_logins == 3
    sign_in_post(client, office.practice, "nina", PASSWORD)
    member.refresh_from_db()
    assert member.failed_logins == 0
    assert member.locked_at is None


def test_the_fifth_failure_locks_and_says_so(client, office, member, admin_user):
    response = fail(client, office.practice, times=4)
    assert "invalid username or password" in response.content.decode().lower()
    response = fail(client, office.practice)
    text = response.content.decode().lower()
    assert "locked" in text
    assert "invalid username or password" not in text
    member.refresh_from_db()
    assert member.locked_at is not None
    lock = AuditEvent.objects.get(action="user.locked", target=member)
    assert lock.details["reason"] == "failed_attempts"
    # The practice's administrators are told, by email.
    assert [m.to for m in mail.outbox] == [[admin_user.email]]
    assert "nina" in mail.outbox[0].subject


def test_a_locked_account_refuses_the_right_password_without_checking_it(
    client, office, member, monkeypatch
):
    fail(client, office.practice, times=5)
    hasher = get_hasher()
    monkeypatch.setattr(
        type(hasher), "verify", lambda *a, **k: pytest.fail("a locked password is not checked")
    )
    response = sign_in_post(client, office.practice, "nina", PASSWORD)
    text = response.content.decode().lower()
    assert "locked" in text
    assert "practice administrator" in text
    assert "invalid username or password" not in text
    assert SESSION_KEY not in client.session


def test_unlock_by_administrator_lets_the_user_in_again(client, office, member, admin_user):
    fail(client, office.practice, times=5)
    member.refresh_from_db()
    user_unlock(user=member, actor=admin_user)
    sign_in_post(client, office.practice, "nina", PASSWORD)
    assert client.session[SESSION_KEY] == str(member.pk)


def test_no_email_when_the_practice_turned_it_off(client, office, member, admin_user):
    office.practice.notify_admins_on_lock = False
    office.practice.save()
    fail(client, office.practice, times=5)
    assert mail.outbox == []


def test_practice_threshold_is_used(client, office, member):
    office.practice.lockout_threshold = 2
    office.practice.save()
    fail(client, office.practice, times=2)
    member.refresh_from_db()
    assert member.locked_at is not None


def test_auto_unlock_after_the_practice_minutes(client, office, member):
    office.practice.auto_unlock_minutes = 15
    office.practice.save()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        fail(client, office.practice, times=5)
        traveller.shift(timedelta(minutes=14))
        assert "locked" in sign_in_post(client, office.practice, "nina", PASSWORD).content.decode()
        traveller.shift(timedelta(minutes=2))
        sign_in_post(client, office.practice, "nina", PASSWORD)
    assert client.session[SESSION_KEY] == str(member.pk)
    unlock = AuditEvent.objects.get(action="user.unlocked", target=member)
    assert unlock.details["reason"] == "auto_unlock"


def test_one_address_failing_across_many_accounts_is_slowed_down(client, practice, monkeypatch):
    users = [UserFactory(practice=practice, username=f"u{i}") for i in range(3)]
    for i in range(ADDRESS_FAILURE_LIMIT):
        fail(client, practice, username=f"u{i % 3}" if i % 2 else f"ghost{i}", REMOTE_ADDR=REMOTE)
    hasher = get_hasher()
    monkeypatch.setattr(
        type(hasher), "verify", lambda *a, **k: pytest.fail("a slowed address is not checked")
    )
    response = sign_in_post(client, practice, "u0", PASSWORD, REMOTE_ADDR=REMOTE)
    assert "too many failed sign-in attempts from your network" in response.content.decode().lower()
    # Another address is not affected.
    monkeypatch.undo()
    users[0].remote_access = True
    users[0].pm_username = "u0"
    users[0].save()
    response = sign_in_post(client, practice, "u0", PASSWORD, REMOTE_ADDR="198.51.100.7")
    # Past the password, on to setting up the second factor a remote sign-in always needs.
    assert response["Location"] == "/login/setup/"


def test_an_office_network_is_never_slowed_down_as_a_whole(client, office):
    practice = office.practice
    for i in range(ADDRESS_FAILURE_LIMIT + 5):
        fail(client, practice, username=f"typo{i}")
    nurse = UserFactory(practice=practice, username="frontdesk")
    sign_in_post(client, practice, "frontdesk", PASSWORD)
    assert client.session[SESSION_KEY] == str(nurse.pk)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_thirty_concurrent_wrong_passwords_get_at_most_five_checks(practice, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locking")
    from tests.factories import OfficeNetworkFactory

    OfficeNetworkFactory(practice=practice, cidr="127.0.0.0/8")
    user = UserFactory(practice=practice, username="target")
    AdminFactory(practice=practice, username="boss")
    hasher = get_hasher()
    checks = []
    original = type(hasher).verify

    def counting_verify(self, password, encoded):
        checks.append(1)
        return original(self, password, encoded)

    monkeypatch.setattr(type(hasher), "verify", counting_verify)
    results, _ = run_together(
        30, lambda i: sign_in_post(Client(), practice, "target", WRONG).status_code
    )
    user.refresh_from_db()
    assert results == [200] * 30
    assert len(checks) <= 5
    assert user.failed_logins == 5
    assert user.locked_at is not None
    assert AuditEvent.objects.filter(action="user.locked", target=user).count() == 1


def test_case_variants_of_a_username_share_one_counter(client, office, member):
    for name in ("nina", "NINA", "Nina", "nInA", "NiNa"):
        fail(client, office.practice, username=name)
    member.refresh_from_db()
    assert member.failed_logins == 5
    assert member.locked_at is not None


def test_the_same_username_in_two_practices_has_two_counters(client, office, member):
    from tests.factories import PracticeFactory

    other = PracticeFactory(code="hill")
    twin = UserFactory(practice=other, username="nina")
    fail(client, office.practice, times=3)
    fail(client, other, times=1)
    member.refresh_from_db()
    twin.refresh_from_db()
    assert (member.failed_logins, twin.failed_logins) == (3, 1)


def test_wrong_second_factor_codes_count_on_the_same_counter(rf, office, member):
    from accounts.lockout import failure_record

    request = rf.post("/login/verify/")
    fail(Client(), office.practice, times=3)
    failure_record(user=member, request=request, reason="second_factor")
    assert failure_record(user=member, request=request, reason="second_factor") is True
    member.refresh_from_db()
    assert member.failed_logins == 5
    assert member.locked_at is not None
