"""The second-factor stage: who is asked, the verify page, wrong codes, locking, first setup."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django_otp import DEVICE_ID_SESSION_KEY

from accounts.models import TwoFactorSetup
from mfa.stages import (
    NOT_ASKED,
    SETUP_OPTIONAL,
    SETUP_REQUIRED,
    VERIFY,
    second_factor_decision,
)
from practice.models import AuditEvent, TwoFactorPolicy
from practice.policy import effective_policy
from tests.factories import PASSWORD
from tests.mfa.helpers import app_code, app_device

pytestmark = pytest.mark.django_db

REMOTE = "203.0.113.9"


def sign_in(client, practice, username="nina", password=PASSWORD, **extra):
    return client.post(
        f"/p/{practice.code}/login/", {"username": username, "password": password}, **extra
    )


def allow_remote(user):
    user.remote_access = True
    user.pm_username = user.username
    user.save(update_fields=["remote_access", "pm_username"])


@pytest.mark.parametrize(
    "zone, policy, has_factor, office_exempt, expected",
    [
        # In the office: the practice's policy, unless office sign-ins are exempt.
        ("office", "none", False, False, NOT_ASKED),
        ("office", "none", True, False, VERIFY),
        ("office", "prompt", False, False, SETUP_OPTIONAL),
        ("office", "prompt", True, False, VERIFY),
        ("office", "require", False, False, SETUP_REQUIRED),
        ("office", "require", True, False, VERIFY),
        ("office", "none", True, True, NOT_ASKED),
        ("office", "prompt", False, True, NOT_ASKED),
        ("office", "require", False, True, NOT_ASKED),
        ("office", "require", True, True, NOT_ASKED),
        # Remote: always, whatever the policy or the exemption.
        ("remote", "none", False, False, SETUP_REQUIRED),
        ("remote", "none", True, False, VERIFY),
        ("remote", "prompt", False, False, SETUP_REQUIRED),
        ("remote", "require", False, False, SETUP_REQUIRED),
        ("remote", "none", False, True, SETUP_REQUIRED),
        ("remote", "require", True, True, VERIFY),
    ],
)
def test_who_is_asked(member, zone, policy, has_factor, office_exempt, expected):
    practice = member.practice
    practice.two_factor_policy = policy
    practice.two_factor_office_exempt = office_exempt
    practice.save()
    decision = second_factor_decision(
        policy=effective_policy(member), zone=zone, has_factor=has_factor
    )
    assert decision == expected


def test_the_users_own_setting_overrides_the_practice(member):
    member.two_factor_setup = TwoFactorSetup.REQUIRE
    assert (
        second_factor_decision(policy=effective_policy(member), zone="office", has_factor=False)
        == SETUP_REQUIRED
    )
    member.two_factor_setup = TwoFactorSetup.NONE
    member.practice.two_factor_policy = TwoFactorPolicy.REQUIRE
    assert (
        second_factor_decision(policy=effective_policy(member), zone="office", has_factor=False)
        == NOT_ASKED
    )


def test_office_user_without_a_factor_signs_in_with_the_password(client, office, member):
    response = sign_in(client, office.practice)
    assert response["Location"] == "/account/"
    assert client.session[SESSION_KEY] == str(member.pk)


def test_a_user_with_an_app_is_asked_for_a_code_and_signs_in_with_it(client, office, member):
    device = app_device(member)
    response = sign_in(client, office.practice)
    assert response["Location"] == "/login/verify/"
    assert SESSION_KEY not in client.session

    page = client.get("/login/verify/")
    html = page.content.decode()
    assert "Verification code" in html
    assert ">Verify</button>" in html

    response = client.post("/login/verify/", {"code": app_code(device)})
    assert response["Location"] == "/account/"
    assert client.session[SESSION_KEY] == str(member.pk)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    event = AuditEvent.objects.get(action="signin.succeeded")
    assert event.details["second_factor"] == "app"


def test_a_wrong_code_says_invalid_code_and_counts_as_a_failure(client, office, member):
    app_device(member)
    sign_in(client, office.practice)
    response = client.post("/login/verify/", {"code": "000000"})
    assert response.status_code == 200
    assert "invalid code" in response.content.decode().lower()
    assert SESSION_KEY not in client.session
    member.refresh_from_db()
    assert member.failed_logins == 1
    assert AuditEvent.objects.filter(
        action="signin.failed", target=member, details__reason="second_factor"
    ).exists()


def test_wrong_codes_lock_the_account_at_the_threshold(
    client, office, member, admin_user, settings
):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp's back-off is tested elsewhere
    device = app_device(member)
    sign_in(client, office.practice)
    for _ in range(4):
        response = client.post("/login/verify/", {"code": "000000"})
        assert "invalid code" in response.content.decode().lower()
    response = client.post("/login/verify/", {"code": "000000"}, follow=True)
    html = response.content.decode().lower()
    assert "locked" in html
    assert "invalid username or password" not in html
    member.refresh_from_db()
    assert member.locked_at is not None
    # The administrators are told.
    assert any("locked" in m.subject for m in mail.outbox)
    # The sign-in is over; even the right code does nothing now.
    response = client.post("/login/verify/", {"code": app_code(device)})
    assert SESSION_KEY not in client.session


def test_the_verify_page_needs_a_sign_in_in_progress(client, office, member):
    response = client.get("/login/verify/", follow=True)
    assert "timed out" in response.content.decode()


def test_required_policy_without_a_factor_goes_to_setup_without_not_now(client, office, member):
    office.practice.two_factor_policy = TwoFactorPolicy.REQUIRE
    office.practice.save()
    response = sign_in(client, office.practice)
    assert response["Location"] == "/login/setup/"
    html = client.get("/login/setup/").content.decode()
    assert "Add authenticator app" in html
    assert "Not now" not in html
    # Skipping by hand is refused too.
    response = client.post("/login/setup/skip/")
    assert response["Location"] == "/login/setup/"
    assert SESSION_KEY not in client.session


def test_prompt_policy_offers_not_now(client, office, member):
    office.practice.two_factor_policy = TwoFactorPolicy.PROMPT
    office.practice.save()
    sign_in(client, office.practice)
    assert "Not now" in client.get("/login/setup/").content.decode()
    response = client.post("/login/setup/skip/")
    assert response["Location"] == "/account/"
    assert client.session[SESSION_KEY] == str(member.pk)
    assert AuditEvent.objects.filter(action="mfa.setup_skipped", target=member).exists()


def test_first_remote_sign_in_without_a_factor_goes_straight_to_setup(client, office, member):
    allow_remote(member)
    response = sign_in(client, office.practice, REMOTE_ADDR=REMOTE)
    assert response["Location"] == "/login/setup/"
    # From outside the office, the setup pages wait until the user proves who they are.
    assert client.get("/login/setup/app/")["Location"] == "/login/setup/"
    html = client.get("/login/setup/").content.decode()
    assert "Confirm it is you" in html
    assert "Not now" not in html


def test_a_pairing_reset_during_the_verify_step_starts_the_sign_in_again(
    client, office, member, admin_user
):
    from mfa.pairing import pairing_reset

    app_device(member)
    sign_in(client, office.practice)
    pairing_reset(user=member, actor=admin_user)
    response = client.get("/login/verify/", follow=True)
    assert "Please sign in again" in response.content.decode()
    assert SESSION_KEY not in client.session
