"""Roles in real Chromium: an administrator shapes a "Front desk" role of unlock and temporary
passwords, gives it to a user, and that user unlocks someone and never sees remote access."""

import pytest
from playwright.sync_api import expect

from accounts.lockout import lock_refresh, user_lock
from accounts.models import User
from practice.models import PracticeRole
from practice.vocabulary import Permission
from tests.browser.accessibility import assert_accessible
from tests.factories import AdminFactory, PracticeFactory, UserFactory
from tests.signin_helpers import browser_signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def clinic(db):
    return PracticeFactory(code="valley", name="Valley Pediatrics", time_zone="America/New_York")


def test_a_front_desk_role_unlocks_and_never_sees_remote_access(live_server, page, browser, clinic):
    admin = AdminFactory(practice=clinic, username="avery", first_name="Avery", last_name="Admin")
    desk_user = UserFactory(practice=clinic, username="fran", first_name="Fran", last_name="Desk")
    locked = UserFactory(practice=clinic, username="lee", first_name="Lee", last_name="Locke")
    user_lock(user=locked, actor=admin)

    # The administrator adds the role on /console/roles/ ...
    browser_signed_in(page.context, live_server.url, admin)
    page.goto(f"{live_server.url}/console/")
    page.get_by_role("link", name="Roles").click()
    assert_accessible(page)
    page.get_by_role("link", name="Add role").click()
    page.get_by_label("Role name").fill("Front desk")
    page.get_by_label(Permission.UNLOCK.label).check()
    page.get_by_label(Permission.TEMPORARY_PASSWORD.label).check()
    assert_accessible(page)
    page.get_by_role("button", name="Save role").click()
    expect(page.get_by_role("link", name="Front desk")).to_be_visible()
    role = PracticeRole.objects.get(practice=clinic, name="Front desk")
    assert sorted(role.permissions) == [Permission.TEMPORARY_PASSWORD, Permission.UNLOCK]

    # ... and gives it to Fran on her user page.
    page.get_by_role("link", name="Users").click()
    page.get_by_role("link", name="Fran Desk").click()
    page.get_by_label("Role").select_option(label="Front desk")
    page.locator("#details").get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved the changes to Fran Desk.")).to_be_visible()
    assert User.objects.get(pk=desk_user.pk).practice_role == role

    # Fran, in her own browser: the console shows her what she may do, and nothing else.
    context = browser.new_context(locale="en-US", timezone_id="America/New_York")
    fran = context.new_page()
    fran.set_default_timeout(10_000)
    browser_signed_in(context, live_server.url, User.objects.get(pk=desk_user.pk))
    fran.goto(f"{live_server.url}/account/")
    fran.get_by_role("link", name="Console").click()
    expect(fran.get_by_role("link", name="Add user")).to_have_count(0)
    expect(fran.get_by_role("link", name="Roles")).to_have_count(0)
    fran.get_by_role("link", name="Lee Locke").click()
    expect(fran.get_by_label("Allow remote access")).to_have_count(0)
    expect(fran.get_by_text("Allow remote access")).to_have_count(0)
    expect(fran.get_by_role("button", name="Set temporary password")).to_be_visible()
    expect(fran.get_by_role("button", name="Reset 2FA pairing")).to_have_count(0)
    assert_accessible(fran)
    expect(fran.get_by_label("Login locked")).to_be_checked()
    fran.get_by_label("Login locked").uncheck()
    fran.locator("#lockout").get_by_role("button", name="Save").click()
    expect(fran.get_by_text("Saved the changes to Lee Locke.")).to_be_visible()
    locked.refresh_from_db()
    assert lock_refresh(user=locked) is False

    # What the page does not offer, the server refuses: her settings page is a 403.
    response = fran.goto(f"{live_server.url}/console/settings/")
    assert response.status == 403
    context.close()
