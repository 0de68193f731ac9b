""" "Set up two-factor now": the user at the administrator's desk sets up their second factor on
the administrator's screen; guarded like the pairing reset, audited as done in person."""

import html
import re

import pyotp
import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from accounts.models import User
from mfa.models import AuthenticatorApp, PhoneDevice
from practice.models import AuditEvent
from tests.factories import PASSWORD
from tests.mfa.helpers import code_in
from tests.mfa.qr import qr_text_from_page
from tests.signin_helpers import sign_in

pytestmark = pytest.mark.django_db

IN_PERSON = "mfa.device_set_up_in_person"


def start_url(user) -> str:
    return f"/console/users/{user.pk}/set-up-2fa/"


def code_url(user) -> str:
    return f"/console/users/{user.pk}/set-up-2fa/code/"


def otpauth_link(body: str) -> str:
    match = re.search(r'<a [^>]*href="(otpauth://[^"]+)"[^>]*>Open in authenticator app</a>', body)
    assert match, "no Open in authenticator app link"
    return html.unescape(match.group(1))


def test_the_user_page_offers_it(verified_console, member):
    body = verified_console.get(f"/console/users/{member.pk}/").content.decode()
    assert "Set up two-factor now" in body
    assert f'action="{start_url(member)}"' in body


def test_an_authenticator_app_set_up_at_the_desk_is_the_users_and_audited_in_person(
    verified_console, admin_user, admin_device, member, django_capture_on_commit_callbacks
):
    page = verified_console.get(start_url(member))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Set up two-factor now for Nina Reyes" in body
    assert "Text message" not in body  # no verified mobile: an app only

    response = verified_console.post(start_url(member), {"method": "app", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == code_url(member)
    page = verified_console.get(code_url(member))
    assert page["Cache-Control"].startswith("max-age=0") or "no-store" in page["Cache-Control"]
    body = page.content.decode()
    # What Nina's phone reads off the administrator's screen, and the same as a link.
    uri = qr_text_from_page(body)
    assert otpauth_link(body) == uri
    phone = pyotp.parse_uri(uri)
    assert phone.issuer == "Valley Pediatrics"
    assert AuthenticatorApp.objects.filter(user=member, confirmed=False).count() == 1

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = verified_console.post(code_url(member), {"code": phone.now()})
    assert response.status_code == 302
    assert response["Location"] == f"/console/users/{member.pk}/"
    device = AuthenticatorApp.objects.get(user=member)
    assert device.confirmed and device.user == member
    # The administrator's own factors are as they were.
    assert list(AuthenticatorApp.objects.filter(user=admin_user)) == [admin_device]
    event = AuditEvent.objects.get(action=IN_PERSON)
    assert (event.actor, event.target) == (admin_user, member)
    assert event.details == {"kind": "app", "name": "Valley Pediatrics"}
    assert not AuditEvent.objects.filter(action="mfa.device_added").exists()
    # Nina is told who set it up at their desk, and when.
    (notice,) = mail.outbox
    assert notice.to == [member.email] and "Avery Admin" in notice.subject
    assert "set up a second factor for your account at their desk" in notice.body
    body = verified_console.get(f"/console/users/{member.pk}/").content.decode()
    assert "Two-factor authentication is set up for Nina Reyes" in body
    # The step is over: the code page does not show the secret again (Nina has a second factor
    # now: another one is set up here only after a pairing reset).
    again = verified_console.get(code_url(member))
    assert again.status_code == 302 and again["Location"] == f"/console/users/{member.pk}/"


def test_a_text_to_the_verified_mobile(verified_console, admin_user, member, sms_outbox):
    member.mobile_phone = "+12025550177"
    member.mobile_phone_verified_at = timezone.now()
    member.save(update_fields=["mobile_phone", "mobile_phone_verified_at"])
    body = verified_console.get(start_url(member)).content.decode()
    assert "Text message to their mobile, +1••••••0177" in body

    response = verified_console.post(start_url(member), {"method": "text", "password": PASSWORD})
    assert response["Location"] == code_url(member)
    assert sms_outbox[-1].to == "+12025550177"
    body = verified_console.get(code_url(member)).content.decode()
    assert "+1••••••0177" in body and 'alt="QR code"' not in body
    response = verified_console.post(code_url(member), {"code": code_in(sms_outbox[-1])})
    assert response["Location"] == f"/console/users/{member.pk}/"
    device = PhoneDevice.objects.get(user=member)
    assert device.confirmed and device.number == "+12025550177"
    event = AuditEvent.objects.get(action=IN_PERSON)
    assert event.actor == admin_user and event.details["kind"] == "text"


def test_no_text_to_an_unverified_mobile(verified_console, member, sms_outbox):
    member.mobile_phone = "+12025550177"
    member.save(update_fields=["mobile_phone"])
    assert "Text message" not in verified_console.get(start_url(member)).content.decode()
    response = verified_console.post(start_url(member), {"method": "text", "password": PASSWORD})
    assert response.status_code == 400
    assert not PhoneDevice.objects.exists() and sms_outbox == []


def test_a_wrong_code_confirms_nothing(verified_console, member):
    verified_console.post(start_url(member), {"method": "app", "password": PASSWORD})
    response = verified_console.post(code_url(member), {"code": "000000"})
    assert response.status_code == 400
    assert "Invalid code" in response.content.decode()
    assert not AuthenticatorApp.objects.filter(user=member, confirmed=True).exists()
    assert not AuditEvent.objects.filter(action=IN_PERSON).exists()


def test_a_wrong_password_starts_nothing_and_counts_towards_lockout(
    verified_console, admin_user, member
):
    response = verified_console.post(start_url(member), {"method": "app", "password": "nope"})
    assert response.status_code == 400
    assert "The password is not correct." in response.content.decode()
    assert not AuthenticatorApp.objects.filter(user=member).exists()
    assert User.objects.get(pk=admin_user.pk).failed_logins == 1
    # The code page cannot be reached without the password.
    response = verified_console.get(code_url(member))
    assert response.status_code == 302 and response["Location"] == start_url(member)


def test_an_administrator_without_their_own_second_factor_is_refused(console, member):
    response = console.get(start_url(member))
    assert response.status_code == 403
    assert "needs a session signed in with your own second factor" in response.content.decode()
    response = console.post(start_url(member), {"method": "app", "password": PASSWORD})
    assert response.status_code == 403
    assert not AuthenticatorApp.objects.filter(user=member).exists()
    assert console.get(code_url(member)).status_code == 403


def test_the_step_lasts_ten_minutes(verified_console, member):
    verified_console.post(start_url(member), {"method": "app", "password": PASSWORD})
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=11)):
        response = verified_console.get(code_url(member))
    assert response.status_code == 302 and response["Location"] == start_url(member)


def test_not_for_oneself_an_inactive_user_or_another_practice(
    client, admin_user, admin_device, member, stranger
):
    sign_in(client, admin_user, device=admin_device)
    response = client.get(start_url(admin_user))
    assert response.status_code == 302
    assert response["Location"] == f"/console/users/{admin_user.pk}/"
    member.is_active = False
    member.save(update_fields=["is_active"])
    response = client.post(start_url(member), {"method": "app", "password": PASSWORD})
    assert response.status_code == 302
    page = client.get(f"/console/users/{member.pk}/").content.decode()
    assert "Set up two-factor now" not in page
    assert client.get(start_url(stranger)).status_code == 404
    assert client.get(code_url(stranger)).status_code == 404
    assert not AuthenticatorApp.objects.exclude(user=admin_user).exists()


def test_a_code_page_started_for_one_user_does_not_open_for_another(
    verified_console, member, practice
):
    from tests.factories import UserFactory

    other = UserFactory(practice=practice, username="omar")
    verified_console.post(start_url(member), {"method": "app", "password": PASSWORD})
    response = verified_console.get(code_url(other))
    assert response.status_code == 302 and response["Location"] == start_url(other)
