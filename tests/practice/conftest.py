"""Fixtures of the console tests: a signed-in administrator, and a second practice to keep out."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import AdminFactory, PracticeFactory, StaffFactory, UserFactory
from tests.signin_helpers import sign_in


@pytest.fixture
def admin_device(admin_user):
    return TOTPDevice.objects.create(user=admin_user, name="Phone", confirmed=True)


@pytest.fixture
def verified_console(client, admin_user, admin_device):
    """The administrator signed in with their own second factor."""
    sign_in(client, admin_user, device=admin_device)
    return client


@pytest.fixture
def other_practice(db):
    return PracticeFactory(code="hillside", name="Hillside Family Care")


@pytest.fixture
def stranger(other_practice):
    """A user of another practice: the console must never show or touch them."""
    AdminFactory(practice=other_practice, username="otheradmin")
    return UserFactory(
        practice=other_practice,
        username="stranger",
        first_name="Sol",
        last_name="Stranger",
        pm_username="SSTRANGER",
    )


@pytest.fixture
def staff(db):
    return StaffFactory(username="support")


@pytest.fixture
def staff_client(client, staff):
    """Support staff, signed in with their own second factor (as /admin/login/ requires)."""
    sign_in(client, staff, device=TOTPDevice.objects.create(user=staff, name="Key", confirmed=True))
    return client
