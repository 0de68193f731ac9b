"""/account/password/: change password, history, other sessions ended, lockout on a wrong one."""

import pytest
from django.core import mail

from accounts.models import PasswordHistory, UserSession
from practice.models import AuditEvent
from tests.factories import PASSWORD
from tests.signin_helpers import sign_in, signed_in_client

pytestmark = pytest.mark.django_db

HISTORY = [
    "Granite-River-41",
    "Granite-River-42",
    "Granite-River-43",
    "Granite-River-44",
    "Granite-River-45",
    "Granite-River-46",
]


def change(client, new, current=PASSWORD):
    return client.post(
        "/account/password/",
        {"current_password": current, "new_password1": new, "new_password2": new},
    )


def test_page_has_the_labelled_controls(client, member):
    sign_in(client, member)
    body = client.get("/account/password/").content.decode()
    for label in ("Current password", "New password", "Confirm new password"):
        assert f">{label}</label>" in body
    assert ">Change password</button>" in body


def test_needs_sign_in(client):
    response = client.get("/account/password/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_change_keeps_this_session_ends_the_others_and_emails_a_notice(client, member):
    sign_in(client, member)
    other = signed_in_client(member, zone="remote")
    response = change(client, "Granite-River-42")
    assert response.status_code == 302
    assert response["Location"] == "/account/"

    member.refresh_from_db()
    assert member.check_password("Granite-River-42")
    # This browser is still signed in, with its session listed; the other one is signed out.
    page = client.get("/account/")
    assert page.status_code == 200
    assert "Your password is changed. 1 other session signed out." in page.content.decode()
    assert other.get("/account/").status_code == 302
    active = UserSession.objects.filter(user=member, ended_at__isnull=True)
    assert [s.session_key for s in active] == [client.session.session_key]
    assert UserSession.objects.get(user=member, zone="remote").end_reason == "password_changed"

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [member.email]
    assert "password" in mail.outbox[0].subject.lower()
    assert "Granite-River-42" not in mail.outbox[0].body
    assert AuditEvent.objects.filter(action="password.changed", target=member).count() == 1


def test_each_of_the_last_six_passwords_is_refused_and_the_seventh_accepted(client, member):
    sign_in(client, member)
    current = PASSWORD
    for password in HISTORY:
        assert change(client, password, current=current).status_code == 302
        current = password
    # The last six are HISTORY (the current one counts as one of them): each is refused, saying
    # why; the seventh most recent, the factory's, may be used again.
    for password in HISTORY:
        response = change(client, password, current=current)
        assert response.status_code == 200, password
        assert "You used this password recently" in response.content.decode()
    assert change(client, PASSWORD, current=current).status_code == 302
    member.refresh_from_db()
    assert member.check_password(PASSWORD)
    assert PasswordHistory.objects.filter(user=member).count() == 7


def test_mismatched_confirmation_is_refused(client, member):
    sign_in(client, member)
    response = client.post(
        "/account/password/",
        {
            "current_password": PASSWORD,
            "new_password1": "Granite-River-42",
            "new_password2": "Granite-River-24",
        },
    )
    assert "The two passwords do not match." in response.content.decode()


def test_wrong_current_password_counts_towards_lockout(client, member):
    sign_in(client, member)
    response = change(client, "Granite-River-42", current="Not-My-Password-1")
    assert response.status_code == 200
    assert "Your current password is not right." in response.content.decode()
    member.refresh_from_db()
    assert member.failed_logins == 1
    assert member.check_password(PASSWORD)
    event = AuditEvent.objects.get(action="signin.failed", target=member)
    assert event.details == {"reason": "current_password"}


def test_the_wrong_current_password_that_locks_signs_the_user_out(client, member, practice):
    sign_in(client, member)
    other = signed_in_client(member)
    for _ in range(practice.lockout_threshold - 1):
        assert change(client, "Granite-River-42", current="Not-My-Password-1").status_code == 200
    response = change(client, "Granite-River-42", current="Not-My-Password-1")
    assert response.status_code == 302
    assert response["Location"] == f"/p/{practice.code}/login/"
    member.refresh_from_db()
    assert member.locked_at is not None
    # Every session of the account ends, this one too; the sign-in page says it is locked.
    assert "_auth_user_id" not in client.session
    assert other.get("/account/").status_code == 302
    assert not UserSession.objects.filter(user=member, ended_at__isnull=True).exists()
    followed = client.get(response["Location"])
    assert "locked" in followed.content.decode().lower()
