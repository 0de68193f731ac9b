"""mfa.in_person: the service refuses what the console's view would never offer."""

import pytest
from django.core.exceptions import ValidationError

from mfa.in_person import in_person_app_start, in_person_setup_confirm, in_person_text_start
from mfa.models import AuthenticatorApp
from tests.factories import AdminFactory, PracticeFactory
from tests.mfa.helpers import app_code, app_device

pytestmark = pytest.mark.django_db


def test_an_administrator_of_another_practice_is_refused(member):
    outsider = AdminFactory(practice=PracticeFactory(code="hillside"), username="otheradmin")
    with pytest.raises(ValidationError, match="Not a user of your practice"):
        in_person_app_start(user=member, actor=outsider)
    device = app_device(member, confirmed=False)
    with pytest.raises(ValidationError):
        in_person_setup_confirm(device=device, code=app_code(device), actor=outsider)
    assert not AuthenticatorApp.objects.filter(user=member, confirmed=True).exists()


def test_not_for_oneself(admin_user):
    with pytest.raises(ValidationError, match="from My Account"):
        in_person_app_start(user=admin_user, actor=admin_user)


def test_a_text_only_to_a_verified_mobile(member, admin_user, sms_outbox):
    member.mobile_phone = "+12025550177"
    member.save(update_fields=["mobile_phone"])
    with pytest.raises(ValidationError, match="no verified mobile"):
        in_person_text_start(user=member, actor=admin_user)
    assert sms_outbox == []


def test_a_confirmed_device_is_not_confirmed_twice(member, admin_user):
    device = app_device(member, confirmed=True)
    assert in_person_setup_confirm(device=device, code=app_code(device), actor=admin_user) is False
