"""Support staff's actions in Django admin: audited under the staff member, never a password."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.lockout import user_lock
from accounts.remote_access import remote_access_grant
from practice.models import AuditEvent
from tests.factories import StaffFactory
from tests.signin_helpers import sign_in

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/accounts/user/"


def act(client, action, *users, confirmed=True):
    data = {"action": action, "_selected_action": [u.pk for u in users]}
    if confirmed:
        data["confirmed"] = "yes"
    return client.post(CHANGELIST, data, follow=True)


def test_the_actions_are_offered(staff_client):
    body = staff_client.get(CHANGELIST).content.decode()
    # Ours, and accounts' own "Send a password reset link".
    for name in ("unlock_users", "deactivate_users", "reset_pairing", "send_password_reset_link"):
        assert f'value="{name}"' in body


def test_unlock_is_audited_under_the_staff_member(staff_client, staff, member, stranger):
    user_lock(user=member, actor=None)
    user_lock(user=stranger, actor=None)
    response = act(staff_client, "unlock_users", member, stranger)
    assert "Unlocked 2 users." in response.content.decode()
    member.refresh_from_db()
    assert member.locked_at is None
    event = AuditEvent.objects.get(target=member, action="user.unlocked")
    assert event.actor == staff and event.practice == member.practice
    assert event.details == {"reason": "support"}


def test_deactivate_ends_remote_access_and_is_audited(staff_client, staff, admin_user, member):
    member.pm_username = "NR"
    member.save()
    remote_access_grant(user=member, actor=admin_user)
    act(staff_client, "deactivate_users", member)
    member.refresh_from_db()
    assert not member.is_active and not member.remote_access
    assert AuditEvent.objects.get(target=member, action="user.deactivated").actor == staff


def test_reset_pairing_needs_a_staff_session_with_its_own_second_factor(client, staff, member):
    TOTPDevice.objects.create(user=member, name="Phone", confirmed=True)
    sign_in(client, staff)  # no second factor in this session
    response = act(client, "reset_pairing", member)
    assert "Sign in with your own second factor" in response.content.decode()
    assert TOTPDevice.objects.filter(user=member).exists()


def test_reset_pairing_with_a_verified_staff_session(staff_client, staff, member):
    TOTPDevice.objects.create(user=member, name="Phone", confirmed=True)
    response = act(staff_client, "reset_pairing", member)
    assert "Reset the 2FA pairing of 1 user." in response.content.decode()
    assert not TOTPDevice.objects.filter(user=member).exists()
    assert AuditEvent.objects.get(target=member, action="mfa.pairing_reset").actor == staff


def test_support_staff_rows_are_left_alone(staff_client, staff):
    other = StaffFactory(username="colleague")
    response = act(staff_client, "deactivate_users", other)
    assert "Deactivated 0 users." in response.content.decode()
    other.refresh_from_db()
    assert other.is_active


@pytest.mark.parametrize(
    "action, question",
    [
        ("deactivate_users", "Deactivate these users?"),
        ("reset_pairing", "Reset the 2FA pairing of these users?"),
    ],
)
def test_dangerous_actions_ask_first_and_change_nothing_until_confirmed(
    staff_client, member, action, question
):
    TOTPDevice.objects.create(user=member, name="Phone", confirmed=True)
    page = act(staff_client, action, member, confirmed=False).content.decode()
    assert question in page
    assert "Nina Reyes (nina, Valley Pediatrics)" in page
    member.refresh_from_db()
    assert member.is_active
    assert TOTPDevice.objects.filter(user=member).exists()
    assert not AuditEvent.objects.filter(target=member).exclude(action="user.created").exists()
