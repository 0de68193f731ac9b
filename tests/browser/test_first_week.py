"""Issue 24, items 4 to 10, in real Chromium: each page as a newcomer meets it, with axe-core at
1280x900 and 360x740 on every page touched. (The same items through HTTP:
tests/test_first_week_words.py.)"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import axe_violations
from tests.factories import PASSWORD
from tests.signin_helpers import browser_signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 360, "height": 740}}


def assert_axe_clean(page) -> None:
    """No axe-core violation on the page as it is, at desktop and at a small phone's size."""
    original = page.viewport_size
    try:
        for name, size in SIZES.items():
            page.set_viewport_size(size)
            found = axe_violations(page)
            assert found == [], f"{name}: {found}"
    finally:
        page.set_viewport_size(original)


def on_path(page, path: str) -> None:
    expect(page).to_have_url(re.compile(rf"^[^?#]*{re.escape(path)}([?#].*)?$"))


# --- 4. "Enter the code we sent" when none was sent ----------------------------------------


def test_item4_a_second_phone_change_within_the_wait_asks_for_no_code(live_server, page, member):
    browser_signed_in(page.context, live_server.url, member)
    page.goto(f"{live_server.url}/account/")
    page.get_by_label("Mobile phone").fill("+12025550143")
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_role("button", name="Save").click()
    on_path(page, "/account/phone/")
    expect(page.get_by_text("We texted a code to your phone ending in 0143.")).to_be_visible()
    expect(page.get_by_label("Verification code")).to_be_visible()
    page.get_by_role("button", name="Cancel").click()

    page.get_by_label("Mobile phone").fill("+12025550187")
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_role("button", name="Save").click()
    on_path(page, "/account/phone/")
    expect(
        page.get_by_text("No code has been sent to your phone ending in 0187 yet.")
    ).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"ask for a code for this page in \d+ seconds"))
    ).to_be_visible()
    expect(page.get_by_label("Verification code")).to_have_count(0)
    expect(page.get_by_text("Enter the code")).to_have_count(0)
    expect(page.get_by_role("button", name="Text me a code")).to_be_visible()
    assert_axe_clean(page)

    # A number no code may go to is refused on My Account itself, with the reason.
    page.get_by_role("button", name="Cancel").click()
    page.get_by_label("Mobile phone").fill("+18762345678")
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_role("button", name="Save").click()
    on_path(page, "/account/")
    expect(page.get_by_text("its country is Jamaica", exact=False).first).to_be_visible()
    assert_axe_clean(page)


# --- 5. "Require two-factor authentication" reaches open sessions ---------------------------


def test_item5_ticking_require_sends_the_administrator_to_set_up_a_second_factor(
    live_server, page, practice, admin_user
):
    browser_signed_in(page.context, live_server.url, admin_user)
    page.goto(f"{live_server.url}/console/settings/")
    page.get_by_label("Require two-factor authentication").check()
    page.get_by_role("button", name="Save settings").click()
    on_path(page, "/account/security/")
    expect(page.get_by_text("Settings saved.")).to_be_visible()
    expect(
        page.get_by_text("Your practice now requires two-factor authentication.", exact=False)
    ).to_be_visible()
    expect(page.get_by_role("link", name="Add authenticator app")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert_axe_clean(page)
    practice.refresh_from_db()
    assert practice.two_factor_policy == "require"

    page.goto(f"{live_server.url}/console/")
    on_path(page, "/account/security/")


# --- 6. Dates in the practice's zone ---------------------------------------------------------


def test_item6_the_security_page_says_when_a_device_was_added_in_the_practice_zone(
    live_server, page, member
):
    import time_machine

    from tests.mfa.helpers import app_device

    # 02:00 in London on Dec 6 is 21:00 on Dec 5 in New York, the practice's zone.
    with time_machine.travel("2026-12-06T02:00:00+00:00", tick=False):
        app_device(member, name="Nina's phone")
    browser_signed_in(page.context, live_server.url, member)
    page.goto(f"{live_server.url}/account/security/")
    expect(page.get_by_text("Authenticator app · added Dec 5, 2026")).to_be_visible()
    assert_axe_clean(page)


# --- 8. Words from the code in the audit log -------------------------------------------------


def test_item8_the_audit_log_says_permissions_reasons_and_support_in_words(
    live_server, page, practice, admin_user, member
):
    from accounts.lockout import user_unlock
    from accounts.roles import role_create
    from practice.vocabulary import LockChange, Permission
    from tests.factories import UserFactory

    role_create(
        practice=practice,
        actor=admin_user,
        name="Front desk",
        permissions=[Permission.VIEW_USERS, Permission.UNLOCK],
    )
    support = UserFactory(practice=None, username="support", is_staff=True, is_superuser=True)
    member.failed_logins = 2
    member.save()
    user_unlock(user=member, actor=support, reason=LockChange.SUPPORT)
    browser_signed_in(page.context, live_server.url, admin_user)
    page.goto(f"{live_server.url}/console/audit/")
    table = page.get_by_role("table")
    expect(table.get_by_text("Role added: Front desk")).to_be_visible()
    expect(table.get_by_text(re.compile("permissions: .*unlock users"))).to_be_visible()
    expect(table.get_by_text(re.compile("permissions: .*see the user list"))).to_be_visible()
    expect(table.get_by_role("cell", name="PracticeGate support (support)")).to_be_visible()
    for code in ("users.unlock", "users.view", "Role id", "support: support"):
        expect(table.get_by_text(code)).to_have_count(0)
    assert_axe_clean(page)


# --- 7. Messages that contradict the state ---------------------------------------------------


@pytest.fixture
def office(practice):
    from tests.factories import OfficeNetworkFactory

    return OfficeNetworkFactory(practice=practice, cidr="127.0.0.0/8")


def sign_in(page, base_url, username, password=PASSWORD):
    page.goto(f"{base_url}/p/valley/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_item7_sign_in_pages_say_what_is_true(live_server, page, office, member, admin_user):
    from datetime import timedelta

    from accounts.lockout import user_lock, user_unlock

    user_lock(user=member, actor=admin_user)
    sign_in(page, live_server.url, "nina")
    expect(page.get_by_text("Your account is locked.", exact=False)).to_be_visible()
    expect(page.get_by_text("failed sign-in attempts", exact=False)).to_have_count(0)
    assert_axe_clean(page)
    user_unlock(user=member, actor=admin_user)

    member.emergency_access = True
    member.login_times_restricted = True
    member.save()
    sign_in(page, live_server.url, "nina")
    on_path(page, "/login/emergency/")
    expect(page.get_by_text("no times are set", exact=False)).to_be_visible()
    expect(page.get_by_text("never", exact=False)).to_have_count(0)
    assert_axe_clean(page)

    member.emergency_access = False
    member.login_times_restricted = False
    member.password_changed_at = member.password_changed_at - timedelta(days=100)
    member.save()
    browser_signed_in(page.context, live_server.url, member)
    page.goto(f"{live_server.url}/account/")
    expect(page.get_by_text("Your password has expired.")).to_be_visible()
    expect(page.get_by_text("Your password expired on", exact=False)).to_be_visible()
    expect(page.get_by_text("Your password expires on", exact=False)).to_have_count(0)
    assert_axe_clean(page)


def test_item7_one_wrong_code_asks_for_a_moment_not_too_many(live_server, page, office, member):
    from tests.mfa.helpers import app_code, app_device

    device = app_device(member)
    sign_in(page, live_server.url, "nina")
    on_path(page, "/login/verify/")
    wrong = "000000" if app_code(device) != "000000" else "111111"
    page.get_by_label("Verification code").fill(wrong)
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("Invalid code", exact=False).first).to_be_visible()
    page.get_by_label("Verification code").fill(app_code(device))
    page.get_by_role("button", name="Verify").click()
    # Within the second django-otp waits after a wrong code, or past it and signed in.
    expect(
        page.get_by_text("before you enter a code again", exact=False).or_(
            page.get_by_role("heading", name="My Account")
        )
    ).to_be_visible()
    expect(page.get_by_text("Too many wrong codes")).to_have_count(0)


def test_item7_the_refusal_page_opens_with_a_capital(live_server, page):
    page.goto(f"{live_server.url}/auth/refused?reason=whatever")
    expect(
        page.get_by_text("Your practice did not let this request through.", exact=True)
    ).to_be_visible()
    assert_axe_clean(page)


# --- 9. Failed actions that do not look failed -----------------------------------------------

FOCUSED_SUMMARY = (
    "() => document.activeElement && document.activeElement.matches('[data-error-summary]')"
)


def test_item9_finishing_a_review_with_unmarked_lines_shows_them(
    live_server, page, member, admin_user
):
    from accounts.remote_access import remote_access_grant

    member.pm_username = "NREYES"
    member.save()
    remote_access_grant(user=member, actor=admin_user)
    browser_signed_in(page.context, live_server.url, admin_user)
    page.goto(f"{live_server.url}/console/reviews/")
    page.get_by_role("button", name="Start review").click()
    page.get_by_role("group", name=re.compile("Nina Reyes")).get_by_label("Keep").check()
    page.get_by_role("button", name="Finish review").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("The review was not finished: 1 problem")
    page.wait_for_function(FOCUSED_SUMMARY)
    expect(page.get_by_text("Not marked: choose Keep or Remove.")).to_be_visible()
    unmarked = page.get_by_role("group", name=re.compile("Avery Admin"))
    expect(unmarked.get_by_label("Keep")).to_have_attribute("aria-invalid", "true")
    expect(
        page.get_by_role("group", name=re.compile("Nina Reyes")).get_by_label("Keep")
    ).to_be_checked()
    assert_axe_clean(page)
    summary.get_by_role("link").click()
    expect(unmarked.get_by_label("Keep")).to_be_focused()


def test_item9_the_audit_filters_show_their_errors_at_the_top(live_server, page, admin_user):
    browser_signed_in(page.context, live_server.url, admin_user)
    page.goto(f"{live_server.url}/console/audit/")
    page.get_by_label("From").fill("2026-12-10")
    page.get_by_label("To").fill("2026-12-01")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("alert")).to_contain_text("The log was not filtered: 1 problem")
    page.wait_for_function(FOCUSED_SUMMARY)
    expect(page.get_by_text("The end date is before the start date.")).to_be_visible()
    assert_axe_clean(page)


# --- 10. Dead ends ---------------------------------------------------------------------------


def test_item10_the_forced_setup_can_be_left_and_a_fresh_sign_in_sets_up_at_once(
    live_server, page, office, practice, member
):
    practice.two_factor_policy = "require"
    practice.allow_self_pairing_reset = False
    practice.save()
    sign_in(page, live_server.url, "nina")
    on_path(page, "/login/setup/")
    expect(page.get_by_role("button", name="Not now")).to_have_count(0)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert_axe_clean(page)
    page.get_by_role("button", name="Sign out").click()
    on_path(page, "/p/valley/login/")
    expect(page.get_by_text("You are signed out.")).to_be_visible()

    # Signed in at the office without a second factor (not required there yet), then adding
    # one: the password typed a moment ago counts, and is not asked for again.
    practice.two_factor_policy = "none"
    practice.save()
    sign_in(page, live_server.url, "nina")
    on_path(page, "/account/")
    page.goto(f"{live_server.url}/account/security/")
    page.get_by_role("link", name="Add authenticator app").click()
    expect(page.get_by_label("Title for authenticator")).to_be_visible()
    expect(page.get_by_role("heading", name="Confirm your password")).to_have_count(0)


def test_item10_without_self_reset_the_security_page_says_whom_to_ask(
    live_server, page, practice, member
):
    from tests.mfa.helpers import app_device

    practice.allow_self_pairing_reset = False
    practice.save()
    app_device(member)
    browser_signed_in(page.context, live_server.url, member)
    page.goto(f"{live_server.url}/account/security/")
    expect(page.get_by_role("link", name="Reset my 2FA pairing")).to_have_count(0)
    expect(
        page.get_by_text(
            "ask your practice administrator to reset your two-factor authentication",
            exact=False,
        )
    ).to_be_visible()
    assert_axe_clean(page)


def test_item4_the_reset_phone_step_within_the_wait_asks_for_no_code(live_server, page, practice):
    from django.core import mail
    from django.utils import timezone

    from phonecodes.codes import phone_code_send
    from tests.account_helpers import link_secret
    from tests.factories import UserFactory

    pat = UserFactory(
        practice=practice,
        username="pat",
        mobile_phone="+12025550143",
        mobile_phone_verified_at=timezone.now(),
    )
    # A code went to the phone a moment ago, for a sign-in.
    phone_code_send(user=pat, number=pat.mobile_phone, channel="sms", purpose="signin:elsewhere")
    page.goto(f"{live_server.url}/password-reset/?practice=valley")
    page.get_by_label("Username or email").fill("pat")
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    page.goto(f"{live_server.url}/password-reset/link/#{link_secret(mail.outbox[-1].body)}")
    on_path(page, "/password-reset/set-password/")
    expect(
        page.get_by_text("No code has been sent to your phone ending in 0143 yet.")
    ).to_be_visible()
    expect(page.get_by_label("Verification code")).to_have_count(0)
    expect(page.get_by_role("button", name="Text me a code")).to_be_visible()
    assert_axe_clean(page)


def test_item10_the_other_forced_steps_of_a_sign_in_have_a_way_out(
    live_server, page, practice, member, admin_user
):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.remote_access import remote_access_grant

    # From outside the office (no office network here), a required first setup proves who
    # the user is first: that step has a way out too.
    practice.two_factor_policy = "require"
    practice.save()
    member.pm_username = "NREYES"
    member.save()
    remote_access_grant(user=member, actor=admin_user)
    sign_in(page, live_server.url, "nina")
    on_path(page, "/login/setup/")
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert_axe_clean(page)
    page.get_by_role("button", name="Sign out").click()
    on_path(page, "/p/valley/login/")

    # At the office, a temporary password to change first.
    from tests.factories import OfficeNetworkFactory

    practice.two_factor_policy = "none"
    practice.save()
    OfficeNetworkFactory(practice=practice, cidr="127.0.0.0/8")
    member.must_change_password = True
    member.temporary_password_expires_at = timezone.now() + timedelta(hours=1)
    member.save()
    sign_in(page, live_server.url, "nina")
    on_path(page, "/login/password/")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert_axe_clean(page)
