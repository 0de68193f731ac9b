"""Account lifecycle in real Chromium: offboarding a signed-in user ends their open session at
its next request; the access review is done with the keyboard alone. axe at both sizes."""

import pytest
from playwright.sync_api import expect

from accounts.models import AccessReview, Role
from accounts.remote_access import remote_access_grant
from tests.browser.accessibility import assert_accessible
from tests.factories import UserFactory
from tests.signin_helpers import browser_signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_offboarding_a_signed_in_user_refuses_their_open_session(
    live_server, browser, page, admin_user, member
):
    theirs = browser.new_context()
    browser_signed_in(theirs, live_server.url, member)
    their_page = theirs.new_page()
    their_page.goto(f"{live_server.url}/account/")
    expect(their_page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()

    browser_signed_in(page.context, live_server.url, admin_user)
    page.goto(f"{live_server.url}/console/users/{member.pk}/")
    page.get_by_role("link", name="Offboard").click()
    expect(page.get_by_role("heading", name=f"Offboard {member}")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Confirm offboarding").click()
    expect(page.get_by_text("is offboarded")).to_be_visible()

    their_page.reload()
    expect(their_page.get_by_label("Password")).to_be_visible()  # back on the sign-in page
    expect(their_page.get_by_text("no longer active")).to_be_visible()
    theirs.close()


def test_an_access_review_by_keyboard_alone(live_server, page, practice, admin_user, member):
    member.pm_username = "NR"
    member.save()
    remote_access_grant(user=member, actor=admin_user)
    UserFactory(practice=practice, role=Role.USER_MANAGER, username="morgan")
    browser_signed_in(page.context, live_server.url, admin_user)
    page.goto(f"{live_server.url}/console/reviews/")
    assert_accessible(page)
    start = page.get_by_role("button", name="Start review")
    start.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Finish review")).to_be_visible()
    assert_accessible(page)
    # Three lines: each a pair of radio buttons reached with Tab, chosen with the arrow keys.
    radios = page.get_by_role("radio", name="Keep")
    expect(radios).to_have_count(3)
    radios.first.focus()
    page.keyboard.press("Space")  # Keep
    for _ in range(2):
        page.keyboard.press("Tab")
        while page.evaluate("document.activeElement.type") != "radio":
            page.keyboard.press("Tab")
        page.keyboard.press("ArrowRight")  # Remove
    while page.evaluate("document.activeElement.textContent") != "Finish review":
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    # Nina's remote access kept; both roles marked Remove, but the last administrator stays.
    expect(
        page.get_by_text(
            "Review finished: 1 kept, 1 removed. The practice's last administrator was kept."
        )
    ).to_be_visible()
    assert AccessReview.objects.get().finished_at is not None
