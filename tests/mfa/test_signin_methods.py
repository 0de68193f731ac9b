"""At the verify step: text and voice codes, switching method, recovery codes, email codes,
and the first setup from outside the office (confirmed by a code to the email on file)."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY

from mfa.models import AuthenticatorApp
from mfa.recovery_codes.flows import recovery_codes_generate
from mfa.selectors import recovery_codes_left
from phonecodes.codes import opted_out_message
from practice.models import AuditEvent
from tests.factories import PASSWORD
from tests.mfa.helpers import app_code, app_device, code_in, phone_device, totp_for
from tests.mfa.test_signin_stage import REMOTE, allow_remote, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def page_text(response) -> str:
    """The page's text, without tags, spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())).replace(
        " .", "."
    )


def test_a_text_code_is_sent_when_the_step_opens_and_shows_the_time_left(
    client, office, member, sms_outbox
):
    device = phone_device(member)
    assert sign_in(client, office.practice)["Location"] == "/login/verify/"
    assert len(sms_outbox) == 1 and sms_outbox[0].to == device.number
    page = client.get("/login/verify/")
    html = page_text(page)
    assert "Time left: 10:00" in html
    assert 'data-countdown="600"' in page.content.decode()
    sent_at = timezone.localtime(timezone.now(), ZoneInfo(office.practice.time_zone))
    assert (
        f"We sent a code to ••0143 at {sent_at:%H:%M}; it is still valid for 10 minutes." in html
    ) or (f"at {(sent_at - timedelta(minutes=1)):%H:%M}; it is still valid for 9 minutes" in html)

    response = client.post("/login/verify/", {"code": code_in(sms_outbox[0])})
    assert response["Location"] == "/account/"
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


def test_a_voice_code_works_the_same(client, office, member, sms_outbox):
    phone_device(member, method="voice")
    sign_in(client, office.practice)
    assert sms_outbox[0].channel == "voice"
    client.post("/login/verify/", {"code": code_in(sms_outbox[0])})
    assert client.session[SESSION_KEY] == str(member.pk)


def test_a_text_code_is_bound_to_the_sign_in_that_asked(client, office, member, sms_outbox, clock):
    phone_device(member)
    sign_in(client, office.practice)
    first_code = code_in(sms_outbox[-1])

    other = client.__class__()
    clock.shift(timedelta(seconds=31))
    sign_in(other, office.practice)
    # The other browser's code does not sign this one in, and this one's does not sign in there.
    client.post("/login/verify/", {"code": code_in(sms_outbox[-1])})
    assert SESSION_KEY not in client.session
    other.post("/login/verify/", {"code": first_code})
    assert SESSION_KEY not in other.session
    clock.shift(timedelta(seconds=2))  # django-otp's back-off after a wrong code
    client.post("/login/verify/", {"code": first_code})
    assert client.session[SESSION_KEY] == str(member.pk)


def test_resend_waits_thirty_seconds_then_replaces_the_code(
    client, office, member, sms_outbox, clock
):
    phone_device(member)
    sign_in(client, office.practice)
    old = code_in(sms_outbox[-1])
    response = client.post("/login/verify/", {"action": "resend"}, follow=True)
    html = page_text(response)
    # This sign-in's code still works: the page says so, and when a new one can be asked for.
    assert "it is still valid for 9 minutes" in html or "still valid for 10 minutes" in html
    assert "You can ask for a new code in 30 seconds." in html
    assert 'name="code"' in response.content.decode()
    assert len(sms_outbox) == 1

    clock.shift(timedelta(seconds=31))
    client.post("/login/verify/", {"action": "resend"})
    assert len(sms_outbox) == 2
    new = code_in(sms_outbox[-1])
    client.post("/login/verify/", {"code": old})
    assert SESSION_KEY not in client.session
    clock.shift(timedelta(seconds=2))
    client.post("/login/verify/", {"code": new})
    assert client.session[SESSION_KEY] == str(member.pk)


def test_a_text_code_expires_after_ten_minutes(client, office, member, sms_outbox, clock):
    phone_device(member)
    sign_in(client, office.practice)
    clock.shift(timedelta(minutes=10, seconds=1))
    response = client.post("/login/verify/", {"code": code_in(sms_outbox[-1])}, follow=True)
    html = page_text(response)
    assert "has expired" in html and "invalid code" not in html.lower()
    assert 'name="code"' not in response.content.decode(), "no field for a code that is gone"
    assert "Send a new code" in html
    assert SESSION_KEY not in client.session


def test_an_opted_out_phone_says_how_to_opt_in_and_offers_the_other_methods(
    client, office, member, fake_twilio
):
    phone_device(member)
    app = app_device(member)
    phone = member.phonedevice_set.get()
    phone.last_used_at = timezone.now()  # the method used last comes first
    phone.save()
    fake_twilio.answer_next((400, 21610, "Attempt to send to unsubscribed recipient"))

    sign_in(client, office.practice)
    html = page_text(client.get("/login/verify/"))
    assert opted_out_message() in html
    assert "Authenticator app" in html  # another method, one click away
    member.refresh_from_db()
    assert member.failed_logins == 0
    assert AuditEvent.objects.filter(target=member, action="mfa.code_opted_out").exists()
    # Nothing was bypassed: still not signed in until a factor is verified.
    assert SESSION_KEY not in client.session
    client.post("/login/verify/", {"action": "switch", "method": app.persistent_id})
    client.post("/login/verify/", {"code": app_code(app)})
    assert client.session[SESSION_KEY] == str(member.pk)


def test_a_twilio_failure_says_could_not_send(client, office, member, fake_twilio):
    phone_device(member)
    fake_twilio.answer_next("timeout")
    sign_in(client, office.practice)
    html = page_text(client.get("/login/verify/"))
    assert "We could not send the code" in html
    assert "choose another method" in html


def test_switching_to_another_users_device_is_ignored(client, office, member, practice, clock):
    from tests.factories import UserFactory

    mine = app_device(member)
    theirs = app_device(UserFactory(practice=practice))
    sign_in(client, office.practice)
    client.post("/login/verify/", {"action": "switch", "method": theirs.persistent_id})
    client.post("/login/verify/", {"code": app_code(theirs)})
    assert SESSION_KEY not in client.session
    clock.shift(timedelta(seconds=2))
    client.post("/login/verify/", {"code": app_code(mine, steps=-1)})
    assert client.session[SESSION_KEY] == str(member.pk)


def test_a_recovery_code_signs_in_once_and_emails_the_user(client, office, member, clock):
    app_device(member)
    codes = recovery_codes_generate(user=member, actor=member)
    mail.outbox.clear()
    sign_in(client, office.practice)
    client.post("/login/verify/", {"action": "switch", "method": "recovery"})
    html = page_text(client.get("/login/verify/"))
    assert "recovery codes" in html
    response = client.post("/login/verify/", {"code": codes[3].lower()})
    assert response["Location"] == "/account/"
    (notice,) = mail.outbox
    assert notice.to == [member.email]
    assert "recovery code was used" in notice.subject
    assert "9 unused recovery codes left" in notice.body
    assert codes[3] not in notice.body

    client.post("/logout/")
    sign_in(client, office.practice)
    client.post("/login/verify/", {"action": "switch", "method": "recovery"})
    response = client.post("/login/verify/", {"code": codes[3]})
    assert "invalid code" in page_text(response).lower()
    assert SESSION_KEY not in client.session


def test_an_email_code_is_offered_as_a_fallback(client, office, member):
    app_device(member)
    sign_in(client, office.practice)
    mail.outbox.clear()
    client.post("/login/verify/", {"action": "switch", "method": "email"})
    (message,) = mail.outbox
    assert message.to == [member.email]
    assert message.subject == "PracticeGate verification code"
    code = re.search(r"\b(\d{6})\b", message.body).group(1)
    html = page_text(client.get("/login/verify/"))
    assert "Time left: 10:00" in html
    client.post("/login/verify/", {"code": code})
    assert client.session[SESSION_KEY] == str(member.pk)


def test_remote_first_setup_is_confirmed_by_email_then_the_app_is_added(
    client, office, member, clock
):
    allow_remote(member)
    sign_in(client, office.practice, REMOTE_ADDR=REMOTE)
    html = page_text(client.get("/login/setup/", REMOTE_ADDR=REMOTE))
    assert "Email a code to n•••@example.test" in html
    mail.outbox.clear()
    client.post("/login/setup/", {"action": "send", "channel": "email"}, REMOTE_ADDR=REMOTE)
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)

    response = client.post("/login/setup/", {"code": "000000"}, REMOTE_ADDR=REMOTE)
    assert "invalid code" in page_text(response).lower()
    member.refresh_from_db()
    assert member.failed_logins == 1
    # Right after a wrong code django-otp asks for a second's patience, and says so.
    response = client.post("/login/setup/", {"code": code}, REMOTE_ADDR=REMOTE)
    assert "Wait 1 second before you enter a code again" in page_text(response)
    clock.shift(timedelta(seconds=2))
    response = client.post("/login/setup/", {"code": code}, REMOTE_ADDR=REMOTE)
    assert response["Location"] == "/login/setup/"

    page = client.get("/login/setup/app/", REMOTE_ADDR=REMOTE)
    assert page.status_code == 200
    device = AuthenticatorApp.objects.get(user=member, confirmed=False)
    response = client.post(
        "/login/setup/app/",
        {"title": "Valley Pediatrics", "code": totp_for(device).now()},
        REMOTE_ADDR=REMOTE,
    )
    # A first factor comes with the offer of recovery codes, before the sign-in completes.
    assert response["Location"] == "/login/setup/recovery-codes/"
    assert SESSION_KEY not in client.session
    offer = client.get("/login/setup/recovery-codes/", REMOTE_ADDR=REMOTE)
    assert "Create recovery codes" in offer.content.decode()
    page = client.post(
        "/login/setup/recovery-codes/", {"action": "create"}, REMOTE_ADDR=REMOTE
    ).content.decode()
    assert page.count("<li>") >= 10
    assert "This is the only time they are shown." in page
    response = client.post(
        "/login/setup/recovery-codes/", {"action": "continue"}, REMOTE_ADDR=REMOTE
    )
    assert response["Location"] == "/account/"
    assert client.session[SESSION_KEY] == str(member.pk)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert recovery_codes_left(member) == 10
    device.refresh_from_db()
    assert device.confirmed


def test_remote_first_setup_without_email_or_verified_mobile_is_refused(client, office, member):
    allow_remote(member)
    member.email = ""
    member.save(update_fields=["email"])
    response = sign_in(client, office.practice, REMOTE_ADDR=REMOTE, follow=True)
    assert "Set it up from the office" in page_text(response)
    assert SESSION_KEY not in client.session


def test_office_first_setup_needs_no_confirmation(client, office, member, sms_outbox):
    office.practice.two_factor_policy = "require"
    office.practice.save()
    sign_in(client, office.practice)
    response = client.post("/login/setup/phone/", {"number": "+1 202 555 0187", "method": "sms"})
    assert response["Location"] == "/login/setup/phone/confirm/"
    assert sms_outbox[-1].to == "+12025550187"
    response = client.post("/login/setup/phone/confirm/", {"code": code_in(sms_outbox[-1])})
    assert response["Location"] == "/login/setup/recovery-codes/"
    response = client.post("/login/setup/recovery-codes/", {"action": "continue"})
    assert response["Location"] == "/account/"
    assert client.session[SESSION_KEY] == str(member.pk)
    assert recovery_codes_left(member) is None  # declined
    assert member.phonedevice_set.get().confirmed
    assert PASSWORD  # the password was typed once, at the start


def test_remote_first_setup_can_be_confirmed_by_the_verified_mobile(
    client, office, member, sms_outbox
):
    allow_remote(member)
    member.mobile_phone = "+12025550187"
    member.mobile_phone_verified_at = timezone.now()
    member.save()
    sign_in(client, office.practice, REMOTE_ADDR=REMOTE)
    assert "Text a code to +1••••••0187" in page_text(client.get("/login/setup/"))
    client.post("/login/setup/", {"action": "send", "channel": "sms"}, REMOTE_ADDR=REMOTE)
    assert sms_outbox[-1].to == "+12025550187"
    response = client.post("/login/setup/", {"code": code_in(sms_outbox[-1])}, REMOTE_ADDR=REMOTE)
    assert response["Location"] == "/login/setup/"
    assert client.get("/login/setup/app/", REMOTE_ADDR=REMOTE).status_code == 200


def test_an_unverified_mobile_is_not_offered_for_the_remote_check(
    client, office, member, sms_outbox
):
    allow_remote(member)
    member.mobile_phone = "+12025550187"
    member.save()
    sign_in(client, office.practice, REMOTE_ADDR=REMOTE)
    html = page_text(client.get("/login/setup/"))
    assert "Text a code" not in html
    client.post("/login/setup/", {"action": "send", "channel": "sms"}, REMOTE_ADDR=REMOTE)
    assert sms_outbox == []
