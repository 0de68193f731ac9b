import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_page_has_its_labelled_controls(live_server, page):
    page.goto(f"{live_server.url}/login/")
    expect(page.get_by_label("Practice code")).to_be_visible()
    expect(page.get_by_label("Username")).to_be_visible()
    expect(page.get_by_label("Password")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    # Our own stylesheet is served (no CDN) and applied.
    assert page.evaluate("getComputedStyle(document.body).display") == "flex"


def test_practice_login_page_names_the_practice_and_asks_no_code(live_server, page, practice):
    page.goto(f"{live_server.url}/p/{practice.code}/login/")
    expect(page.get_by_role("heading", name=f"Sign in to {practice.name}")).to_be_visible()
    expect(page.get_by_label("Practice code")).to_have_count(0)
    expect(page.get_by_label("Username")).to_be_visible()
