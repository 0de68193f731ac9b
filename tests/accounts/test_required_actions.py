"""A temporary or expired password is changed before the sign-in completes."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.utils import timezone

from accounts.passwords import temporary_password_set
from practice.models import AuditEvent
from tests.accounts.conftest import sign_in_post
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

TEMPORARY = "Welcome-Aboard-7!"
NEW = "Blue-Canyon-Rain-4!"


@pytest.fixture
def temporary_user(member, admin_user):
    temporary_password_set(user=member, password=TEMPORARY, actor=admin_user)
    return member


def test_temporary_password_leads_to_the_change_page_without_current_password(
    client, office, temporary_user
):
    response = sign_in_post(client, office.practice, "nina", TEMPORARY)
    assert response["Location"] == "/login/password/"
    assert SESSION_KEY not in client.session
    page = client.get("/login/password/").content.decode()
    assert "New password" in page
    assert "Confirm new password" in page
    assert "Current password" not in page
    # Signed in only once the change is done.
    assert client.get("/auth/verify").status_code == 401
    response = client.post("/login/password/", {"new_password1": NEW, "new_password2": NEW})
    assert response["Location"] == "/account/"
    assert client.session[SESSION_KEY] == str(temporary_user.pk)
    temporary_user.refresh_from_db()
    assert temporary_user.must_change_password is False
    assert temporary_user.check_password(NEW)
    assert AuditEvent.objects.filter(action="password.changed", target=temporary_user).exists()


def test_temporary_password_is_single_use(client, office, temporary_user):
    sign_in_post(client, office.practice, "nina", TEMPORARY)
    client.post("/login/password/", {"new_password1": NEW, "new_password2": NEW})
    client.post("/logout/")
    response = sign_in_post(client, office.practice, "nina", TEMPORARY)
    assert "invalid username or password" in response.content.decode().lower()


def test_the_new_password_must_follow_the_practice_rules(client, office, temporary_user):
    sign_in_post(client, office.practice, "nina", TEMPORARY)
    response = client.post("/login/password/", {"new_password1": "short", "new_password2": "short"})
    text = response.content.decode()
    assert "at least 8 characters" in text
    assert "upper-case letter" in text
    assert SESSION_KEY not in client.session
    response = client.post("/login/password/", {"new_password1": NEW, "new_password2": NEW + "x"})
    assert "do not match" in response.content.decode()


def test_an_expired_temporary_password_cannot_be_used(client, office, temporary_user):
    with time_machine.travel(timezone.now() + timedelta(hours=73), tick=False):
        response = sign_in_post(client, office.practice, "nina", TEMPORARY)
    assert "temporary password has expired" in response.content.decode()
    assert SESSION_KEY not in client.session
    assert client.get("/login/password/")["Location"] == "/login/"


def test_an_expired_password_asks_for_the_current_one(client, office, member):
    member.password_changed_at = timezone.now() - timedelta(days=91)
    member.save()
    response = sign_in_post(client, office.practice, "nina", PASSWORD)
    assert response["Location"] == "/login/password/"
    page = client.get("/login/password/").content.decode()
    assert "Current password" in page
    assert "has expired" in page
    response = client.post(
        "/login/password/",
        {"current_password": "Not-It-1!", "new_password1": NEW, "new_password2": NEW},
    )
    assert "current password is not right" in response.content.decode()
    member.refresh_from_db()
    assert member.failed_logins == 1
    client.post(
        "/login/password/",
        {"current_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
    )
    assert client.session[SESSION_KEY] == str(member.pk)


def test_the_new_password_may_not_be_the_current_one(client, office, member):
    member.password_changed_at = timezone.now() - timedelta(days=91)
    member.save()
    sign_in_post(client, office.practice, "nina", PASSWORD)
    response = client.post(
        "/login/password/",
        {"current_password": PASSWORD, "new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    assert "used this password recently" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_a_practice_without_expiry_never_forces_a_change(client, office, member):
    office.practice.password_expiry_days = 0
    office.practice.save()
    member.password_changed_at = timezone.now() - timedelta(days=900)
    member.save()
    response = sign_in_post(client, office.practice, "nina", PASSWORD)
    assert response["Location"] == "/account/"
