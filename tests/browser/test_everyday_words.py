"""Issue 17 in real Chromium: the code cooldown (3), the audit log in plain words (4), signed-out
pages that keep the practice (5), passkeys only where they work (6), where administrators land
(7) and the small words (9)."""

import re
from datetime import timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.invitations import invitation_create
from accounts.lockout import user_lock
from accounts.remote_access import remote_access_grant
from practice.audit import audit_record
from practice.vocabulary import AuditAction
from tests.factories import PASSWORD, AdminFactory, OfficeNetworkFactory, UserFactory
from tests.mfa.helpers import phone_device
from tests.signin_helpers import browser_signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def office(practice):
    return OfficeNetworkFactory(practice=practice, cidr="127.0.0.0/8")


@pytest.fixture
def second_page(browser):
    """Another browser (its own cookies), for a second sign-in or session."""
    context = browser.new_context(locale="en-US", timezone_id="America/New_York")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def sign_in(page, base_url, username, password=PASSWORD, *, code="valley"):
    page.goto(f"{base_url}/p/{code}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def on_path(page, path: str) -> None:
    expect(page).to_have_url(re.compile(rf"^[^?]*{re.escape(path)}(\?.*)?$"))


# --- 3. The text-code cooldown ---------------------------------------------------------------


def test_a_second_sign_in_within_the_wait_is_not_asked_for_a_code_it_was_not_sent(
    live_server, page, second_page, office, member
):
    phone_device(member)
    sign_in(page, live_server.url, "nina")
    on_path(page, "/login/verify/")
    now = timezone.now().astimezone(ZoneInfo(office.practice.time_zone))
    sent = re.compile(
        rf"We sent a code to ••0143 at ({now:%H:%M}|{now + timedelta(minutes=1):%H:%M}); "
        r"it is still valid for (9|10) minutes\."
    )
    expect(page.get_by_text(sent)).to_be_visible()
    expect(page.get_by_label("Verification code")).to_be_visible()

    sign_in(second_page, live_server.url, "nina")
    on_path(second_page, "/login/verify/")
    expect(
        second_page.get_by_text(
            "No code has been sent for this sign-in yet: the code that went to ••0143 a moment "
            "ago was for another sign-in and does not work here."
        )
    ).to_be_visible()
    expect(
        second_page.get_by_text(re.compile(r"You can ask for a new code in \d+ seconds?"))
    ).to_be_visible()
    expect(second_page.get_by_label("Verification code")).to_have_count(0)
    expect(second_page.get_by_text("We sent a code")).to_have_count(0)
    expect(second_page.get_by_role("button", name="Send a code")).to_be_visible()


# --- 4. The audit log in plain words ---------------------------------------------------------


def test_the_audit_log_speaks_plain_words_and_finds_by_free_text(
    live_server, page, practice, member, admin_user
):
    practice.time_zone = "America/New_York"
    practice.save()
    member.pm_username = "NREYES"
    member.save()
    until = timezone.now().replace(hour=12) + timedelta(days=5)
    remote_access_grant(user=member, actor=admin_user, until=until)
    user_lock(user=member, actor=admin_user)
    audit_record(
        action=AuditAction.SIGNIN_SUCCEEDED,
        actor=member,
        target=member,
        details={"zone": "office", "second_factor": ""},
    )
    audit_record(
        action=AuditAction.SIGNIN_FAILED, target=member, details={"reason": "wrong_password"}
    )
    browser_signed_in(page.context, live_server.url, admin_user)
    page.goto(f"{live_server.url}/console/audit/")

    local_until = until.astimezone(ZoneInfo("America/New_York"))
    table = page.get_by_role("table")
    expect(table.get_by_text("Signed in (office)")).to_be_visible()
    expect(
        table.get_by_text(f"Remote access granted until {local_until.day} {local_until:%b}")
    ).to_be_visible()
    expect(table.get_by_text("Locked by an administrator")).to_be_visible()
    expect(table.get_by_text("signin.succeeded")).to_have_count(0)
    expect(table.get_by_text(re.compile(r"\d{4}-\d{2}-\d{2}T"))).to_have_count(0)

    action = page.get_by_label("Action")
    groups = action.locator("optgroup")
    expect(groups.first).to_have_attribute("label", "Sign-in and sessions")
    assert groups.count() >= 5

    page.get_by_label("Search").fill("wrong password")
    page.get_by_role("button", name="Apply").click()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Sign-in refused: wrong password")

    # The same words on the user's page.
    page.goto(f"{live_server.url}/console/users/{member.pk}/")
    expect(page.get_by_role("cell", name="Locked by an administrator")).to_be_visible()
    expect(page.get_by_role("cell", name="user.locked")).to_have_count(0)


# --- 5. Signed-out pages keep the practice --------------------------------------------------


def test_signing_out_the_other_sessions_lands_them_on_the_practices_page(
    live_server, page, second_page, member
):
    # Signed in a while ago: the password typed then no longer counts as recent.
    browser_signed_in(page.context, live_server.url, member, minutes_ago=10)
    browser_signed_in(second_page.context, live_server.url, member)
    page.goto(f"{live_server.url}/account/")
    page.get_by_role("button", name="Sign out all other sessions").click()
    # The password again first (ASVS V7.5.2), once: the confirmation carries the sign-out out.
    expect(page.get_by_role("heading", name="Confirm your password")).to_be_visible()
    expect(page.get_by_text("to sign out your other sessions")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("1 other session signed out.")).to_be_visible()

    second_page.goto(f"{live_server.url}/account/")
    on_path(second_page, "/p/valley/login/")
    expect(
        second_page.get_by_text("This session was signed out from another session.")
    ).to_be_visible()
    expect(second_page.get_by_label("Practice code")).to_have_count(0)
    expect(second_page.get_by_role("banner")).to_contain_text("Valley Pediatrics")


def test_forgot_password_from_the_practices_page_keeps_its_name(live_server, page, practice):
    page.goto(f"{live_server.url}/p/valley/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(
        page.get_by_text("Enter your username or email address at Valley Pediatrics.")
    ).to_be_visible()
    expect(page.get_by_label("Practice code")).to_have_value("valley")
    page.get_by_label("Username or email").fill("nobody")
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    page.get_by_role("link", name="Back to sign in to Valley Pediatrics").click()
    on_path(page, "/p/valley/login/")


# --- 6. Passkeys only where they can work ---------------------------------------------------


def test_an_address_does_not_offer_a_passkey_and_says_why(live_server, page, member, settings):
    port = urlsplit(live_server.url).port
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [f"http://localhost:{port}"]
    for host in ("localhost", "127.0.0.1"):
        browser_signed_in(page.context, f"http://{host}:{port}", member)
    page.goto(f"http://127.0.0.1:{port}/account/security/")
    expect(page.get_by_text(re.compile("not a number such as 127.0.0.1"))).to_be_visible()
    expect(
        page.get_by_text(f"Open http://localhost:{port}/ to use one.", exact=False)
    ).to_be_visible()
    expect(page.get_by_role("link", name="Add a security key or passkey")).to_have_count(0)

    page.goto(f"http://localhost:{port}/account/security/")
    expect(page.get_by_role("link", name="Add a security key or passkey")).to_be_visible()


# --- 7. Where a sign-in lands ----------------------------------------------------------------


def test_an_administrator_lands_on_the_console_and_a_user_on_my_account(
    live_server, page, second_page, office, member
):
    AdminFactory(practice=office.practice, username="avery", first_name="Avery")
    sign_in(page, live_server.url, "avery")
    on_path(page, "/console/")
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    sign_in(second_page, live_server.url, "nina")
    on_path(second_page, "/account/")


# --- 9. Small words --------------------------------------------------------------------------


def test_my_account_counts_one_sign_in_and_hides_signing_out_no_one(
    live_server, page, office, member
):
    sign_in(page, live_server.url, "nina")
    on_path(page, "/account/")
    expect(page.get_by_text("Your last sign-in event.")).to_be_visible()
    expect(page.get_by_text(re.compile("last 1 sign-in events"))).to_have_count(0)
    expect(page.get_by_role("button", name="Sign out all other sessions")).to_have_count(0)
    expect(page.get_by_text("Signed in (office)")).to_be_visible()
    zone = page.get_by_label("Time zone")
    expect(zone.locator("optgroup").first).to_have_attribute("label", "Common")
    expect(zone.locator("option", has_text="Eastern (New York)")).to_have_count(1)
    expect(zone.locator("option", has_text="_")).to_have_count(0)


def test_the_invitation_page_sets_a_first_password(live_server, page, practice):
    kim = UserFactory(practice=practice, username="kim", first_name="Kim")
    kim.set_unusable_password()
    kim.save(update_fields=["password"])
    token = invitation_create(user=kim, actor=None)
    page.goto(f"{live_server.url}/invite/link/#{token}")
    expect(page.get_by_role("heading", name="Welcome, Kim")).to_be_visible()
    expect(page.get_by_role("button", name="Set password")).to_be_visible()
    expect(page.get_by_role("button", name="Change password")).to_have_count(0)
    expect(page.get_by_text("Not one of your last")).to_have_count(0)
