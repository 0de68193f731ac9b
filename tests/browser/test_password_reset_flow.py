"""Forgot password end to end in real Chromium: the email link, the phone code, the new password.

The email and the text message are read from the file backends, as a person would read them.
"""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.account_helpers import code_in, file_email_bodies, file_sms_messages, link_path
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def file_backends(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    return tmp_path


@pytest.fixture
def pat(practice):
    return UserFactory(
        practice=practice,
        username="pat",
        email="pat@example.test",
        mobile_phone="+12025550143",
        mobile_phone_verified_at=timezone.now(),
        locked_at=timezone.now(),
        failed_logins=5,
    )


def test_forgot_password_end_to_end(live_server, page, file_backends, pat):
    page.goto(f"{live_server.url}/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Practice code").fill("valley")
    page.get_by_label("Username or email").fill("pat@example.test")
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    (email,) = file_email_bodies(file_backends / "mail")
    assert "To: pat@example.test" in email
    page.goto(live_server.url + link_path(email))
    # The token has left the address bar before the page rendered.
    assert page.url.endswith("/set-password/")

    # A verified phone: the code was sent by text as the step opened.
    expect(page.get_by_label("Verification code")).to_be_visible()
    ((to, text),) = file_sms_messages(file_backends / "sms")
    assert to == "+12025550143"
    page.get_by_label("Verification code").fill(code_in(text))
    page.get_by_role("button", name="Verify").click()

    new_password = page.get_by_label("New password", exact=True)
    expect(new_password).to_be_visible()
    new_password.press_sequentially("Blue-Canyon-Rain-4!")
    for met in ("length", "lower", "upper", "digit", "symbol"):
        expect(page.locator(f'#password-rules [data-rule="{met}"]')).to_have_attribute(
            "data-state", "met"
        )
    page.get_by_label("Confirm new password").fill("Blue-Canyon-Rain-4!")
    page.get_by_role("button", name="Change password").click()

    # Not signed in: back at the practice's sign-in page, told to sign in.
    expect(page).to_have_url(f"{live_server.url}/p/valley/login/")
    expect(
        page.get_by_text("Your password is changed. Sign in with your new password.")
    ).to_be_visible()
    pat.refresh_from_db()
    assert pat.check_password("Blue-Canyon-Rain-4!")
    assert pat.locked_at is None

    # The link was used up.
    page.goto(live_server.url + link_path(email))
    expect(
        page.get_by_role("heading", name="This reset link has expired or has already been used")
    ).to_be_visible()


def test_unknown_account_sees_the_same_confirmation(live_server, page, file_backends, practice):
    page.goto(f"{live_server.url}/password-reset/")
    page.get_by_label("Practice code").fill("valley")
    page.get_by_label("Username or email").fill("nobody")
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    assert file_email_bodies(file_backends / "mail") == []
