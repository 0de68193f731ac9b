"""What a hostile tester found, each fixed at its root; test names carry the requirement they
prove (OWASP ASVS 5.0 or HIPAA 45 CFR 164.312), so `pytest -k v6_3` finds them.

The SQLite writers, IPv4-mapped addresses, usernames, fuzzing and secrets have modules of their
own (test_sqlite_concurrency, accounts/test_network, accounts/test_usernames, test_fuzz_forms,
test_secrets).
"""

from datetime import timedelta

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.lockout import user_lock
from accounts.models import UserSession
from practice.models import PasswordProfile, Practice, TwoFactorPolicy
from practice.policy import effective_policy
from tests.accounts.conftest import sign_in_post
from tests.factories import PASSWORD, AdminFactory, OfficeNetworkFactory, UserFactory
from tests.signin_helpers import sign_in, signed_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(practice):
    return OfficeNetworkFactory(practice=practice, cidr="127.0.0.0/8")


# --- Finding 3: a locked account must not answer faster -----------------------------------


@pytest.fixture
def hash_count(monkeypatch):
    """How many password hashes the test settings' hasher computed (verify hashes by encode)."""
    calls = []
    encode = MD5PasswordHasher.encode
    monkeypatch.setattr(
        MD5PasswordHasher, "encode", lambda self, *a, **k: calls.append(1) or encode(self, *a, **k)
    )
    return calls


def test_v6_3_1_a_locked_account_costs_the_same_hashing_as_a_wrong_password(
    client, office, member, admin_user, hash_count
):
    sign_in_post(client, office.practice, "nina", "Wrong-Horse-9!")
    wrong_password = len(hash_count)
    sign_in_post(client, office.practice, "nobody", "Wrong-Horse-9!")
    unknown_user = len(hash_count) - wrong_password
    user_lock(user=member, actor=admin_user)
    before = len(hash_count)
    response = sign_in_post(client, office.practice, "nina", PASSWORD)
    locked = len(hash_count) - before
    assert "locked" in response.content.decode().lower()
    assert wrong_password == unknown_user == locked == 1


def test_v6_3_1_auto_unlock_off_is_explained_on_the_settings_page(console):
    body = console.get("/console/settings/").content.decode()
    assert "0: only an administrator or a completed password reset unlocks." in body


# --- Finding 2: few tries left are announced -----------------------------------------------


def test_v6_3_1_a_wrong_code_says_how_many_tries_are_left_when_few_are(client, office, member):
    import time_machine
    from django.utils import timezone

    from tests.mfa.helpers import app_device

    app_device(member)
    sign_in_post(client, office.practice, "nina", PASSWORD)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        said = []
        for _ in range(4):
            clock.shift(timedelta(minutes=1))
            said.append(client.post("/login/verify/", {"code": "000000"}).content.decode())
    assert "tries left" not in said[1]
    assert "2 tries left before your account is locked." in said[2]
    assert "1 try left before your account is locked." in said[3]


# --- Finding 6: dates far in the future --------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/console/audit/?date_to=9999-12-31", "/console/audit/?date_from=0001-01-01"]
)
def test_v2_far_dates_on_the_audit_log_are_refused_with_a_message(console, path):
    response = console.get(path)
    assert response.status_code == 400
    assert "Choose a date" in response.content.decode()


def test_v2_a_far_date_on_the_export_goes_back_to_the_filters(console):
    response = console.get("/console/audit/export.csv?date_to=9999-12-31")
    assert response.status_code == 302
    assert response["Location"].startswith("/console/audit/")


def test_v2_a_far_remote_access_end_date_is_refused_and_changes_nothing(console, member):
    member.pm_username = "NR"
    member.save()
    from tests.practice.test_console_user import save

    response = save(console, member, remote_access="on", remote_access_until="9999-12-31")
    assert response.status_code == 400
    assert "Choose a date up to" in response.content.decode()
    member.refresh_from_db()
    assert not member.remote_access


# --- Finding 7: emailed links come from SITE_URL, not the Host header ---------------------------


def test_v3_reset_links_use_site_url_whatever_host_the_client_sent(client, member, settings):
    settings.SITE_URL = "https://gate.example.org"
    settings.ALLOWED_HOSTS = ["testserver", "evil.example"]
    client.post(
        "/password-reset/",
        {"practice_code": member.practice.code, "identifier": "nina"},
        HTTP_HOST="evil.example:8443",
    )
    (message,) = mail.outbox
    assert "https://gate.example.org/password-reset/" in message.body
    assert "evil.example" not in message.body


@pytest.mark.parametrize(
    "start, moved",
    [
        ("/invite/{token}/", "/invite/set/"),
        ("/password-reset/MQ/{token}/", "/password-reset/set-password/"),
        ("/account/email/{token}/", "/account/email/confirm/"),
    ],
)
def test_v7_every_token_link_moves_its_token_out_of_the_address_at_once(client, start, moved):
    response = client.get(start.format(token="some-token-value"))
    assert response.status_code == 302 and response["Location"] == moved
    assert "some-token-value" not in response["Location"]


# --- Finding 9: wide office networks, lock notices, ended sessions --------------------------


def test_v8_an_office_network_of_the_whole_internet_needs_a_confirmation(console, practice):
    from tests.practice.test_console_settings import post

    response = post(console, office_networks="0.0.0.0/0")
    assert response.status_code == 400
    body = response.content.decode()
    assert "far wider than an office" in body
    assert "Save anyway: I mean these very wide networks" in body
    assert not practice.office_networks.exists()
    response = post(console, office_networks="0.0.0.0/0", confirm_wide_networks="on")
    assert response.status_code == 302
    assert list(practice.office_networks.values_list("cidr", flat=True)) == ["0.0.0.0/0"]
    # The settings page keeps warning while it stands.
    assert "far wider than an office" in console.get("/console/settings/").content.decode()


@pytest.mark.parametrize("cidr", ["10.0.0.0/8", "2001:db8::/32", "192.168.1.0/24"])
def test_v8_office_sized_networks_need_no_confirmation(console, practice, cidr):
    from tests.practice.test_console_settings import post

    assert post(console, office_networks=cidr).status_code == 302


def test_v8_create_practice_refuses_a_wide_network_without_its_flag():
    with pytest.raises(CommandError, match="far wider than an office"):
        call_command("create_practice", "wide", "--name", "Wide", "--office-network", "::/0")
    assert not Practice.objects.filter(code="wide").exists()
    call_command(
        "create_practice",
        "wide",
        "--name",
        "Wide",
        "--office-network",
        "::/0",
        "--allow-wide-network",
    )
    assert Practice.objects.filter(code="wide").exists()


def test_v16_lock_notices_go_to_registered_administrators_only(client, office, member, practice):
    registered = AdminFactory(practice=practice, email="boss@example.test")
    invited = AdminFactory(practice=practice, email="invited@example.test")
    invited.set_unusable_password()
    invited.save()
    for _ in range(5):
        sign_in_post(client, office.practice, "nina", "Wrong-Horse-9!")
    recipients = {address for message in mail.outbox for address in message.to}
    assert registered.email in recipients
    assert invited.email not in recipients


def test_v7_a_temporary_password_ends_the_users_sessions_and_lists_them_as_ended(console, member):
    browser = signed_in_client(member)
    assert browser.get("/account/").status_code == 200
    response = console.post(
        f"/console/users/{member.pk}/temporary-password/",
        {"temporary_password": "Welcome-Aboard-7!", "temporary_password2": "Welcome-Aboard-7!"},
    )
    assert response.status_code == 302
    session = UserSession.objects.get(user=member)
    assert session.ended_at is not None and session.end_reason == "temporary_password"
    page = console.get(f"/console/users/{member.pk}/").context
    assert list(page["sessions"]) == []
    response = browser.get("/account/", follow=True)
    assert "administrator set a temporary password" in response.content.decode()


# --- NIST profile: 15 characters wherever a password alone can sign in ---------------------------


@pytest.mark.parametrize(
    "two_factor, office_exempt, minimum",
    [
        (TwoFactorPolicy.REQUIRE, False, 8),
        (TwoFactorPolicy.REQUIRE, True, 15),
        (TwoFactorPolicy.PROMPT, False, 15),
        (TwoFactorPolicy.NONE, False, 15),
    ],
)
def test_v6_2_1_the_nist_profile_asks_15_characters_unless_every_sign_in_has_a_second_factor(
    member, two_factor, office_exempt, minimum
):
    practice = member.practice
    practice.password_profile = PasswordProfile.NIST
    practice.two_factor_policy = two_factor
    practice.two_factor_office_exempt = office_exempt
    practice.save()
    assert effective_policy(member).password_min_length == minimum


def test_v6_support_staff_always_need_a_second_factor(client):
    from tests.factories import StaffFactory

    staff = StaffFactory(username="support")
    response = client.post("/admin/login/", {"username": "support", "password": PASSWORD})
    assert response["Location"] == "/login/setup/"
    assert effective_policy(staff).second_factor_required("office")
    assert UserFactory  # noqa: B018 - factories imported for the modules above


def test_v7_signing_out_is_one_transaction_with_its_audit_row(client, member):
    from practice.models import AuditEvent

    sign_in(client, member)
    client.post("/logout/")
    event = AuditEvent.objects.get(action="signout", target=member)
    assert event.actor == member
    assert UserSession.objects.get(user=member).end_reason == "signed_out"
    assert Client().get("/account/").status_code == 302
