"""Changing the password on /account/password/ in real Chromium, with the live checklist."""

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.signin_helpers import browser_signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def rule(page, rule_id):
    return page.locator(f'#password-rules [data-rule="{rule_id}"]')


def test_change_password_with_the_live_checklist(live_server, page, member):
    csp_errors = []
    page.on(
        "console",
        lambda msg: csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    browser_signed_in(page.context, live_server.url, member)
    page.goto(f"{live_server.url}/account/password/")
    expect(page.get_by_role("heading", name="Change password")).to_be_visible()
    expect(rule(page, "length")).to_contain_text("At least 8 characters")

    new_password = page.get_by_label("New password", exact=True)
    new_password.press_sequentially("granite")
    expect(rule(page, "lower")).to_have_attribute("data-state", "met")
    for pending in ("length", "upper", "digit", "symbol"):
        expect(rule(page, pending)).to_have_attribute("data-state", "pending")

    new_password.press_sequentially("-River")
    expect(rule(page, "length")).to_have_attribute("data-state", "met")
    expect(rule(page, "upper")).to_have_attribute("data-state", "met")
    expect(rule(page, "symbol")).to_have_attribute("data-state", "met")
    expect(rule(page, "digit")).to_have_attribute("data-state", "pending")

    new_password.press_sequentially("-42")
    for met in ("length", "lower", "upper", "digit", "symbol"):
        expect(rule(page, met)).to_have_attribute("data-state", "met")
    # What only the server can check waits for the submit.
    expect(rule(page, "history")).to_contain_text("checked when you save")

    # Deleting a kind of character un-ticks its rule.
    new_password.fill("granite-river")
    expect(rule(page, "upper")).to_have_attribute("data-state", "pending")
    expect(rule(page, "digit")).to_have_attribute("data-state", "pending")

    new_password.fill("Granite-River-42")
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("Confirm new password").fill("Granite-River-42")
    page.get_by_role("button", name="Change password").click()

    expect(page).to_have_url(f"{live_server.url}/account/")
    expect(page.get_by_text("Your password is changed.")).to_be_visible()
    member.refresh_from_db()
    assert member.check_password("Granite-River-42")
    assert csp_errors == []


def test_a_reused_password_is_refused_and_marked_on_the_checklist(live_server, page, member):
    browser_signed_in(page.context, live_server.url, member)
    page.goto(f"{live_server.url}/account/password/")
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm new password").fill(PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("You used this password recently")).to_be_visible()
    expect(rule(page, "history")).to_have_attribute("data-state", "unmet")
    member.refresh_from_db()
    assert member.check_password(PASSWORD)
