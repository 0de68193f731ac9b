"""The console in real Chromium: an administrator's everyday tasks, and their effect on the user."""

from datetime import time

import pytest
from django.conf import settings
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from accounts.lockout import lock_state, user_lock
from accounts.login_times import login_allowed
from accounts.models import User
from tests.factories import PASSWORD, AdminFactory, PracticeFactory, UserFactory
from tests.signin_helpers import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def clinic(db):
    return PracticeFactory(code="valley", name="Valley Pediatrics", time_zone="America/New_York")


@pytest.fixture
def admin(clinic):
    return AdminFactory(practice=clinic, username="avery", first_name="Avery", last_name="Admin")


def open_console(live_server, page, admin, *, device=None):
    """Sign the browser in as `admin` by handing it a session made by the test client."""
    client = Client()
    sign_in(client, admin, device=device)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page.goto(f"{live_server.url}/console/")


def test_find_a_locked_user_and_unlock_them(live_server, page, admin, clinic):
    UserFactory(practice=clinic, username="nina", first_name="Nina", last_name="Reyes")
    locked = UserFactory(practice=clinic, username="lee", first_name="Lee", last_name="Locke")
    user_lock(user=locked, actor=admin)
    open_console(live_server, page, admin)

    page.get_by_label("Locked", exact=True).check()
    expect(page.get_by_role("link", name="Nina Reyes")).to_have_count(0)
    page.get_by_role("link", name="Lee Locke").click()
    expect(page.get_by_label("Login locked")).to_be_checked()
    page.get_by_label("Login locked").uncheck()
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_text("Saved the changes to Lee Locke.")).to_be_visible()
    expect(page.get_by_label("Login locked")).not_to_be_checked()
    locked.refresh_from_db()
    assert lock_state(user=locked) is False


def test_grant_remote_access_after_linking_the_pm_username(live_server, page, admin, clinic):
    doctor = UserFactory(practice=clinic, username="dana", first_name="Dana", last_name="Okafor")
    open_console(live_server, page, admin)
    page.get_by_role("link", name="Dana Okafor").click()

    remote = page.get_by_label("Allow remote access")
    expect(remote).to_be_disabled()
    expect(page.get_by_text("Set the Practice management username first")).to_be_visible()
    page.get_by_label("Practice management username").fill("DOKAFOR")
    expect(remote).to_be_enabled()
    remote.check()
    page.get_by_label("Reason for remote access").fill("On call")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_text("Saved the changes to Dana Okafor.")).to_be_visible()
    expect(page.get_by_label("Allow remote access")).to_be_checked()
    doctor.refresh_from_db()
    assert doctor.remote_access and doctor.pm_username == "DOKAFOR"
    page.get_by_role("link", name="Users").click()
    row = page.get_by_role("row", name="Dana Okafor")
    expect(row.get_by_text("remote access")).to_be_visible()


def test_set_login_times_and_see_the_week_picture(live_server, page, admin, clinic):
    desk = UserFactory(practice=clinic, username="felix", first_name="Felix", last_name="Hart")
    open_console(live_server, page, admin)
    page.get_by_role("link", name="Felix Hart").click()
    expect(page.get_by_text("America/New_York").first).to_be_visible()

    page.get_by_label("Restrict login times").check()
    page.get_by_label("Monday start").fill("07:00")
    page.get_by_label("Monday end").fill("19:00")
    page.get_by_label("Friday start").fill("22:00")
    page.get_by_label("Friday end").fill("06:00")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_text("Saved the changes to Felix Hart.")).to_be_visible()
    picture = page.get_by_role("img", name="When Felix may sign in")
    expect(picture).to_be_visible()
    expect(picture).to_contain_text("Monday")
    # Monday's bar, and Friday's night shift drawn on Friday and on Saturday morning.
    expect(page.locator(".week__row[data-day=Monday] .week__bar")).to_have_count(1)
    expect(page.locator(".week__row[data-day=Saturday] .week__bar--overnight")).to_have_count(1)
    expect(page.locator(".week__row[data-day=Tuesday] .week__bar")).to_have_count(0)
    desk = User.objects.get(pk=desk.pk)
    assert desk.login_times_restricted
    assert {(w.weekday, w.start, w.end) for w in desk.login_windows.all()} == {
        (0, time(7), time(19)),
        (4, time(22), time(6)),
    }
    assert login_allowed(desk) in (True, False)


def test_set_a_generated_temporary_password(live_server, page, admin, clinic):
    hire = UserFactory(practice=clinic, username="nora", first_name="Nora", last_name="Quinn")
    open_console(live_server, page, admin)
    page.get_by_role("link", name="Nora Quinn").click()

    page.get_by_role("button", name="Generate").click()
    shown = page.get_by_label("Generated temporary password")
    expect(shown).to_be_visible()
    password = shown.inner_text().strip()
    assert len(password) >= 16

    hire.refresh_from_db()
    assert hire.check_password(password)
    assert hire.must_change_password
    # Shown once: going back to the user's page does not show it again.
    page.get_by_role("link", name="Done").click()
    expect(page.get_by_text(password)).to_have_count(0)


def test_set_a_typed_temporary_password(live_server, page, admin, clinic):
    hire = UserFactory(practice=clinic, username="nora", first_name="Nora", last_name="Quinn")
    open_console(live_server, page, admin)
    page.get_by_role("link", name="Nora Quinn").click()
    page.get_by_label("Temporary password", exact=True).fill("Blue-Canoe-Paddle-8")
    page.get_by_label("Retype temporary password").fill("Blue-Canoe-Paddle-8")
    page.get_by_role("button", name="Set temporary password").click()
    expect(page.get_by_text("Temporary password set for Nora Quinn.")).to_be_visible()
    hire.refresh_from_db()
    assert hire.check_password("Blue-Canoe-Paddle-8") and hire.must_change_password


def test_reset_2fa_pairing_after_confirming_the_password(live_server, page, admin, clinic):
    device = TOTPDevice.objects.create(user=admin, name="Admin phone", confirmed=True)
    caller = UserFactory(practice=clinic, username="sam", first_name="Sam", last_name="Caller")
    TOTPDevice.objects.create(user=caller, name="Old phone", confirmed=True)
    open_console(live_server, page, admin, device=device)
    page.get_by_role("link", name="Sam Caller").click()
    expect(page.get_by_text("Second factor: app")).to_be_visible()

    page.get_by_role("button", name="Reset 2FA pairing").click()
    expect(page.get_by_text("Confirm the caller's identity first.")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm reset").click()

    expect(page.get_by_text("Two-factor pairing of Sam Caller reset")).to_be_visible()
    expect(page.get_by_text("Second factor: none")).to_be_visible()
    assert not TOTPDevice.objects.filter(user=caller).exists()
