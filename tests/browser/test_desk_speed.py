"""Issue 24, item 11, "Everyday speed at the desk", in real Chromium: the keyboard reaches Unlock
and a section's Save in a few Tab presses, the date picker's button shows its focus ring, and
the new page states pass axe-core at 1280x900 and 360x740. (The same sections through HTTP:
tests/practice/test_console_user_sections.py.)

Before: 26 Tab presses from the top of the user page to "Login locked", 39 more past the login
times to the page's only Save (65); the picker button of "Remote access until" had no ring.
"""

import pytest
from playwright.sync_api import expect

from accounts.lockout import user_lock
from accounts.models import User
from accounts.remote_access import remote_access_grant
from tests.browser.test_first_week import assert_axe_clean
from tests.signin_helpers import browser_signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The site's header and the console's navigation come before every console page's own content:
# "Skip to content", the practice, Console, My Account, Sign out, eight console links, and the
# "no office network yet" notice of a practice without one.
CHROME_TAB_STOPS = 14


def tabs_to(page, target, limit: int = 150) -> int:
    """Tab presses from where focus is to `target` (a locator)."""
    element = target.element_handle()
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate("element => document.activeElement === element", element):
            return presses
    raise AssertionError(f"{target} not reached in {limit} Tab presses")


def luminance(rgb: str) -> float:
    channels = [int(part) / 255 for part in rgb[rgb.index("(") + 1 : -1].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    lighter, darker = sorted((luminance(one), luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@pytest.fixture
def locked(admin_user, member):
    """Nina, locked out, with remote access (so every section of her page has something)."""
    member.pm_username = "NREYES"
    member.save()
    remote_access_grant(user=member, actor=admin_user, reason="On call")
    user_lock(user=member, actor=admin_user)
    return member


def open_user_page(page, live_server, admin_user, user):
    browser_signed_in(page.context, live_server.url, admin_user)
    page.goto(f"{live_server.url}/console/users/{user.pk}/")


def test_unlock_takes_few_tab_presses(live_server, page, admin_user, locked):
    open_user_page(page, live_server, admin_user, locked)
    unlock = page.get_by_role("button", name="Unlock", exact=True)
    presses = tabs_to(page, unlock)
    print(f"Tab presses from the top of the user page to Unlock: {presses} (before: 65)")
    assert presses <= CHROME_TAB_STOPS + 1
    # Unlock is the user page's first control: one Tab after its heading.
    page.get_by_role("heading", level=1).click()
    page.keyboard.press("Tab")
    expect(unlock).to_be_focused()
    assert_axe_clean(page)

    page.keyboard.press("Enter")
    page.wait_for_url("**#lockout")
    section = page.locator("#lockout")
    expect(section).to_be_focused()
    expect(section.get_by_text("Saved the changes to Nina Reyes.")).to_be_visible()
    expect(page.get_by_label("Login locked")).not_to_be_checked()
    expect(page.get_by_role("button", name="Unlock", exact=True)).to_have_count(0)
    user = User.objects.get(pk=locked.pk)
    assert not user.is_locked and user.remote_access and user.pm_username == "NREYES"
    assert_axe_clean(page)


def test_a_sections_save_takes_few_tab_presses(live_server, page, admin_user, locked):
    open_user_page(page, live_server, admin_user, locked)
    lockout_save = page.locator("#lockout").get_by_role("button", name="Save", exact=True)
    presses = tabs_to(page, lockout_save)
    print(f"Tab presses from the top to the Lockout section's Save: {presses} (before: 65)")
    assert presses <= 25
    page.goto(f"{live_server.url}/console/users/{locked.pk}/")
    times_save = page.locator("#login_times").get_by_role("button", name="Save", exact=True)
    presses = tabs_to(page, times_save)
    print(f"Tab presses from the top to the Login times section's Save: {presses} (before: 65)")
    assert presses < 65
    # The Save says which section it saves.
    expect(lockout_save).to_have_accessible_description("Lockout")

    # A section that fails is summarised at the top, focused; the others keep what they show.
    page.get_by_label("Monday start").fill("25:00")
    page.get_by_label("Monday end").fill("17:00")
    times_save.click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("The changes were not saved: 1 problem")
    expect(summary).to_be_focused()
    expect(page.get_by_label("Login locked")).to_be_checked()
    expect(page.get_by_label("Practice management username")).to_have_value("NREYES")
    assert_axe_clean(page)


def test_the_date_pickers_button_shows_its_focus_ring(live_server, page, admin_user, locked):
    open_user_page(page, live_server, admin_user, locked)
    until = page.get_by_label("Remote access until")
    tabs_to(page, until)
    # Month, day, year, then the picker button: still inside the field, which is no longer
    # :focus itself (only :focus-within), and the next Tab leaves the field.
    for _ in range(3):
        page.keyboard.press("Tab")
    expect(until).to_be_focused()
    assert until.evaluate("el => el.matches(':focus-within') && !el.matches(':focus')")
    ring = until.evaluate(
        """el => {
            const style = getComputedStyle(el);
            const card = getComputedStyle(el.closest('.card'));
            return {style: style.outlineStyle, width: parseFloat(style.outlineWidth),
                    color: style.outlineColor, behind: card.backgroundColor};
        }"""
    )
    assert ring["style"] != "none" and ring["width"] >= 2, ring
    assert contrast(ring["color"], ring["behind"]) >= 3, ring
    page.keyboard.press("Tab")
    expect(page.get_by_label("Reason for remote access")).to_be_focused()


def test_common_actions_lead_to_their_forms(live_server, page, admin_user, locked):
    open_user_page(page, live_server, admin_user, locked)
    page.get_by_role("heading", level=1).click()
    page.keyboard.press("Tab")  # Unlock
    page.keyboard.press("Tab")
    link = page.get_by_role("link", name="Set temporary password")
    expect(link).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#temporary-password")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Temporary password", exact=True)).to_be_focused()

    page.goto(f"{live_server.url}/console/users/{locked.pk}/")
    page.get_by_role("link", name="Remote access", exact=True).click()
    expect(page.locator("#remote_access")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Practice management username")).to_be_focused()


def test_every_focus_ring_stands_out_three_to_one(live_server, page, admin_user, locked):
    # The site's ring (links, buttons, fields) was amber #f2a900: 2:1 on white, too faint to
    # find the focus by. Each control reached by Tab on the user page draws a ring of at least
    # 3:1 against the page and the cards it sits on.
    open_user_page(page, live_server, admin_user, locked)
    seen = 0
    for _ in range(40):
        page.keyboard.press("Tab")
        ring = page.evaluate(
            """() => {
                const el = document.activeElement;
                const style = getComputedStyle(el);
                let behind = 'rgb(255, 255, 255)';
                for (let node = el.parentElement; node; node = node.parentElement) {
                    const bg = getComputedStyle(node).backgroundColor;
                    if (bg && !bg.startsWith('rgba(0, 0, 0, 0')) { behind = bg; break; }
                }
                return {tag: el.tagName, id: el.id, style: style.outlineStyle,
                        color: style.outlineColor, behind: behind};
            }"""
        )
        if ring["tag"] == "BODY":
            continue
        seen += 1
        assert ring["style"] != "none", ring
        assert contrast(ring["color"], ring["behind"]) >= 3, ring
    assert seen >= 30
