"""My Account > Security: list, add a phone, rename, remove, recovery codes, reset pairing."""

import re

import pytest
from django.core import mail
from django.urls import NoReverseMatch, reverse

from accounts.models import TwoFactorSetup, UserSession
from mfa.models import PhoneDevice, RecoveryCode, RecoveryCodeDevice
from mfa.selectors import second_factor_kinds
from practice.models import AuditEvent
from tests.factories import UserFactory
from tests.mfa.helpers import app_device, code_in, phone_device, reauth
from tests.signin_helpers import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, member):
    sign_in(client, member)
    reauth(client)
    return client


def test_the_page_lists_the_users_factors(signed_in, member, practice):
    app_device(member, name="My phone app")
    phone_device(member, method="voice")
    app_device(UserFactory(practice=practice), name="Someone else's app")
    html = signed_in.get("/account/security/").content.decode()
    assert "My phone app" in html
    assert "Voice call" in html
    assert "Someone else" not in html
    assert "Reset my 2FA pairing" in html


def test_changes_need_the_password_again(client, member):
    try:
        reauth_url = reverse("accounts:reauth")
    except NoReverseMatch:
        pytest.skip("the password confirmation page (accounts:reauth) is not on main yet")
    # Signed in a while ago: the password typed then no longer counts as recent.
    sign_in(client, member, minutes_ago=10)
    device = app_device(member)
    for url in [
        "/account/security/app/add/",
        "/account/security/phone/add/",
        "/account/security/key/add/",
        "/account/security/recovery-codes/",
        f"/account/security/devices/app-{device.pk}/remove/",
        "/account/security/reset-pairing/",
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reauth_url)
    assert client.post("/account/security/key/begin/").status_code == 403


def test_the_security_key_api_refuses_without_recent_password(client, member):
    sign_in(client, member, minutes_ago=10)
    response = client.post("/account/security/key/begin/")
    assert response.status_code == 403
    assert "Confirm your password" in response.json()["detail"]


def test_adding_a_phone_texts_a_code_and_confirms_it(signed_in, member, sms_outbox):
    response = signed_in.post(
        "/account/security/phone/add/", {"number": "+1 (202) 555-0187", "method": "sms"}
    )
    assert response["Location"] == "/account/security/phone/confirm/"
    assert sms_outbox[-1].to == "+12025550187"
    mail.outbox.clear()
    response = signed_in.post("/account/security/phone/confirm/", {"code": code_in(sms_outbox[-1])})
    assert response["Location"] == "/account/security/recovery-codes/"
    device = PhoneDevice.objects.get(user=member)
    assert device.confirmed and device.number == "+12025550187"
    assert second_factor_kinds([member.pk]) == {member.pk: ["text"]}
    assert "was added" in mail.outbox[0].subject


def test_a_phone_outside_the_allowed_countries_is_refused(signed_in, member, sms_outbox):
    response = signed_in.post(
        "/account/security/phone/add/", {"number": "+44 20 7946 0958", "method": "voice"}
    )
    assert response.status_code == 200
    assert (
        "Voice codes can only go to mobile or landline numbers in these countries: "
        "United States, Canada." in response.content.decode()
    )
    assert sms_outbox == []
    assert not PhoneDevice.objects.filter(user=member).exists()


def test_rename(signed_in, member):
    device = app_device(member)
    response = signed_in.post(
        f"/account/security/devices/app-{device.pk}/rename/", {"name": "Work phone"}
    )
    assert response["Location"] == "/account/security/"
    device.refresh_from_db()
    assert device.name == "Work phone"


def test_another_users_device_is_a_404(signed_in, practice):
    other = app_device(UserFactory(practice=practice))
    for action in ("rename", "remove"):
        url = f"/account/security/devices/app-{other.pk}/{action}/"
        assert signed_in.get(url).status_code == 404
        assert signed_in.post(url, {"name": "x"}).status_code == 404
    other.refresh_from_db()


def test_remove_emails_a_notice(signed_in, member):
    device = app_device(member)
    phone_device(member)
    mail.outbox.clear()
    response = signed_in.post(f"/account/security/devices/app-{device.pk}/remove/")
    assert response["Location"] == "/account/security/"
    assert not member.totpdevice_set.exists()
    assert "was removed" in mail.outbox[0].subject
    assert AuditEvent.objects.filter(action="mfa.device_removed", target=member).exists()


def test_the_last_factor_stays_when_the_policy_requires_one(signed_in, member, practice):
    practice.two_factor_policy = "require"
    practice.save()
    device = app_device(member)
    response = signed_in.post(f"/account/security/devices/app-{device.pk}/remove/", follow=True)
    assert "Add another method before you remove your last one" in response.content.decode()
    assert member.totpdevice_set.filter(pk=device.pk).exists()

    second = phone_device(member)
    signed_in.post(f"/account/security/devices/phone-{second.pk}/remove/")
    assert not PhoneDevice.objects.filter(pk=second.pk).exists()


def test_removing_the_last_factor_also_removes_recovery_codes(signed_in, member):
    device = app_device(member)
    signed_in.post("/account/security/recovery-codes/")
    signed_in.post(f"/account/security/devices/app-{device.pk}/remove/")
    assert not RecoveryCodeDevice.objects.filter(user=member).exists()


def test_recovery_codes_are_shown_once_and_stored_hashed(signed_in, member):
    app_device(member)
    response = signed_in.post("/account/security/recovery-codes/")
    html = response.content.decode()
    codes = re.findall(r"<li>([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})</li>", html)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert "only time they are shown" in html
    assert response["Cache-Control"].count("no-store")

    stored = list(
        RecoveryCode.objects.filter(device__user=member).values_list("code_hash", flat=True)
    )
    assert len(stored) == 10
    for code in codes:
        assert code not in str(stored) and code.replace("-", "") not in str(stored)
    # Never shown again.
    page = signed_in.get("/account/security/recovery-codes/").content.decode()
    assert not any(code in page for code in codes)
    assert "10 unused codes" in page


def test_new_recovery_codes_replace_the_old_ones(signed_in, member):
    app_device(member)
    first = re.findall(
        r"<li>([0-9A-Z-]{14})</li>",
        signed_in.post("/account/security/recovery-codes/").content.decode(),
    )
    mail.outbox.clear()
    signed_in.post("/account/security/recovery-codes/")
    device = RecoveryCodeDevice.objects.get(user=member)
    assert device.verify_token(first[0]) is False
    assert "new recovery codes" in mail.outbox[0].subject.lower()


def test_recovery_codes_need_a_factor_first(signed_in, member):
    response = signed_in.post("/account/security/recovery-codes/", follow=True)
    assert "Set up an authenticator app" in response.content.decode()
    assert not RecoveryCodeDevice.objects.filter(user=member).exists()


def test_a_recovery_code_works_once(member):
    from mfa.recovery_codes.flows import recovery_codes_generate

    app_device(member)
    codes = recovery_codes_generate(user=member, actor=member)
    device = RecoveryCodeDevice.objects.get(user=member)
    assert device.verify_token(codes[0]) is True
    device.throttle_reset()
    assert device.verify_token(codes[0]) is False
    assert device.codes_left == 9


def test_reset_my_pairing_removes_everything_and_signs_out_everywhere(client, member):
    app_device(member)
    phone_device(member)
    sign_in(client, member)
    reauth(client)
    other_browser = client.__class__()
    sign_in(other_browser, member)
    mail.outbox.clear()

    response = client.post("/account/security/reset-pairing/", follow=True)
    assert "Sign in again to set it up" in response.content.decode()
    assert second_factor_kinds([member.pk]) == {}
    assert not UserSession.objects.filter(user=member, ended_at__isnull=True).exists()
    assert other_browser.get("/account/security/").status_code == 302
    member.refresh_from_db()
    assert member.two_factor_setup == TwoFactorSetup.REQUIRE
    assert "was reset" in mail.outbox[0].subject
    event = AuditEvent.objects.get(action="mfa.pairing_reset")
    assert event.actor == member and event.details["removed"] == 2


def test_reset_my_pairing_only_where_the_practice_allows(signed_in, member, practice):
    practice.allow_self_pairing_reset = False
    practice.save()
    app_device(member)
    assert "Reset my 2FA pairing" not in signed_in.get("/account/security/").content.decode()
    assert signed_in.post("/account/security/reset-pairing/").status_code == 404
    assert member.totpdevice_set.exists()


def test_reset_my_pairing_only_where_the_role_includes_it(signed_in, member):
    # The practice allows it; the role's "Reset their own 2FA pairing" is taken away.
    role = member.practice_role
    role.permissions = []
    role.save(update_fields=["permissions"])
    app_device(member)
    assert "Reset my 2FA pairing" not in signed_in.get("/account/security/").content.decode()
    assert signed_in.post("/account/security/reset-pairing/").status_code == 404
    assert member.totpdevice_set.exists()


def test_without_an_sms_backend_no_phone_is_offered(client, settings, member):
    from tests.signin_helpers import sign_in

    settings.SMS_BACKEND = "none"
    sign_in(client, member)
    page = client.get("/account/security/").content.decode()
    assert "Add authenticator app" in page
    assert "Add a phone" not in page
    reauth(client)
    assert client.get("/account/security/phone/add/").status_code == 404
