"""Forgot password: /password-reset/, the emailed link, the phone code, the new password."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.core.cache import cache
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY

from accounts.lockout import user_lock
from accounts.models import UserSession
from accounts.password_reset import ACCOUNT_LIMIT, ADDRESS_LIMIT, password_reset_send
from phonecodes import senders as sms
from practice.models import AuditEvent
from tests.account_helpers import code_in, link_open, link_secret
from tests.factories import PASSWORD, StaffFactory, UserFactory
from tests.signin_helpers import sign_in, signed_in_client

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Granite-River-42"


@pytest.fixture(autouse=True)
def fresh_limits():
    # Rate limits live in the cache; each test starts with none used.
    cache.clear()
    sms.outbox.clear()
    yield
    cache.clear()
    sms.outbox.clear()


@pytest.fixture
def phone_user(practice):
    return UserFactory(
        practice=practice,
        username="pat",
        mobile_phone="+12025550143",
        mobile_phone_verified_at=timezone.now(),
    )


def ask(client, identifier, code="valley"):
    return client.post(
        "/password-reset/", {"practice_code": code, "identifier": identifier}, follow=True
    )


def open_link(client, body):
    """Open the emailed link as a browser does; its token never comes in a URL."""
    response = link_open(client, body)
    assert response.status_code == 302
    assert response["Location"] == "/password-reset/set-password/"
    return response["Location"]


def set_new_password(client, url, password=NEW_PASSWORD):
    return client.post(url, {"new_password1": password, "new_password2": password})


def test_request_page_has_the_labelled_controls(client):
    body = client.get("/password-reset/").content.decode()
    assert ">Practice code</label>" in body
    assert ">Username or email</label>" in body
    assert ">Send reset link</button>" in body


def test_practice_code_can_come_from_the_link(client):
    body = client.get("/password-reset/?practice=valley").content.decode()
    assert 'value="valley"' in body


def test_reset_end_to_end_by_username(client, member, practice):
    response = ask(client, "NINA")  # usernames ignore case
    assert response.redirect_chain == [("/password-reset/sent/", 302)]
    assert "Check your email" in response.content.decode()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [member.email]
    assert "within 60 minutes" in message.body

    url = open_link(client, message.body)
    page = client.get(url)
    body = page.content.decode()
    assert ">New password</label>" in body
    assert ">Confirm new password</label>" in body
    assert ">Change password</button>" in body
    assert 'id="password-rules"' in body

    response = set_new_password(client, url)
    assert response.status_code == 302
    assert response["Location"] == f"/p/{practice.code}/login/"
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)
    # Never signed in by the reset.
    assert SESSION_KEY not in client.session
    assert client.get("/account/").status_code == 302
    assert AuditEvent.objects.filter(action="password.reset", target=member).exists()
    notice = mail.outbox[-1]
    assert notice.subject == "PracticeGate: your password was reset"
    assert NEW_PASSWORD not in notice.body


def test_reset_by_email_address(client, member):
    ask(client, member.email.upper())
    assert [m.to for m in mail.outbox] == [[member.email]]


def test_new_password_follows_the_practice_rules(client, member):
    ask(client, "nina")
    url = open_link(client, mail.outbox[0].body)
    response = set_new_password(client, url, PASSWORD)  # the current one: history
    assert "You used this password recently" in response.content.decode()
    response = set_new_password(client, url, "granite-river-42")
    assert "Add an upper-case letter" in response.content.decode()
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_unknown_account_gets_the_same_page_no_mail_and_similar_time(client, member):
    # Not measured: the process's first request loads the URL configuration (0.2 s), which is
    # no difference between accounts.
    ask(client, "warm-up")
    started = time.monotonic()
    known = ask(client, "nina")
    known_seconds = time.monotonic() - started
    mail.outbox.clear()

    for identifier, code in [("nobody", "valley"), ("nina", "elsewhere"), ("", "valley")]:
        started = time.monotonic()
        unknown = ask(client, identifier or "nobody@example.test", code)
        unknown_seconds = time.monotonic() - started
        assert unknown.redirect_chain == known.redirect_chain
        assert unknown.content == known.content
        assert abs(unknown_seconds - known_seconds) < 0.15
    assert mail.outbox == []


def test_inactive_user_gets_no_mail(client, member):
    member.is_active = False
    member.save()
    response = ask(client, "nina")
    assert response.redirect_chain == [("/password-reset/sent/", 302)]
    assert mail.outbox == []


def test_link_is_single_use(client, member):
    ask(client, "nina")
    body = mail.outbox[0].body
    url = open_link(client, body)
    assert set_new_password(client, url).status_code == 302

    again = link_open(client, body, follow=True)
    assert again.status_code == 400
    assert "expired or has already been used" in again.content.decode()


def test_link_expires_after_an_hour(client, member):
    sent_at = timezone.now()
    with time_machine.travel(sent_at, tick=False):
        ask(client, "nina")
    body = mail.outbox[0].body
    with time_machine.travel(sent_at + timedelta(minutes=59), tick=False):
        assert client.get(open_link(client, body)).status_code == 200
    with time_machine.travel(sent_at + timedelta(minutes=61), tick=False):
        response = link_open(client, body, follow=True)
        assert response.status_code == 400
        assert "expired or has already been used" in response.content.decode()
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_a_tampered_link_is_refused(client, member):
    ask(client, "nina")
    body = mail.outbox[0].body
    secret = link_secret(body)
    response = link_open(client, body.replace(secret, secret[:-2] + "xx"), follow=True)
    assert response.status_code == 400


def test_reset_unlocks_a_locked_account_and_ends_every_session(client, member):
    other = signed_in_client(member)
    user_lock(user=member, actor=None, reason="failed_attempts")
    ask(client, "nina")
    url = open_link(client, mail.outbox[0].body)
    set_new_password(client, url)

    member.refresh_from_db()
    assert member.locked_at is None
    assert member.failed_logins == 0
    assert AuditEvent.objects.get(action="user.unlocked", target=member).details == {
        "reason": "password_reset"
    }
    assert other.get("/account/").status_code == 302
    ended = UserSession.objects.get(user=member)
    assert ended.end_reason == "password_reset"


def test_completing_in_a_browser_signed_in_as_that_user_signs_it_out(member):
    browser = signed_in_client(member)
    ask(browser, "nina")
    url = open_link(browser, mail.outbox[0].body)
    response = set_new_password(browser, url)
    assert response.status_code == 302
    assert SESSION_KEY not in browser.session
    assert DEVICE_ID_SESSION_KEY not in browser.session


def test_phone_code_step_when_the_user_has_a_verified_phone(client, phone_user):
    ask(client, "pat")
    url = open_link(client, mail.outbox[0].body)

    # The code is sent by text as the step opens; the password form waits for it.
    page = client.get(url).content.decode()
    assert ">Verification code</label>" in page
    assert ">Verify</button>" in page
    assert "New password" not in page
    assert len(sms.outbox) == 1
    assert sms.outbox[0].to == "+12025550143"
    code = code_in(sms.outbox[0].body)
    # Reloading does not send another.
    client.get(url)
    assert len(sms.outbox) == 1

    # Skipping the code does not work: a new password posted now is not taken.
    set_new_password(client, url)
    phone_user.refresh_from_db()
    assert phone_user.check_password(PASSWORD)

    wrong = client.post(url, {"action": "verify", "code": "000000" if code != "000000" else "1"})
    assert "Invalid code" in wrong.content.decode()

    assert client.post(url, {"action": "verify", "code": code}).status_code == 302
    page = client.get(url).content.decode()
    assert ">New password</label>" in page
    assert set_new_password(client, url).status_code == 302
    phone_user.refresh_from_db()
    assert phone_user.check_password(NEW_PASSWORD)


def test_phone_code_by_voice_call(client, phone_user):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        ask(client, "pat")
        url = open_link(client, mail.outbox[0].body)
        client.get(url)
    with time_machine.travel(start + timedelta(seconds=31), tick=False):
        response = client.post(url, {"action": "voice"}, follow=True)
        assert "We are calling your phone ending in 0143" in response.content.decode()
        call = sms.outbox[-1]
        assert call.channel == "voice"
        # The call's code replaced the text's.
        assert client.post(url, {"action": "verify", "code": code_in(call.body)}).status_code == 302
        assert ">New password</label>" in client.get(url).content.decode()


def test_too_many_wrong_codes_stop_the_reset(client, phone_user):
    ask(client, "pat")
    url = open_link(client, mail.outbox[0].body)
    client.get(url)
    code = code_in(sms.outbox[0].body)
    wrong = "111111" if code != "111111" else "222222"
    for _ in range(5):
        client.post(url, {"action": "verify", "code": wrong})
    response = client.post(url, {"action": "verify", "code": code}, follow=True)
    assert "Too many wrong codes" in response.content.decode()
    # Opening the link again (past the 30-second wait, so a new code goes out for it) does not
    # give fresh tries.
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        again = link_open(client, mail.outbox[0].body, follow=True)
        code = code_in(sms.outbox[-1].body)
        response = client.post(
            again.request["PATH_INFO"], {"action": "verify", "code": code}, follow=True
        )
    assert "Too many wrong codes" in response.content.decode()
    phone_user.refresh_from_db()
    assert phone_user.check_password(PASSWORD)


def test_requests_are_limited_per_account(client, member):
    for _ in range(ACCOUNT_LIMIT + 2):
        response = ask(client, "nina")
        assert response.redirect_chain == [("/password-reset/sent/", 302)]
    assert len(mail.outbox) == ACCOUNT_LIMIT


def test_requests_are_limited_per_address(client, practice):
    for _ in range(ADDRESS_LIMIT):
        assert ask(client, "nobody").redirect_chain == [("/password-reset/sent/", 302)]
    response = ask(client, "nobody")
    assert response.redirect_chain == []
    assert "Too many reset requests from your network" in response.content.decode()
    # Another address is not affected.
    response = client.post(
        "/password-reset/",
        {"practice_code": "valley", "identifier": "nobody"},
        REMOTE_ADDR="198.51.100.7",
    )
    assert response.status_code == 302


def test_support_staff_send_the_link_but_never_set_the_password(member):
    staff = StaffFactory(username="support")
    assert password_reset_send(user=member, actor=staff) is True
    assert mail.outbox[0].to == [member.email]
    event = AuditEvent.objects.get(action="password.reset_link_sent")
    assert (event.actor, event.target) == (staff, member)
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_admin_action_sends_the_link(client, member):
    staff = StaffFactory(username="support")
    sign_in(client, staff, zone="remote")
    response = client.post(
        "/admin/accounts/user/",
        {"action": "send_password_reset_link", "_selected_action": [member.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert [m.to for m in mail.outbox] == [[member.email]]
    assert "Sent a password reset link to 1 user" in response.content.decode()


def test_without_text_codes_the_email_link_alone_resets(client, phone_user, settings):
    settings.SMS_BACKEND = "none"
    ask(client, "pat")
    url = open_link(client, mail.outbox[0].body)
    page = client.get(url).content.decode()
    assert ">New password</label>" in page
    assert "Verification code" not in page
    assert set_new_password(client, url).status_code == 302
    phone_user.refresh_from_db()
    assert phone_user.check_password(NEW_PASSWORD)
