"""On a phone and after a failed save, in real Chromium: the header folds behind "Menu", the user
list is one readable row per user, a failed form says so at the top (focused, linked to each
field), a successful save brings focus back to its section, the recent-activity table scrolls
by keyboard, and deactivating a user asks first."""

import pytest
from playwright.sync_api import expect

from accounts.models import UserSession
from tests.browser.accessibility import assert_accessible
from tests.browser.pages import make_site, sign_in_as
from tests.signin_helpers import browser_signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
FOCUSED_SUMMARY = "() => document.activeElement.matches('[data-error-summary]')"


@pytest.fixture
def site(practice, admin_user, member):
    return make_site(practice, admin_user, member)


def test_the_header_folds_behind_a_menu_button_on_a_phone(live_server, page, site):
    sign_in_as(page.context, live_server.url, site.admin)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/console/")
    header = page.locator(".site-header")
    sign_out = page.get_by_role("button", name="Sign out", exact=True)
    expect(sign_out).to_be_hidden()
    assert header.bounding_box()["height"] < 80  # was ~270 px before anything else
    # By keyboard: Tab from the brand to "Menu", Enter opens it, Escape closes it again.
    page.get_by_role("link", name="Valley Pediatrics").focus()
    page.keyboard.press("Tab")
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_be_focused()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(sign_out).to_be_visible()
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Console")
    ).to_be_visible()
    assert_accessible(page)
    page.keyboard.press("Escape")
    expect(sign_out).to_be_hidden()
    expect(menu).to_be_focused()
    # On a desktop there is no menu button: everything is in the header.
    page.set_viewport_size({"width": 1280, "height": 900})
    expect(menu).to_be_hidden()
    expect(sign_out).to_be_visible()


def test_the_user_list_is_one_readable_row_per_user_on_a_phone(live_server, page, site):
    sign_in_as(page.context, live_server.url, site.admin)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/console/")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Nina Reyes"))
    name = row.get_by_role("link", name="Nina Reyes")
    badge = row.get_by_text("remote access", exact=True)
    last_sign_in = row.locator("td").last  # "Last sign-in: never"
    for part in (name, badge, last_sign_in):
        box = part.bounding_box()
        # On screen without scrolling sideways: nothing hides in a scroll area.
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], part
    # The name on its own line, the badges below it.
    assert badge.bounding_box()["y"] > name.bounding_box()["y"] + name.bounding_box()["height"] - 1
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_failed_save_on_the_user_page_is_summarised_at_the_top_and_focused(
    live_server, page, site
):
    sign_in_as(page.context, live_server.url, site.admin)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/console/users/{site.member.pk}/")
    page.get_by_label("Monday start").fill("25:00")
    page.get_by_label("Monday end").fill("17:00")
    page.get_by_label("Tuesday start").fill("nine")
    page.get_by_label("Tuesday end").fill("17:00")
    page.locator("#login_times").get_by_role("button", name="Save").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("The changes were not saved: 2 problems")
    assert page.evaluate(FOCUSED_SUMMARY)
    assert summary.bounding_box()["y"] < PHONE["height"]  # seen at once, not 1,000 px below
    links = summary.get_by_role("link")
    expect(links).to_have_count(2)
    hrefs = {links.nth(i).get_attribute("href") for i in range(2)}
    assert hrefs == {"#id_monday_start", "#id_tuesday_start"}
    assert_accessible(page)
    # A link takes the keyboard to its field.
    summary.get_by_role("link", name="Monday start").click()
    expect(page.get_by_label("Monday start")).to_be_focused()


@pytest.mark.parametrize(
    ("path", "fill", "button", "heading"),
    [
        (
            "/console/users/{member}/",
            {"Remote access until": "2001-01-01"},
            ("#remote_access", "Save"),  # the Save of that section of the page
            "The changes were not saved: 1 problem",
        ),
        (
            "/console/settings/",
            {"Lockout threshold": "0"},
            "Save settings",
            "The changes were not saved: 1 problem",
        ),
        (
            "/account/",
            {"Email": "not an address"},
            "Save",
            "The changes were not saved: 1 problem",
        ),
        (
            "/account/password/",
            {},
            "Change password",
            "The password was not changed: 3 problems",
        ),
    ],
)
def test_every_form_that_fails_says_so_at_the_top(
    live_server, page, site, path, fill, button, heading
):
    sign_in_as(page.context, live_server.url, site.admin)
    page.goto(f"{live_server.url}{path.format(member=site.member.pk)}")
    for label, value in fill.items():
        page.get_by_label(label, exact=True).fill(value)
    section, button = button if isinstance(button, tuple) else (None, button)
    scope = page.locator(section) if section else page
    scope.get_by_role("button", name=button, exact=True).click()
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading")).to_have_text(heading)
    assert page.evaluate(FOCUSED_SUMMARY)
    for link in summary.get_by_role("link").all():
        target = link.get_attribute("href")
        assert page.locator(target).count() == 1, target


def test_a_refused_sign_in_is_summarised_too(live_server, page, site):
    page.goto(f"{live_server.url}/p/valley/login/")
    page.get_by_label("Username").fill("nina")
    page.get_by_label("Password").fill("Wrong-Horse-9!")
    page.get_by_role("button", name="Sign in").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("You are not signed in: 1 problem")
    expect(summary).to_contain_text("Invalid username or password.")
    assert page.evaluate(FOCUSED_SUMMARY)


def test_after_a_save_focus_and_scroll_return_to_the_section_saved(live_server, page, site):
    sign_in_as(page.context, live_server.url, site.admin)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/console/users/{site.member.pk}/")
    page.get_by_label("Temporary password", exact=True).fill("Welcome-Aboard-7!")
    page.get_by_label("Retype temporary password").fill("Welcome-Aboard-7!")
    page.get_by_role("button", name="Set temporary password").click()
    page.wait_for_url("**#temporary-password")
    section = page.locator("#temporary-password")
    expect(section).to_be_focused()
    expect(section).to_be_in_viewport()
    # The confirmation is where the person is looking, inside the section.
    expect(section.get_by_text("Temporary password set for Nina Reyes")).to_be_visible()

    page.goto(f"{live_server.url}/console/users/{site.member.pk}/")
    page.get_by_label("Practice management username").fill("NINA.R")
    page.locator("#remote_access").get_by_role("button", name="Save").click()
    page.wait_for_url("**#remote_access")
    section = page.locator("#remote_access")
    expect(section).to_be_focused()
    expect(section.get_by_text("Saved the changes to Nina Reyes")).to_be_visible()


def test_the_recent_activity_table_scrolls_by_keyboard_on_a_phone(live_server, page, site):
    sign_in_as(page.context, live_server.url, site.admin)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/console/users/{site.member.pk}/")
    region = page.get_by_role("region", name="Recent activity")
    region.focus()
    expect(region).to_be_focused()
    assert region.evaluate("el => el.scrollWidth > el.clientWidth")  # it does need to scroll
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "() => document.activeElement.scrollLeft > 0", timeout=2_000, polling=100
    )


def test_deactivating_a_user_asks_first_then_signs_them_out(
    live_server, browser, page, admin_user, member
):
    theirs = browser.new_context()
    browser_signed_in(theirs, live_server.url, member)
    their_page = theirs.new_page()
    their_page.goto(f"{live_server.url}/account/")

    browser_signed_in(page.context, live_server.url, admin_user)
    page.goto(f"{live_server.url}/console/users/{member.pk}/")
    page.get_by_role("link", name="Deactivate").click()
    expect(page.get_by_role("heading", name=f"Deactivate {member}?")).to_be_visible()
    expect(page.get_by_text("sign them out of 1 active session now")).to_be_visible()
    assert_accessible(page)
    member.refresh_from_db()
    assert member.is_active  # nothing happens before the confirmation
    page.get_by_role("button", name="Confirm deactivation").click()
    expect(page.get_by_text(f"{member} is deactivated")).to_be_visible()
    expect(page.get_by_role("checkbox", name="Active")).not_to_be_checked()
    assert not UserSession.objects.filter(user=member, ended_at__isnull=True).exists()
    their_page.reload()
    expect(their_page.get_by_label("Password")).to_be_visible()  # back on the sign-in page
    theirs.close()


def test_unticking_active_asks_for_the_same_confirmation(live_server, page, admin_user, member):
    browser_signed_in(page.context, live_server.url, admin_user)
    page.goto(f"{live_server.url}/console/users/{member.pk}/")
    page.get_by_role("checkbox", name="Active").uncheck()
    page.locator("#access").get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=f"Deactivate {member}?")).to_be_visible()
    member.refresh_from_db()
    assert member.is_active
    page.get_by_role("button", name="Confirm deactivation").click()
    expect(page.get_by_text(f"Saved the changes to {member}")).to_be_visible()
    member.refresh_from_db()
    assert not member.is_active


@pytest.mark.parametrize(
    "who, sees",
    [
        ("admin", {"Roles", "Access reviews"}),
        ("user_manager", set()),
        ("front_desk", set()),
    ],
)
def test_on_a_phone_the_menus_offer_roles_and_access_reviews_only_to_who_may_open_them(
    live_server, page, site, who, sees
):
    """The header's "Menu" leads to the console, whose menu lists "Roles" and "Access reviews"
    for a role that may open them and for no one else; the pages agree."""
    sign_in_as(page.context, live_server.url, getattr(site, who))
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/account/")
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Console").click()
    console_menu = page.get_by_role("navigation", name="Console")
    expect(console_menu).to_be_visible()
    for name, path in (("Roles", "/console/roles/"), ("Access reviews", "/console/reviews/")):
        link = console_menu.get_by_role("link", name=name, exact=True)
        main_menu = page.get_by_role("navigation", name="Main").get_by_role("link", name=name)
        expect(main_menu).to_have_count(0)
        if name in sees:
            expect(link).to_be_visible()
            assert link.bounding_box()["x"] + link.bounding_box()["width"] <= PHONE["width"]
        else:
            expect(link).to_have_count(0)
        status = page.request.get(f"{live_server.url}{path}").status
        assert status == (200 if name in sees else 403), (name, status)
