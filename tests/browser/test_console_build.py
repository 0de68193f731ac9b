"""The console's "Set up two-factor now" and split-shift login times, in real Chromium.

"Set up two-factor now": the administrator's screen shows the QR code, the user's phone (pyotp,
reading the pixels on the screen) computes the code, the user types it there, and then signs in
with that phone. Login times: a day with two windows, the week picture, the refusal's words.
"""

import io
import re
import time
from zoneinfo import ZoneInfo

import pyotp
import pytest
import time_machine
import zxingcpp
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image
from playwright.sync_api import expect

from accounts.models import User, Weekday
from mfa.models import AuthenticatorApp
from practice.models import AuditEvent
from tests.browser.accessibility import TAGS, assert_accessible, axe_violations
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
    clinic = PracticeFactory(code="valley", name="Valley Pediatrics", time_zone="America/New_York")
    OfficeNetworkFactory(practice=clinic, cidr="127.0.0.0/8")
    return clinic


@pytest.fixture
def admin(clinic):
    return AdminFactory(practice=clinic, username="avery", first_name="Avery", last_name="Admin")


@pytest.fixture
def user_page(browser):
    """A second browser, for the user."""
    context = browser.new_context(locale="en-US", timezone_id="America/New_York")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def user_signs_in(live_server, page, username):
    page.goto(f"{live_server.url}/p/valley/login/?next=/p/valley/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def open_console(live_server, page, admin, *, device=None):
    browser_signed_in(page.context, live_server.url, admin, device=device)
    page.goto(f"{live_server.url}/console/")


def read_qr_from_screen(page) -> str:
    image = page.get_by_role("img", name="QR code")
    expect(image).to_be_visible()
    (barcode,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.screenshot())))
    return barcode.text


def test_set_up_two_factor_now_at_the_desk_then_the_user_signs_in_with_it(
    live_server, page, user_page, admin, clinic
):
    own = TOTPDevice.objects.create(user=admin, name="Admin phone", confirmed=True)
    sam = UserFactory(practice=clinic, username="sam", first_name="Sam", last_name="Caller")
    open_console(live_server, page, admin, device=own)
    page.get_by_role("link", name="Sam Caller").click()
    expect(page.get_by_text("Second factor: none")).to_be_visible()

    page.get_by_role("button", name="Set up two-factor now").click()
    expect(page.get_by_role("heading", name="Set up two-factor now for Sam Caller")).to_be_visible()
    expect(page.get_by_label("Authenticator app on their phone")).to_be_checked()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()

    # Sam's phone scans the administrator's screen.
    uri = read_qr_from_screen(page)
    phone = pyotp.parse_uri(uri)
    assert phone.issuer == "Valley Pediatrics"
    # The same account as a link, for a phone that shows the page itself.
    link = page.get_by_role("link", name="Open in authenticator app")
    expect(link).to_have_attribute("href", uri)
    assert_accessible(page)
    page.get_by_label("Verification code").fill(phone.now())
    page.get_by_role("button", name="Verify").click()

    expect(page.get_by_text("Two-factor authentication is set up for Sam Caller")).to_be_visible()
    expect(page.get_by_text("Second factor: app")).to_be_visible()
    device = AuthenticatorApp.objects.get(user=sam)
    assert device.confirmed
    event = AuditEvent.objects.get(action="mfa.device_set_up_in_person")
    assert (event.actor, event.target) == (admin, sam)

    # Half a minute later (the setup's code is spent), Sam signs in with that phone.
    with time_machine.travel(time.time() + 30, tick=True):
        user_signs_in(live_server, user_page, "sam")
        expect(user_page.get_by_label("Verification code")).to_be_visible()
        user_page.get_by_label("Verification code").fill(phone.at(time.time()))
        user_page.get_by_role("button", name="Verify").click()
        expect(user_page.get_by_role("button", name="Sign out")).to_be_visible()
    signed_in = AuditEvent.objects.filter(action="signin.succeeded", target=sam).first()
    assert signed_in.details["second_factor"] == "app"


def test_the_setup_page_asks_for_the_administrators_own_second_factor(
    live_server, page, admin, clinic
):
    UserFactory(practice=clinic, username="sam", first_name="Sam", last_name="Caller")
    open_console(live_server, page, admin)
    page.get_by_role("link", name="Sam Caller").click()
    page.get_by_role("button", name="Set up two-factor now").click()
    expect(
        page.get_by_text("needs a session signed in with your own second factor")
    ).to_be_visible()
    expect(page.get_by_label("Password")).to_have_count(0)


def test_a_split_shift_in_the_form_the_week_picture_and_the_refusal(
    live_server, page, user_page, admin, clinic
):
    UserFactory(practice=clinic, username="felix", first_name="Felix", last_name="Hart")
    # Windows on days that are neither today nor yesterday in the practice's zone, so Felix is
    # certainly outside them when he tries to sign in below.
    today = timezone.now().astimezone(ZoneInfo(clinic.time_zone)).weekday()
    day, next_day = (Weekday((today + n) % 7).label for n in (2, 3))
    open_console(live_server, page, admin)
    page.get_by_role("link", name="Felix Hart").click()

    page.get_by_label("Restrict login times").check()
    page.get_by_label(f"{day} start").fill("07:00")
    page.get_by_label(f"{day} end").fill("12:00")
    # An overlapping second window is refused, and nothing is saved.
    page.get_by_label(f"{day} second start").fill("11:00")
    page.get_by_label(f"{day} second end").fill("19:00")
    times = page.locator("#login_times")
    times.get_by_role("button", name="Save").click()
    expect(page.get_by_text(f"{day} 07:00–12:00 and {day} 11:00–19:00 overlap")).to_be_visible()
    assert not User.objects.get(username="felix").login_times_restricted

    page.get_by_label(f"{day} second start").fill("13:00")
    times.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved the changes to Felix Hart.")).to_be_visible()
    expect(page.get_by_label(f"{day} second start")).to_have_value("13:00")
    expect(page.get_by_label(f"{day} second end")).to_have_value("19:00")
    picture = page.get_by_role("img", name="When Felix may sign in")
    expect(picture).to_have_accessible_name(re.compile(f"{day} 07:00–12:00 and 13:00–19:00"))
    # Two bars on the day, with the break between them; none the next day.
    bars = page.locator(f".week__row[data-day={day}] .week__bar")
    expect(bars).to_have_count(2)
    first, second = (bars.nth(i).bounding_box() for i in (0, 1))
    assert first["x"] + first["width"] < second["x"]
    expect(page.locator(f".week__row[data-day={next_day}] .week__bar")).to_have_count(0)
    felix = User.objects.get(username="felix")
    assert felix.login_week == [
        [(today + 2) % 7, "07:00", "12:00"],
        [(today + 2) % 7, "13:00", "19:00"],
    ]
    # With the "Saved" message shown (a list item inside the status region) and reloaded.
    assert axe_violations(page) == []
    page.reload()
    expect(page.get_by_label(f"{day} second start")).to_have_value("13:00")
    assert axe_violations(page) == []
    # On a phone the second window goes under the first: the table fits its card.
    page.set_viewport_size({"width": 360, "height": 800})
    table = page.locator(".login-times__table")
    fits = "t => t.scrollWidth <= t.parentElement.clientWidth"
    assert table.evaluate(fits)
    first_start = page.get_by_label(f"{day} start").bounding_box()
    second_start = page.get_by_label(f"{day} second start").bounding_box()
    assert second_start["y"] > first_start["y"]
    scoped = page.evaluate(
        "tags => axe.run('.login-times', {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    assert [v["id"] for v in scoped["violations"]] == []

    user_signs_in(live_server, user_page, "felix")
    expect(user_page.get_by_text("not allowed at this time")).to_be_visible()
    expect(user_page.get_by_text(f"{day} 07:00–12:00 and 13:00–19:00")).to_be_visible()
