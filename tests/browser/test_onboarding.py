"""A practice's first week in real Chromium (issue 24): the first administrator of a practice
without an office network signs in from here and sets up a second factor, the console says
what is missing; providers in the console; support's changes on the overview and in Django
admin's invitation of the first administrator. Every page checked by axe-core at 1280x900 and
360x740."""

import io
import re
import sys

import pyotp
import pytest
from django.core import mail
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from accounts.lockout import user_lock, user_unlock
from mfa.models import AuthenticatorApp
from practice.models import Practice, Provider
from practice.vocabulary import LockChange
from tests.browser.accessibility import axe_violations
from tests.factories import PASSWORD, OfficeNetworkFactory, StaffFactory
from tests.signin_helpers import browser_signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The sizes: a desktop, and a small phone.
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 360, "height": 740}}


def assert_accessible(page) -> None:
    """No axe violation at either size, and nothing wider than the phone."""
    original = page.viewport_size
    try:
        for name, size in SIZES.items():
            page.set_viewport_size(size)
            assert axe_violations(page) == [], name
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= size["width"], f"{name}: {width} px wide"
    finally:
        page.set_viewport_size(original)


@pytest.fixture
def solo_practice(db):
    """`create_practice solo --name Solo`: no office network, nobody yet."""
    call_command(
        "create_practice", "solo", "--name", "Solo", stdout=io.StringIO(), stderr=io.StringIO()
    )
    return Practice.objects.get(code="solo")


@pytest.fixture
def solo(solo_practice, monkeypatch):
    """And its first user: `create_user solo boss --email boss@example.test --password-stdin`."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    call_command(
        "create_user",
        "solo",
        "boss",
        "--email",
        "boss@example.test",
        "--first-name",
        "Bo",
        "--password-stdin",
        stdout=io.StringIO(),
    )
    return Practice.objects.get(code="solo")


def test_item1_the_first_administrator_gets_in_and_is_told_what_is_missing(live_server, page, solo):
    page.goto(f"{live_server.url}/p/solo/login/")
    page.get_by_label("Username").fill("boss")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # Not "Remote access is not enabled": first the emailed code, then a second factor.
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    expect(page.get_by_text("Remote access is not enabled")).to_have_count(0)
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("^Email a code to")).click()
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    page.get_by_label("Verification code").fill(code)
    page.get_by_role("button", name="Verify").click()
    page.get_by_role("link", name="Add authenticator app").click()
    uri = page.get_by_role("link", name="Open in authenticator app").get_attribute("href")
    page.get_by_label("Verification code").fill(pyotp.parse_uri(uri).now())
    page.get_by_role("button", name="Verify").click()
    page.get_by_role("button", name="Continue without recovery codes").click()

    # The console, saying why and where to go, on every page until a network is saved.
    notice = page.get_by_role("note")
    expect(notice).to_contain_text("Your practice has no office network yet.")
    assert_accessible(page)
    notice.get_by_role("link", name="Add your office networks in Settings").click()
    expect(page.get_by_role("heading", name="Settings of Solo")).to_be_visible()
    expect(
        page.get_by_text("You signed in from outside the office to set PracticeGate up.")
    ).to_be_visible()
    assert_accessible(page)
    assert AuthenticatorApp.objects.filter(user__username="boss", confirmed=True).exists()


def test_item2_an_administrator_manages_providers_with_the_keyboard_and_the_mouse(
    live_server, page, practice, admin_user, member
):
    OfficeNetworkFactory(practice=practice, cidr="127.0.0.0/8")
    browser_signed_in(page.context, live_server.url, admin_user)
    page.goto(f"{live_server.url}/console/")
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Providers").click()
    expect(page.get_by_role("heading", name="Providers")).to_be_visible()
    expect(page.get_by_text("No providers yet.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Add provider").click()
    page.get_by_label("Provider name").fill("Dr. Ada Park")
    page.get_by_label("NPI").fill("1234567890")
    page.get_by_role("button", name="Add provider").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name="NPI")).to_be_visible()
    expect(page.get_by_text("its check digit does not match")).to_be_visible()
    assert_accessible(page)
    # Keyboard only, from the summary's link to the field.
    summary.get_by_role("link").first.press("Enter")
    expect(page.get_by_label("NPI")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("1234567893")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Added the provider Dr. Ada Park.")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Dr. Ada Park").click()
    page.get_by_label("Provider name").fill("Dr. Ada Park-Lee")
    page.get_by_role("button", name="Save provider").click()
    expect(page.get_by_text("Saved Dr. Ada Park-Lee.")).to_be_visible()
    page.get_by_role("link", name="Dr. Ada Park-Lee").click()
    assert_accessible(page)

    # Linked to Nina: another user cannot have it, and it is not removed.
    provider = Provider.objects.get(practice=practice)
    member.provider = provider
    member.save()
    page.reload()
    expect(page.get_by_text("Unlink them on their user page before removing")).to_be_visible()
    expect(page.get_by_role("button", name="Remove provider")).to_have_count(0)
    assert_accessible(page)
    page.goto(f"{live_server.url}/console/users/{admin_user.pk}/")
    page.get_by_label("User is this provider").select_option(label=str(provider))
    page.locator("#details").get_by_role("button", name="Save").click()
    expect(page.locator("[data-error-summary]")).to_be_visible()
    expect(page.get_by_text("is already linked to Nina Reyes (nina)")).to_be_visible()
    assert_accessible(page)

    member.provider = None
    member.save()
    page.goto(f"{live_server.url}/console/providers/{provider.pk}/")
    page.get_by_role("button", name="Remove provider").click()
    expect(page.get_by_text("Removed the provider Dr. Ada Park-Lee.")).to_be_visible()
    assert not Provider.objects.filter(practice=practice).exists()


def test_item3_the_overview_shows_what_support_changed_and_the_log_filters_it(
    live_server, page, practice, admin_user, member
):
    OfficeNetworkFactory(practice=practice, cidr="127.0.0.0/8")
    support = StaffFactory(username="support")
    user_lock(user=member, actor=None, reason=LockChange.FAILED_ATTEMPTS)
    user_unlock(user=member, actor=support, reason=LockChange.SUPPORT)
    browser_signed_in(page.context, live_server.url, admin_user)
    page.goto(f"{live_server.url}/console/")
    link = page.get_by_role("link", name="1 change by support in the last 7 days")
    expect(link).to_be_visible()
    latest = page.get_by_role("list", name="Latest changes by support")
    expect(latest).to_contain_text("Unlocked by support (nina), by support (support)")
    assert_accessible(page)
    link.click()
    expect(page.get_by_label("By")).to_have_value("support")
    rows = page.get_by_role("region", name="Audit events").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Unlocked by support")
    assert_accessible(page)


def test_item1_support_invites_the_first_administrator_in_django_admin(
    live_server, page, solo_practice
):
    staff = StaffFactory(username="support")
    device = TOTPDevice.objects.create(user=staff, name="Key", confirmed=True)
    browser_signed_in(page.context, live_server.url, staff, device=device)
    page.goto(f"{live_server.url}/admin/practice/practice/")
    page.get_by_role("checkbox", name="Select this object for an action - Solo (solo)").check()
    page.get_by_role("combobox", name=re.compile("^Action")).select_option(
        label="Invite the first administrator"
    )
    page.get_by_role("button", name="Go").click()
    expect(
        page.get_by_role("heading", name="Invite the first administrator of Solo")
    ).to_be_visible()
    expect(page.locator("input[type=password]")).to_have_count(0)
    assert_accessible(page)
    page.get_by_label("Username").fill("boss")
    page.get_by_label("Email").fill("boss@example.test")
    page.get_by_role("button", name="Send the invitation").click()
    expect(
        page.get_by_text("Invited boss (boss@example.test) as the first administrator")
    ).to_be_visible()
    assert [m.to for m in mail.outbox] == [["boss@example.test"]]
