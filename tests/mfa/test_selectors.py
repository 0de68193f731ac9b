"""Who counts as having a second factor: what the sign-in asks for, and the list shows."""

import pytest
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp_webauthn.models import WebAuthnCredential

from mfa.models import RecoveryCodeDevice
from mfa.selectors import has_second_factor
from tests.factories import UserFactory
from tests.mfa.helpers import app_device, phone_device

pytestmark = pytest.mark.django_db


def key(user, *, confirmed=True):
    return WebAuthnCredential.objects.create(
        user=user, name="YubiKey", confirmed=confirmed, credential_id=b"k1", public_key=b"p"
    )


@pytest.mark.parametrize("make", [app_device, phone_device, key], ids=["app", "phone", "key"])
def test_a_confirmed_app_phone_or_key_counts(member, make):
    assert not has_second_factor(member)
    make(member)
    assert has_second_factor(member)


@pytest.mark.parametrize("make", [app_device, phone_device, key], ids=["app", "phone", "key"])
def test_an_unconfirmed_one_does_not(member, make):
    make(member, confirmed=False)
    assert not has_second_factor(member)


def test_recovery_codes_and_email_alone_do_not(member):
    RecoveryCodeDevice.objects.create(user=member, name="Recovery codes", confirmed=True)
    EmailDevice.objects.create(user=member, name="Email", confirmed=True)
    assert not has_second_factor(member)


def test_another_users_device_does_not(member, practice):
    app_device(UserFactory(practice=practice, username="other"))
    assert not has_second_factor(member)
