"""The console in real Chromium: an administrator's everyday tasks, and their effect on the user."""

from datetime import time
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from accounts.lockout import lock_refresh, user_lock
from accounts.models import User, Weekday
from tests.factories import (
    PASSWORD,
    AdminFactory,
    OfficeNetworkFactory,
    PracticeFactory,
    UserFactory,
)
from tests.signin_helpers import browser_signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def clinic(db):
    return PracticeFactory(code="valley", name="Valley Pediatrics", time_zone="America/New_York")


@pytest.fixture
def admin(clinic):
    return AdminFactory(practice=clinic, username="avery", first_name="Avery", last_name="Admin")


@pytest.fixture
def user_page(browser):
    """A second browser, for the user whose account the administrator changes."""
    context = browser.new_context(locale="en-US", timezone_id="America/New_York")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def user_signs_in(live_server, page, username, password):
    # `next` lands on a page that shows the signed-in header.
    page.goto(f"{live_server.url}/p/valley/login/?next=/p/valley/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def open_console(live_server, page, admin, *, device=None):
    """Sign the browser in as `admin` by handing it a session made by the test client."""
    browser_signed_in(page.context, live_server.url, admin, device=device)
    page.goto(f"{live_server.url}/console/")


def test_find_a_locked_user_and_unlock_them(live_server, page, user_page, admin, clinic):
    OfficeNetworkFactory(practice=clinic, cidr="127.0.0.0/8")
    UserFactory(practice=clinic, username="nina", first_name="Nina", last_name="Reyes")
    locked = UserFactory(practice=clinic, username="lee", first_name="Lee", last_name="Locke")
    user_lock(user=locked, actor=admin)
    user_signs_in(live_server, user_page, "lee", PASSWORD)
    expect(user_page.get_by_text("locked")).to_be_visible()
    open_console(live_server, page, admin)

    page.get_by_label("Locked", exact=True).check()
    expect(page.get_by_role("link", name="Nina Reyes")).to_have_count(0)
    page.get_by_role("link", name="Lee Locke").click()
    expect(page.get_by_label("Login locked")).to_be_checked()
    page.get_by_label("Login locked").uncheck()
    page.locator("#lockout").get_by_role("button", name="Save").click()

    expect(page.get_by_text("Saved the changes to Lee Locke.")).to_be_visible()
    expect(page.get_by_label("Login locked")).not_to_be_checked()
    locked.refresh_from_db()
    assert lock_refresh(user=locked) is False
    user_signs_in(live_server, user_page, "lee", PASSWORD)
    expect(user_page.get_by_role("button", name="Sign out")).to_be_visible()


def test_grant_remote_access_after_linking_the_pm_username(
    live_server, page, user_page, admin, clinic
):
    # No office network: every sign-in to the live server is a remote one.
    doctor = UserFactory(practice=clinic, username="dana", first_name="Dana", last_name="Okafor")
    user_signs_in(live_server, user_page, "dana", PASSWORD)
    expect(user_page.get_by_text("Remote access is not enabled")).to_be_visible()
    open_console(live_server, page, admin)
    page.get_by_role("link", name="Dana Okafor").click()

    remote = page.get_by_label("Allow remote access")
    expect(remote).to_be_disabled()
    expect(page.get_by_text("Set the Practice management username first")).to_be_visible()
    page.get_by_label("Practice management username").fill("DOKAFOR")
    expect(remote).to_be_enabled()
    remote.check()
    page.get_by_label("Reason for remote access").fill("On call")
    page.locator("#remote_access").get_by_role("button", name="Save").click()

    expect(page.get_by_text("Saved the changes to Dana Okafor.")).to_be_visible()
    expect(page.get_by_label("Allow remote access")).to_be_checked()
    doctor.refresh_from_db()
    assert doctor.remote_access and doctor.pm_username == "DOKAFOR"
    page.get_by_role("link", name="Users").click()
    row = page.get_by_role("row", name="Dana Okafor")
    expect(row.get_by_text("remote access")).to_be_visible()
    # Now Dana gets past the network gate; a remote sign-in needs a second factor, and a first
    # setup from outside the office starts by confirming it is her.
    user_signs_in(live_server, user_page, "dana", PASSWORD)
    expect(user_page.get_by_text("Remote access is not enabled")).to_have_count(0)
    expect(user_page.get_by_role("heading", name="Confirm it is you")).to_be_visible()


def test_set_login_times_and_see_the_week_picture(live_server, page, user_page, admin, clinic):
    OfficeNetworkFactory(practice=clinic, cidr="127.0.0.0/8")
    desk = UserFactory(practice=clinic, username="felix", first_name="Felix", last_name="Hart")
    # Windows on days that are neither today nor yesterday in the practice's zone, so Felix is
    # certainly outside them when he tries to sign in below.
    today = timezone.now().astimezone(ZoneInfo(clinic.time_zone)).weekday()
    day, night, morning = (Weekday((today + n) % 7).label for n in (2, 3, 4))
    open_console(live_server, page, admin)
    page.get_by_role("link", name="Felix Hart").click()
    expect(page.get_by_text("America/New_York").first).to_be_visible()

    page.get_by_label("Restrict login times").check()
    page.get_by_label(f"{day} start").fill("07:00")
    page.get_by_label(f"{day} end").fill("19:00")
    page.get_by_label(f"{night} start").fill("22:00")
    page.get_by_label(f"{night} end").fill("06:00")
    page.locator("#login_times").get_by_role("button", name="Save").click()

    expect(page.get_by_text("Saved the changes to Felix Hart.")).to_be_visible()
    picture = page.get_by_role("img", name="When Felix may sign in")
    expect(picture).to_be_visible()
    expect(picture).to_contain_text(day)
    # A bar for the day shift; the night shift drawn on its day and on the next morning.
    expect(page.locator(f".week__row[data-day={day}] .week__bar")).to_have_count(1)
    expect(page.locator(f".week__row[data-day={night}] .week__bar")).to_have_count(1)
    expect(page.locator(f".week__row[data-day={morning}] .week__bar--overnight")).to_have_count(1)
    expect(page.locator(f".week__row[data-day={Weekday(today).label}] .week__bar")).to_have_count(0)
    desk = User.objects.get(pk=desk.pk)
    assert desk.login_times_restricted
    assert {(w.weekday, w.start, w.end) for w in desk.login_windows.all()} == {
        ((today + 2) % 7, time(7), time(19)),
        ((today + 3) % 7, time(22), time(6)),
    }
    # From Felix's side: refused now, told when he may sign in.
    user_signs_in(live_server, user_page, "felix", PASSWORD)
    expect(user_page.get_by_text("not allowed at this time")).to_be_visible()


def test_set_a_generated_temporary_password(live_server, page, user_page, admin, clinic):
    OfficeNetworkFactory(practice=clinic, cidr="127.0.0.0/8")
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
    # Nora signs in with it and must choose her own password first.
    user_signs_in(live_server, user_page, "nora", password)
    expect(user_page.get_by_role("heading", name="Change your password")).to_be_visible()
    expect(user_page.get_by_label("Current password")).to_have_count(0)


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
    # Sam is told by email, and who did it.
    assert any(
        message.to == [caller.email] and "reset your two-factor authentication" in message.subject
        for message in mail.outbox
    )
