"""/account/ profile: plain details, the confirmed email change, the verified phone change."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.utils import timezone

from phonecodes import senders as sms
from phonecodes.codes import phone_code_send
from practice.models import AuditEvent
from tests.account_helpers import code_in, link_open
from tests.factories import PASSWORD, UserFactory
from tests.signin_helpers import sign_in, signed_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_outboxes():
    cache.clear()
    sms.outbox.clear()
    yield
    sms.outbox.clear()


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
        "current_password": "",
    }
    data.update(changes)
    return data


def test_profile_page_shows_the_details_and_the_practice_read_only(client, member, practice):
    sign_in(client, member)
    body = client.get("/account/").content.decode()
    for label in (
        "First name",
        "Last name",
        "Email",
        "Mobile phone",
        "Other phone",
        "Time zone",
        "NPI",
        "ADA number",
        "Specialties",
    ):
        assert f">{label}</label>" in body
    assert practice.name in body
    assert 'name="practice' not in body
    assert "<script>" not in body and "style=" not in body


def test_plain_details_are_saved_and_audited(client, member):
    sign_in(client, member)
    response = client.post(
        "/account/",
        profile_data(
            member,
            first_name="Nina",
            last_name="Reyes-Park",
            other_phone="(202) 555-0187",
            time_zone="America/Chicago",
            npi="1234567893",
            ada_number="ADA-12345",
            specialties="Pediatric dentistry",
        ),
        follow=True,
    )
    assert "Your profile is saved." in response.content.decode()
    member.refresh_from_db()
    assert member.last_name == "Reyes-Park"
    assert member.other_phone == "+12025550187"
    assert member.time_zone == "America/Chicago"
    assert (member.npi, member.ada_number) == ("1234567893", "ADA-12345")
    event = AuditEvent.objects.get(action="profile.updated", target=member)
    assert set(event.details["fields"]) == {
        "last_name",
        "other_phone",
        "time_zone",
        "npi",
        "ada_number",
        "specialties",
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("npi", "1234567890", "check digit does not match"),
        ("other_phone", "12345", "is not a valid phone number"),
        ("time_zone", "Mars/Olympus", "Select a valid choice"),
        ("email", "not-an-email", "Enter a valid email address"),
    ],
)
def test_bad_input_changes_nothing(client, member, field, value, message):
    sign_in(client, member)
    before = getattr(member, field)
    response = client.post("/account/", profile_data(member, **{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    member.refresh_from_db()
    assert getattr(member, field) == before


def test_role_and_practice_cannot_be_posted(client, member, practice):
    sign_in(client, member)
    client.post("/account/", profile_data(member, role="admin", practice="1", is_staff="on"))
    member.refresh_from_db()
    assert member.role == "user" and not member.is_staff and member.practice == practice


def test_email_change_needs_the_current_password(client, member):
    # Signed in a while ago: the password typed then no longer counts as recent.
    sign_in(client, member, minutes_ago=10)
    response = client.post("/account/", profile_data(member, email="nina.new@example.test"))
    assert "Enter your current password to change your email" in response.content.decode()
    response = client.post(
        "/account/",
        profile_data(member, email="nina.new@example.test", current_password="Wrong-Pass-1!"),
    )
    assert "Your current password is not right." in response.content.decode()
    member.refresh_from_db()
    assert member.failed_logins == 1
    assert mail.outbox == []


def test_email_change_is_confirmed_from_the_new_mailbox(client, member):
    old_email = member.email
    sign_in(client, member)
    response = client.post(
        "/account/",
        profile_data(member, email="nina.new@example.test", current_password=PASSWORD),
        follow=True,
    )
    assert "We sent a confirmation link to nina.new@example.test" in response.content.decode()
    member.refresh_from_db()
    assert member.email == old_email  # not until confirmed

    confirm, notice = mail.outbox
    assert confirm.to == ["nina.new@example.test"]
    assert notice.to == [old_email]
    assert "nina.new@example.test" in notice.body
    assert "http" not in notice.body

    opened = link_open(client, confirm.body)
    assert opened["Location"] == "/account/email/confirm/"  # the token never in a URL
    page = client.get(opened["Location"])
    assert "Confirm email address" in page.content.decode()
    member.refresh_from_db()
    assert member.email == old_email  # opening (or a mail scanner) is not confirming

    done = client.post("/account/email/confirm/", follow=True)
    assert "Your email address is now nina.new@example.test." in done.content.decode()
    member.refresh_from_db()
    assert member.email == "nina.new@example.test"
    assert AuditEvent.objects.get(action="email.changed", target=member).details == {
        "old_email": old_email,
        "new_email": "nina.new@example.test",
    }

    # Single use.
    again = link_open(client, confirm.body, follow=True)
    assert again.status_code == 400
    assert "expired or has already been used" in again.content.decode()


def test_email_change_confirmations_are_limited_per_user(client, member):
    sign_in(client, member)
    for n in range(3):
        client.post(
            "/account/",
            profile_data(member, email=f"nina{n}@example.test", current_password=PASSWORD),
        )
    sent = len(mail.outbox)
    assert [message.to for message in mail.outbox[::2]] == [
        [f"nina{n}@example.test"] for n in range(3)
    ]
    response = client.post(
        "/account/", profile_data(member, email="nina9@example.test"), follow=True
    )
    assert "Too many confirmation emails" in response.content.decode()
    assert len(mail.outbox) == sent
    assert not AuditEvent.objects.filter(
        action="email.change_requested", details__new_email="nina9@example.test"
    ).exists()


def test_email_change_confirmations_are_limited_per_address(client, practice):
    # Three accounts cannot together flood one stranger's mailbox.
    users = [UserFactory(practice=practice) for _ in range(4)]
    for user in users:
        browser = signed_in_client(user)
        browser.post(
            "/account/",
            profile_data(user, email="victim@example.test", current_password=PASSWORD),
        )
    to_victim = [message for message in mail.outbox if message.to == ["victim@example.test"]]
    assert len(to_victim) == 3


def test_email_confirmation_link_expires(client, member):
    sign_in(client, member)
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        client.post(
            "/account/",
            profile_data(member, email="nina.new@example.test", current_password=PASSWORD),
        )
    with time_machine.travel(now + timedelta(hours=25), tick=False):
        response = link_open(client, mail.outbox[0].body, follow=True)
    assert response.status_code == 400
    member.refresh_from_db()
    assert member.email != "nina.new@example.test"


def test_mobile_phone_change_is_verified_with_a_code_first(client, member):
    sign_in(client, member)
    response = client.post(
        "/account/",
        profile_data(member, mobile_phone="202-555-0143", current_password=PASSWORD),
    )
    assert response["Location"] == "/account/phone/"
    member.refresh_from_db()
    assert member.mobile_phone == ""

    page = client.get("/account/phone/").content.decode()
    assert ">Verification code</label>" in page
    assert ">Verify</button>" in page
    assert "+12025550143" in page
    assert [m.to for m in sms.outbox] == ["+12025550143"]
    code = code_in(sms.outbox[0].body)

    wrong = client.post("/account/phone/", {"action": "verify", "code": "12345x"})
    assert "Invalid code" in wrong.content.decode()
    member.refresh_from_db()
    assert member.mobile_phone == ""

    done = client.post("/account/phone/", {"action": "verify", "code": code}, follow=True)
    assert "Your new mobile phone number is verified and saved." in done.content.decode()
    member.refresh_from_db()
    assert member.mobile_phone == "+12025550143"
    assert member.mobile_phone_verified_at is not None
    assert AuditEvent.objects.filter(action="phone.changed", target=member).exists()
    assert mail.outbox[-1].subject == "PracticeGate: your mobile phone number was changed"
    assert "0143" in mail.outbox[-1].body and "+12025550143" not in mail.outbox[-1].body


def test_phone_change_can_be_cancelled(client, member):
    sign_in(client, member)
    client.post(
        "/account/", profile_data(member, mobile_phone="+12025550143", current_password=PASSWORD)
    )
    client.get("/account/phone/")
    client.post("/account/phone/", {"action": "cancel"})
    assert client.get("/account/phone/")["Location"] == "/account/"
    member.refresh_from_db()
    assert member.mobile_phone == ""


def test_a_code_for_another_purpose_does_not_change_the_phone(client, member):
    sign_in(client, member)
    client.post(
        "/account/", profile_data(member, mobile_phone="+12025550143", current_password=PASSWORD)
    )
    client.get("/account/phone/")
    # A code sent to the same user for something else (a sign-in) does not confirm the number.
    with time_machine.travel(timezone.now() + timedelta(seconds=40), tick=False):
        phone_code_send(user=member, number="+12025550187", channel="sms", purpose="signin:x")
        other_code = code_in(sms.outbox[-1].body)
        response = client.post("/account/phone/", {"action": "verify", "code": other_code})
    assert "Invalid code" in response.content.decode()
    member.refresh_from_db()
    assert member.mobile_phone == ""


def test_removing_the_mobile_phone(client, member):
    member.mobile_phone = "+12025550143"
    member.mobile_phone_verified_at = timezone.now()
    member.save()
    sign_in(client, member)
    response = client.post(
        "/account/", profile_data(member, mobile_phone="", current_password=PASSWORD), follow=True
    )
    assert "Your mobile phone number is removed." in response.content.decode()
    member.refresh_from_db()
    assert (member.mobile_phone, member.mobile_phone_verified_at) == ("", None)
    assert AuditEvent.objects.filter(action="phone.removed", target=member).exists()
    assert mail.outbox[-1].subject == "PracticeGate: your mobile phone number was removed"


def test_recent_reauthentication_spares_the_password(client, member):
    sign_in(client, member)
    client.post("/account/confirm-password/", {"password": PASSWORD})
    response = client.post("/account/", profile_data(member, email="nina.new@example.test"))
    assert response.status_code == 302
    assert [m.to for m in mail.outbox][0] == ["nina.new@example.test"]


def test_without_text_codes_a_new_phone_is_kept_unverified(client, member, settings):
    settings.SMS_BACKEND = "none"
    sign_in(client, member)
    response = client.post(
        "/account/",
        profile_data(member, mobile_phone="202-555-0143", current_password=PASSWORD),
        follow=True,
    )
    assert "Your mobile phone number is saved." in response.content.decode()
    member.refresh_from_db()
    assert member.mobile_phone == "+12025550143"
    assert member.mobile_phone_verified_at is None
    assert sms.outbox == []
    event = AuditEvent.objects.get(action="phone.changed", target=member)
    assert event.details["verified"] is False
