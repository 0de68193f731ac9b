"""Issue 24, items 4 to 10: the rough edges a practice meets in its first week, through HTTP.

4. Pages that ask for a code that was never sent. 5. "Require two-factor authentication" reaches
open sessions. 6. Dates in the practice's zone; a last day is the day typed. 7. Messages that
contradict the state. 8. The audit log in plain words. 9. Failed actions that look failed.
10. Dead ends. (The pages themselves, in Chromium: tests/browser/test_first_week.py.)
"""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from phonecodes import senders as sms
from practice.models import AuditEvent
from tests.account_helpers import code_in, link_open
from tests.factories import PASSWORD, UserFactory
from tests.signin_helpers import sign_in

pytestmark = pytest.mark.django_db

LONG_AGO = timedelta(minutes=10)  # past the 5 minutes a typed password counts as recent


def profile_data(user, **changes):
    data = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "mobile_phone": user.mobile_phone,
        "other_phone": user.other_phone,
        "time_zone": user.time_zone,
        "npi": user.npi,
        "ada_number": user.ada_number,
        "specialties": user.specialties,
        "current_password": PASSWORD,
    }
    data.update(changes)
    return data


def text_of(response) -> str:
    """The page's text without its tags, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


# --- 4. "Enter the code we sent" when none was sent ----------------------------------------


def test_item4_my_account_refuses_a_number_no_code_may_go_to_and_says_why(client, member):
    sign_in(client, member)
    response = client.post("/account/", profile_data(member, mobile_phone="+447400123456"))
    assert response.status_code == 200
    page = text_of(response)
    assert "This number is not accepted: its country is United Kingdom" in page
    assert (
        "Text codes can only go to mobile numbers in these countries: United States, Canada" in page
    )
    assert "phone_change" not in str(dict(client.session))
    assert client.get("/account/phone/")["Location"] == "/account/"
    assert sms.outbox == []


def test_item4_a_second_phone_change_within_the_wait_is_not_asked_for_a_code(client, member):
    sign_in(client, member)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client.post("/account/", profile_data(member, mobile_phone="+12025550143"))
        assert ">Verification code</label>" in client.get("/account/phone/").content.decode()
        client.post("/account/phone/", {"action": "cancel"})
        traveller.shift(timedelta(seconds=10))
        client.post("/account/", profile_data(member, mobile_phone="+12025550187"))
        response = client.get("/account/phone/")
        page = text_of(response)
        assert "No code has been sent to your phone ending in 0187 yet." in page
        assert "you can ask for a code for this page in 20 seconds" in page
        assert "Enter the code" not in page
        assert ">Verification code</label>" not in response.content.decode()
        # A code typed anyway is not checked: nothing was sent to check it against.
        first_code = code_in(sms.outbox[0].body)
        client.post("/account/phone/", {"action": "verify", "code": first_code})
        member.refresh_from_db()
        assert member.mobile_phone == ""

        traveller.shift(timedelta(seconds=21))
        client.post("/account/phone/", {"action": "sms"})
        page = client.get("/account/phone/").content.decode()
        assert "We texted a code to your phone ending in 0187." in page
        assert ">Verification code</label>" in page
        assert [m.to for m in sms.outbox] == ["+12025550143", "+12025550187"]


@pytest.fixture
def phone_user(practice):
    return UserFactory(
        practice=practice,
        username="pat",
        mobile_phone="+12025550143",
        mobile_phone_verified_at=timezone.now(),
    )


def reset_link_open(client, identifier="pat"):
    client.post("/password-reset/", {"practice_code": "valley", "identifier": identifier})
    response = link_open(client, mail.outbox[-1].body)
    assert response["Location"] == "/password-reset/set-password/"
    return response["Location"]


def test_item4_the_reset_page_opened_within_the_wait_says_when_a_code_can_be_sent(
    client, phone_user
):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        # A code went to the phone a moment ago (another reset link, a sign-in).
        url = reset_link_open(client)
        client.get(url)
        assert len(sms.outbox) == 1
        traveller.shift(timedelta(seconds=5))
        url = reset_link_open(client)
        response = client.get(url)
        page = text_of(response)
        assert "No code has been sent to your phone ending in 0143 yet." in page
        assert "you can ask for a code for this page in 25 seconds" in page
        assert ">Verification code</label>" not in response.content.decode()
        # The earlier link's code does not work here, and is not even counted as wrong.
        client.post(url, {"action": "verify", "code": code_in(sms.outbox[0].body)})
        assert not AuditEvent.objects.filter(action="signin.failed", target=phone_user).exists()

        traveller.shift(timedelta(seconds=26))
        client.post(url, {"action": "sms"})
        page = client.get(url).content.decode()
        assert "We texted a code to your phone ending in 0143." in page
        assert client.post(url, {"code": code_in(sms.outbox[-1].body)}).status_code == 302
        assert ">New password</label>" in client.get(url).content.decode()


def test_item4_an_opted_out_number_is_not_asked_for_a_code(client, phone_user, fake_twilio):
    fake_twilio.answer_next((400, 21610, "Attempt to send to unsubscribed recipient"))
    url = reset_link_open(client)
    response = client.get(url)
    page = text_of(response)
    assert "No code has been sent to your phone ending in 0143 yet." in page
    assert "This number has opted out of text messages. Text START to +1 202 555 0100" in page
    assert ">Verification code</label>" not in response.content.decode()
    assert "Call me instead" in page
    # Opening the page again does not text the number again by itself.
    client.get(url)
    assert len(fake_twilio.requests) == 1


# --- 5. "Require two-factor authentication" reaches open sessions ---------------------------

SETTINGS = {
    "time_zone": "America/New_York",
    "office_networks": "",
    "lockout_threshold": "5",
    "auto_unlock_minutes": "0",
    "notify_admins_on_lock": "on",
    "idle_timeout_minutes": "30",
    "password_profile": "classic",
    "password_expiry_days": "90",
    "allow_self_pairing_reset": "on",
    "dormant_after_days": "0",
    "access_review_days": "0",
}


def require_two_factor(practice, *, office_exempt=False):
    practice.two_factor_policy = "require"
    practice.two_factor_office_exempt = office_exempt
    practice.save()


def test_item5_a_signed_in_user_without_a_second_factor_is_sent_to_set_one_up(
    client, member, practice
):
    sign_in(client, member)
    assert client.get("/account/").status_code == 200
    require_two_factor(practice)

    response = client.get("/account/")
    assert response.status_code == 302
    assert response["Location"] == "/account/security/"
    page = client.get("/account/security/")
    assert page.status_code == 200
    assert "Your practice now requires two-factor authentication" in text_of(page)
    assert ">Add authenticator app</a>" in page.content.decode()
    # Every other page leads there too; the way there (the password again), the gateway's
    # answer, static files and signing out stay open.
    assert client.get("/account/password/")["Location"] == "/account/security/"
    assert client.get("/account/confirm-password/").status_code == 200
    assert client.get("/account/security/app/add/")["Location"].startswith(
        "/account/confirm-password/"
    )
    assert client.get("/auth/verify").status_code == 403
    # (No static file server under the test client: not sent to the setup page is what counts.)
    assert client.get("/static/css/app.css").status_code == 404
    assert client.post("/logout/")["Location"] == "/p/valley/login/"
    assert "/login/" in client.get("/account/")["Location"]


def test_item5_a_user_who_has_a_second_factor_or_sets_one_up_goes_on(client, member, practice):
    from tests.mfa.helpers import app_device

    sign_in(client, member)
    require_two_factor(practice)
    assert client.get("/account/").status_code == 302
    app_device(member)
    assert client.get("/account/").status_code == 200


def test_item5_the_office_exemption_still_applies(client, member, practice):
    sign_in(client, member, zone="office")
    require_two_factor(practice, office_exempt=True)
    assert client.get("/account/").status_code == 200


def test_item5_the_administrator_who_ticks_it_keeps_the_save_and_sets_one_up(
    console, practice, admin_user
):
    response = console.post(
        "/console/settings/", {**SETTINGS, "require_two_factor": "on"}, follow=True
    )
    practice.refresh_from_db()
    assert practice.two_factor_policy == "require"
    assert response.redirect_chain[-1][0] == "/account/security/"
    page = text_of(response)
    assert "Your practice now requires two-factor authentication" in page
    assert "Settings saved." in page
    # Still signed in: the setup pages open, and nothing ended the session.
    assert admin_user.sessions.filter(ended_at__isnull=True).count() == 1
    assert console.get("/console/")["Location"] == "/account/security/"


def test_item5_the_check_that_a_user_has_a_second_factor_must_be_named(settings):
    from accounts.checks import second_factor_check_check

    assert second_factor_check_check(None) == []
    settings.SECOND_FACTOR_CHECK = "mfa.selectors.no_such_function"
    assert [error.id for error in second_factor_check_check(None)] == ["accounts.E004"]
