"""Signing in, in real Chromium: the practice's page, refusals, the forced change, sign-out."""

import re

import pytest
from playwright.sync_api import expect

from accounts.passwords import temporary_password_set
from tests.factories import PASSWORD, OfficeNetworkFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def office(practice):
    return OfficeNetworkFactory(practice=practice, cidr="127.0.0.0/8")


def fill_sign_in(page, username, password):
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_wrong_password_then_lock_then_the_locked_message(live_server, page, office, member):
    page.goto(f"{live_server.url}/p/valley/login/")
    for _ in range(4):
        fill_sign_in(page, "nina", "Wrong-Horse-9!")
        expect(page.get_by_text("Invalid username or password.")).to_be_visible()
    fill_sign_in(page, "nina", "Wrong-Horse-9!")
    # The attempt that locks says why; the next ones only that it is locked.
    expect(
        page.get_by_text("Your account is now locked after too many failed sign-in attempts.")
    ).to_be_visible()
    fill_sign_in(page, "nina", PASSWORD)
    expect(page.get_by_text("Your account is locked")).to_be_visible()
    expect(page.get_by_text("Invalid username or password.")).to_have_count(0)


def test_temporary_password_change_then_signed_in_then_sign_out(
    live_server, page, office, member, admin_user
):
    temporary_password_set(user=member, password="Welcome-Aboard-7!", actor=admin_user)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Practice code").fill("valley")
    fill_sign_in(page, "nina", "Welcome-Aboard-7!")
    expect(page.get_by_role("heading", name="Change your password")).to_be_visible()
    expect(page.get_by_label("Current password")).to_have_count(0)
    page.get_by_label("New password", exact=True).fill("Blue-Canyon-Rain-4!")
    page.get_by_label("Confirm new password").fill("Blue-Canyon-Rain-4!")
    page.get_by_role("button", name="Change password").click()
    expect(page).to_have_url(f"{live_server.url}/account/")
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    # The practice code is remembered on this browser.
    page.goto(f"{live_server.url}/login/")
    expect(page.get_by_label("Practice code")).to_have_value("valley")


def test_idle_warning_offers_stay_signed_in(live_server, page, office, member):
    office.practice.idle_timeout_minutes = 1  # the warning shows at once: under two minutes
    office.practice.save()
    page.goto(f"{live_server.url}/p/valley/login/")
    fill_sign_in(page, "nina", PASSWORD)
    warning = page.get_by_role("alertdialog")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("You will be signed out in")
    stay = page.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_focused()
    countdown = page.locator("#idle-countdown")
    expect(countdown).to_have_text("0:56", timeout=8000)
    stay.click()
    # The server counted it as activity and the countdown starts again from a minute.
    expect(countdown).to_have_text(re.compile(r"^(1:00|0:59|0:58)$"), timeout=3000)
