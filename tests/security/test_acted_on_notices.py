"""Issue 21, item 2: a rogue administrator does not go unseen. Someone else acting on a user's
sign-in always emails that user (who, when, and to tell the practice if it was not expected); a
second factor is not set up at the desk beside one the user already has; and the other
administrators hear when one administrator both sets a temporary password and sets up a second
factor for the same user within a day (the two together let them sign in as that user)."""

from datetime import timedelta

import pyotp
import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import UserSession
from mfa.models import AuthenticatorApp
from tests.factories import PASSWORD, AdminFactory, UserFactory, starting_role
from tests.mfa.qr import qr_text_from_page
from tests.signin_helpers import sign_in, signed_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def rogue(client, admin_user):
    """The administrator (Avery), signed in with their own second factor."""
    sign_in(client, admin_user, device=TOTPDevice.objects.create(user=admin_user, confirmed=True))
    return client


@pytest.fixture
def deputy(practice):
    """The practice's other administrator, who should hear of a takeover."""
    return AdminFactory(practice=practice, username="dana", email="dana@example.test")


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    """Run what a request leaves for after its commit (the notices), as production does."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def sent_to(address: str) -> list:
    return [message for message in mail.outbox if message.to == [address]]


def assert_names_who_and_when(message, *, what: str):
    assert "Avery Admin (Practice administrator)" in message.subject
    assert what in message.body
    local = timezone.localtime(timezone.now(), timezone.get_fixed_timezone(-300))
    assert "America/New_York" in message.body and str(local.year) in message.body
    assert "If this was not expected, tell your practice" in message.body


def set_up_app_in_person(client, user) -> None:
    """Avery's "Set up two-factor now" for `user`, their phone scanning Avery's screen."""
    start = f"/console/users/{user.pk}/set-up-2fa/"
    response = client.post(start, {"method": "app", "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()
    page = client.get(f"{start}code/").content.decode()
    code = pyotp.parse_uri(qr_text_from_page(page)).now()
    response = client.post(f"{start}code/", {"code": code})
    assert response.status_code == 302


def test_item2_a_temporary_password_set_by_someone_else_is_told(rogue, member, capture):
    with capture():
        rogue.post(f"/console/users/{member.pk}/temporary-password/", {"generate": "1"})
    (notice,) = sent_to(member.email)
    assert_names_who_and_when(notice, what="set a temporary password for your account")


def test_item2_a_second_factor_set_up_at_the_desk_is_told(rogue, member, capture):
    with capture():
        set_up_app_in_person(rogue, member)
    (notice,) = sent_to(member.email)
    assert_names_who_and_when(notice, what="set up a second factor for your account")
    assert AuthenticatorApp.objects.filter(user=member, confirmed=True).exists()


def test_item2_a_pairing_reset_by_someone_else_is_told(rogue, member, capture):
    TOTPDevice.objects.create(user=member, name="Old phone", confirmed=True)
    with capture():
        rogue.post(f"/console/users/{member.pk}/reset-2fa/", {"password": PASSWORD})
    (notice,) = sent_to(member.email)
    assert_names_who_and_when(notice, what="reset your two-factor authentication")


def test_item2_a_role_change_is_told(rogue, practice, member, capture):
    manager_role = starting_role(practice, "user_manager")
    data = {"active": "on", "role": manager_role.pk, "pm_username": "", "two_factor_setup": ""}
    with capture():
        response = rogue.post(f"/console/users/{member.pk}/", data)
    assert response.status_code == 302
    (notice,) = sent_to(member.email)
    assert_names_who_and_when(notice, what="changed your role")
    assert '"User" and is now "User manager"' in notice.body


def test_item2_sessions_ended_by_an_administrator_are_told(rogue, member, capture):
    signed_in_client(member)
    session = UserSession.objects.get(user=member)
    with capture():
        rogue.post(f"/console/users/{member.pk}/sessions/{session.pk}/end/")
    (notice,) = sent_to(member.email)
    assert_names_who_and_when(notice, what="signed you out")
    # "Sign out all users" tells each user signed out the same way.
    signed_in_client(member)
    mail.outbox.clear()
    with capture():
        rogue.post("/console/sign-out-everyone/")
    (notice,) = sent_to(member.email)
    assert_names_who_and_when(notice, what="signed you out")


def test_item2_what_the_user_does_themselves_or_is_refused_tells_nobody(
    rogue, practice, member, admin_user, capture
):
    manager = UserFactory(practice=practice, username="morgan", role="user_manager")
    with capture():
        # Refused (a user manager may not set temporary passwords): nothing changed, nobody told.
        signed_in_client(manager).post(
            f"/console/users/{member.pk}/temporary-password/", {"generate": "1"}
        )
        # Avery's own sessions, ended by Avery: no notice about oneself.
        own = UserSession.objects.filter(user=admin_user).first()
        rogue.post(f"/console/users/{admin_user.pk}/sessions/{own.pk}/end/")
    assert mail.outbox == []


def test_item2_a_second_factor_is_not_set_up_at_the_desk_beside_the_users_own(
    rogue, member, capture
):
    TOTPDevice.objects.create(user=member, name="Nina's phone", confirmed=True)
    page = rogue.get(f"/console/users/{member.pk}/").content.decode()
    assert "Set up two-factor now" not in page
    with capture():
        response = rogue.post(
            f"/console/users/{member.pk}/set-up-2fa/",
            {"method": "app", "password": PASSWORD},
            follow=True,
        )
    assert "already has a second factor" in response.content.decode()
    assert "Reset 2FA pairing" in response.content.decode()
    assert not AuthenticatorApp.objects.filter(user=member, confirmed=False).exists()
    assert mail.outbox == []


def test_item2_the_other_administrators_hear_of_a_password_and_a_factor_within_a_day(
    rogue, member, deputy, admin_user, capture
):
    with capture():
        rogue.post(f"/console/users/{member.pk}/temporary-password/", {"generate": "1"})
    assert sent_to(deputy.email) == []  # one of the two is everyday desk work
    with capture():
        set_up_app_in_person(rogue, member)
    (warning,) = sent_to(deputy.email)
    assert "Avery Admin (Practice administrator) can now sign in as Nina Reyes" in warning.subject
    assert "set a temporary password for Nina Reyes" in warning.body
    assert sent_to(admin_user.email) == []  # not the administrator who did it


def test_item2_a_factor_then_a_password_a_day_apart_warns_nobody(
    rogue, member, deputy, admin_user, capture
):
    with capture():
        set_up_app_in_person(rogue, member)
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        sign_in(rogue, admin_user)  # the next morning, signed in again
        with capture():
            # Nina has a factor now; the password alone is ordinary help a day later.
            response = rogue.post(
                f"/console/users/{member.pk}/temporary-password/", {"generate": "1"}
            )
    assert response.status_code == 200
    assert sent_to(deputy.email) == []
    assert len(sent_to(member.email)) == 2  # Nina hears of both
