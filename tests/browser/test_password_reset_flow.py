"""Forgot password end to end in real Chromium: the email link, the phone code, the new password.

The email and the text message are read from the file backends, as a person would read them.
Every request the live server sees is recorded: the link's token, after its "#", is in none.
"""

import pytest
from django.core.signals import request_started
from django.utils import timezone
from playwright.sync_api import expect

from tests.account_helpers import (
    code_in,
    file_email_bodies,
    file_sms_messages,
    link_path,
    link_secret,
)
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


@pytest.fixture
def server_saw():
    """What an access log in front of the live server could write of each request: its
    request line (path and query) and its headers, the Referer among them."""
    seen = []

    def record(sender, environ, **kwargs):
        headers = [f"{k}: {v}" for k, v in environ.items() if k.startswith("HTTP_")]
        line = f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}?{environ['QUERY_STRING']}"
        seen.append("\n".join([line, *headers]))

    request_started.connect(record)
    yield seen
    request_started.disconnect(record)


def test_forgot_password_end_to_end(live_server, page, file_backends, pat, server_saw):
    page.goto(f"{live_server.url}/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Practice code").fill("valley")
    page.get_by_label("Username or email").fill("pat@example.test")
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    (email,) = file_email_bodies(file_backends / "mail")
    assert "To: pat@example.test" in email
    secret = link_secret(email)
    assert link_path(email) == "/password-reset/link/"
    page.goto(f"{live_server.url}/password-reset/link/#{secret}")
    # The page's script posted the token, which the address bar no longer shows.
    page.wait_for_url(f"{live_server.url}/password-reset/set-password/")

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
    page.goto(f"{live_server.url}/password-reset/link/#{secret}")
    expect(
        page.get_by_role("heading", name="This reset link has expired or has already been used")
    ).to_be_visible()

    # Item 14: no request line, Referer or other header the server saw holds the token, so no
    # access log in front of it (nginx, gunicorn) can.
    token = secret.partition(".")[2]
    assert any(line.startswith("GET /password-reset/link/?") for line in server_saw)
    assert any(line.startswith("POST /password-reset/link/?") for line in server_saw)
    for request in server_saw:
        assert token not in request, request
    page.go_back()
    assert token not in page.url  # nor does the history


def test_item14_without_javascript_the_pasted_reset_link_works(
    live_server, browser, file_backends, pat, server_saw
):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/password-reset/?practice=valley")
    page.get_by_label("Username or email").fill("pat")
    page.get_by_role("button", name="Send reset link").click()
    (email,) = file_email_bodies(file_backends / "mail")
    link = next(word for word in email.split() if "#" in word)
    page.goto(link.replace("http://testserver", live_server.url))
    # Without the script the page stays, and asks for the link.
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    page.get_by_label("Link from the email").fill(link)
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(f"{live_server.url}/password-reset/set-password/")
    expect(page.get_by_label("Verification code")).to_be_visible()
    token = link_secret(email).partition(".")[2]
    for request in server_saw:
        assert token not in request, request
    context.close()


def test_unknown_account_sees_the_same_confirmation(live_server, page, file_backends, practice):
    page.goto(f"{live_server.url}/password-reset/")
    page.get_by_label("Practice code").fill("valley")
    page.get_by_label("Username or email").fill("nobody")
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    assert file_email_bodies(file_backends / "mail") == []
