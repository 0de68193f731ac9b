"""Who gets into the console, and the tenant wall: another practice's rows are a 404, untouched."""

import re

import pytest
from django.core import mail
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, User, UserSession
from practice.models import AuditEvent, Practice
from tests.factories import PASSWORD, ProviderFactory, StaffFactory, UserFactory, starting_role
from tests.signin_helpers import sign_in

pytestmark = pytest.mark.django_db

CONSOLE_PAGES = [
    "/console/",
    "/console/users/new/",
    "/console/settings/",
    "/console/audit/",
    "/console/audit/export.csv",
]


def snapshot(user: User) -> dict:
    """Everything about a user that a console action could change."""
    fresh = User.objects.get(pk=user.pk)
    return {
        "fields": {f.attname: getattr(fresh, f.attname) for f in User._meta.concrete_fields},
        "windows": list(fresh.login_windows.values_list("weekday", "start", "end")),
        "devices": TOTPDevice.objects.filter(user=fresh).count(),
        "sessions": list(UserSession.objects.filter(user=fresh).values_list("pk", "ended_at")),
        "events": AuditEvent.objects.filter(target=fresh).count(),
        "invitations": fresh.invitations.count(),
    }


def user_form(**overrides) -> dict:
    data = {
        "active": "on",
        "pm_username": "HACKED",
        "remote_access": "on",
        "locked": "on",
        "role": "admin",
        "two_factor_setup": "none",
        "login_times_restricted": "on",
        "monday_start": "01:00",
        "monday_end": "02:00",
    }
    data.update(overrides)
    # The Role select posts a role's id: the valley practice's starting role of that kind.
    data["role"] = starting_role(Practice.objects.get(code="valley"), data["role"]).pk
    return data


def stranger_requests(stranger, session_id):
    """Every console request that names a user, aimed at a user of another practice."""
    uid = stranger.pk
    return [
        ("get", f"/console/users/{uid}/", {}),
        ("post", f"/console/users/{uid}/", user_form()),
        ("post", f"/console/users/{uid}/", user_form(active="")),
        (
            "post",
            f"/console/users/{uid}/temporary-password/",
            {
                "temporary_password": "Blue-Canoe-Paddle-8",
                "temporary_password2": "Blue-Canoe-Paddle-8",
            },
        ),
        ("post", f"/console/users/{uid}/temporary-password/", {"generate": "1"}),
        ("get", f"/console/users/{uid}/reset-2fa/", {}),
        ("post", f"/console/users/{uid}/reset-2fa/", {"password": PASSWORD}),
        ("post", f"/console/users/{uid}/sessions/{session_id}/end/", {}),
        ("post", f"/console/users/{uid}/reinvite/", {}),
        ("get", f"/console/users/{uid}/invitation/", {}),
        ("post", f"/console/users/{uid}/invitation/", {"email": "evil@example.test"}),
        ("get", f"/console/users/new/?copy={uid}", {}),
        (
            "post",
            f"/console/users/new/?copy={uid}",
            {
                "username": "copycat",
                "email": "c@example.test",
                "role": starting_role(stranger.practice).pk,
                "then": "invite",
            },
        ),
        ("get", f"/console/audit/?user={uid}", {}),
        ("get", f"/console/audit/export.csv?user={uid}", {}),
    ]


@pytest.fixture
def stranger_session(stranger):
    now = timezone.now()
    return UserSession.objects.create(
        user=stranger, session_key="s" * 32, zone="office", created_at=now, last_activity=now
    )


def test_another_practices_user_is_a_404_everywhere_and_nothing_changes(
    verified_console, stranger, stranger_session
):
    TOTPDevice.objects.create(user=stranger, name="Phone", confirmed=True)
    stranger.set_unusable_password()  # as if invited: re-invite and corrections would apply
    stranger.save(update_fields=["password"])
    before = snapshot(stranger)
    users_before = User.objects.count()
    for method, url, data in stranger_requests(stranger, stranger_session.pk):
        response = getattr(verified_console, method)(url, data)
        assert response.status_code == 404, (method, url, response.status_code)
        assert stranger.username not in response.content.decode(), (method, url)
    assert snapshot(stranger) == before
    assert User.objects.count() == users_before
    assert mail.outbox == []


def test_another_users_session_id_under_my_user_is_a_404(console, member, stranger_session):
    response = console.post(f"/console/users/{member.pk}/sessions/{stranger_session.pk}/end/")
    assert response.status_code == 404
    stranger_session.refresh_from_db()
    assert stranger_session.ended_at is None


def test_a_provider_of_another_practice_is_refused_not_linked(console, member, other_practice):
    theirs = ProviderFactory(practice=other_practice)
    response = console.post(
        f"/console/users/{member.pk}/",
        user_form(provider=theirs.pk, remote_access="", locked="", role="user"),
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    member.refresh_from_db()
    assert member.provider_id is None
    assert member.login_times_restricted is False


def test_mass_assignment_of_fields_not_offered_is_ignored(console, member, other_practice):
    hostile = {
        "is_staff": "on",
        "is_superuser": "on",
        "practice": other_practice.pk,
        "practice_id": other_practice.pk,
        "password": "x",
        "failed_logins": "99",
    }
    console.post(
        f"/console/users/{member.pk}/",
        user_form(remote_access="", locked="", role="user", pm_username="", **hostile),
    )
    member.set_unusable_password()
    member.save(update_fields=["password"])
    console.post(
        f"/console/users/{member.pk}/invitation/",
        {"email": "nina.new@example.test", "role": "admin", **hostile},
    )
    console.post(
        "/console/settings/",
        {
            "time_zone": "America/New_York",
            "lockout_threshold": "5",
            "auto_unlock_minutes": "0",
            "idle_timeout_minutes": "30",
            "password_profile": "classic",
            "password_expiry_days": "90",
            "code": "stolen",
            "name": "Renamed",
            "password_min_length": "8",
            "password_history": "0",
            **hostile,
        },
    )
    member.refresh_from_db()
    assert member.email == "nina.new@example.test"
    assert (member.is_staff, member.is_superuser, member.role) == (False, False, Role.USER)
    assert member.practice.code == "valley"
    assert member.failed_logins == 0
    practice = Practice.objects.get(pk=member.practice_id)
    assert (practice.code, practice.name) == ("valley", "Valley Pediatrics")
    assert (practice.password_min_length, practice.password_history) == (8, 6)


def test_not_signed_in_goes_to_the_sign_in_page(client, member):
    for url in [*CONSOLE_PAGES, f"/console/users/{member.pk}/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize("role", [Role.USER])
def test_a_normal_user_gets_403_for_the_console_itself(client, practice, member, role):
    sign_in(client, member)
    other = UserFactory(practice=practice)
    urls = [*CONSOLE_PAGES, f"/console/users/{other.pk}/", f"/console/users/{other.pk}/invitation/"]
    for url in urls:
        assert client.get(url).status_code == 403, url
    assert client.post(f"/console/users/{other.pk}/", user_form()).status_code == 403
    assert client.post(f"/console/users/{other.pk}/reinvite/").status_code == 403


def test_support_staff_and_inactive_admins_are_not_console_users(client, admin_user):
    staff = StaffFactory(username="support")
    sign_in(client, staff)
    assert client.get("/console/").status_code == 403
    client.logout()
    sign_in(client, admin_user)
    User.objects.filter(pk=admin_user.pk).update(is_active=False)
    # Deactivated mid-session: whatever else happens to the session, the console is shut.
    assert client.get("/console/").status_code in (302, 403)


def test_a_user_manager_does_what_the_starting_user_manager_role_holds(client, practice, member):
    """View, invite and add, edit details, unlock (the seeded role); nothing else."""
    manager = UserFactory(practice=practice, username="morgan", role=Role.USER_MANAGER)
    invited = UserFactory(practice=practice, username="ivy", email="ivy@example.test")
    invited.set_unusable_password()
    invited.save(update_fields=["password"])
    sign_in(client, manager)

    assert client.get("/console/").status_code == 200
    assert client.get(f"/console/users/{invited.pk}/invitation/").status_code == 200
    response = client.post(
        f"/console/users/{invited.pk}/invitation/",
        {"email": "ivy.new@example.test", "mobile_phone": "+12025550143"},
    )
    assert response.status_code == 302
    assert client.post(f"/console/users/{invited.pk}/reinvite/").status_code == 302
    assert mail.outbox[-1].to == ["ivy.new@example.test"]

    assert client.get("/console/users/new/").status_code == 200
    assert client.get(f"/console/users/{member.pk}/").status_code == 200
    for url in [
        "/console/settings/",
        "/console/audit/",
        "/console/audit/export.csv",
        "/console/roles/",
        f"/console/users/{member.pk}/reset-2fa/",
    ]:
        assert client.get(url).status_code == 403, url
    # The user page offers the manager the details and the lock, nothing else: what else a
    # crafted POST sends (remote access, a role, login times) is not read.
    member_role = member.practice_role_id
    assert client.post(f"/console/users/{member.pk}/", user_form()).status_code == 302
    member.refresh_from_db()
    assert member.pm_username == "HACKED" and member.is_locked
    assert not member.remote_access and not member.login_times_restricted
    assert member.practice_role_id == member_role  # "edit details" includes the setup option
    assert (
        client.post(
            f"/console/users/{member.pk}/temporary-password/", {"generate": "1"}
        ).status_code
        == 403
    )


def test_a_user_manager_cannot_change_a_registered_users_email(client, practice, member):
    manager = UserFactory(practice=practice, username="morgan", role=Role.USER_MANAGER)
    sign_in(client, manager)
    response = client.post(
        f"/console/users/{member.pk}/invitation/", {"email": "takeover@example.test"}
    )
    assert response.status_code == 400
    member.refresh_from_db()
    assert member.email == "nina@example.test"


def test_a_user_manager_of_another_practice_gets_404_for_our_users(client, stranger, member):
    manager = UserFactory(
        practice=stranger.practice, username="theirmanager", role=Role.USER_MANAGER
    )
    sign_in(client, manager)
    assert client.get(f"/console/users/{member.pk}/invitation/").status_code == 404
    assert client.post(f"/console/users/{member.pk}/reinvite/").status_code == 404
    body = client.get("/console/?q=nina&filtered=1").content.decode()
    assert "Reyes" not in body
    assert "No users match." in body


def test_a_user_manager_cannot_redirect_an_invited_administrators_invitation(client, practice):
    manager = UserFactory(practice=practice, username="morgan", role=Role.USER_MANAGER)
    future_admin = UserFactory(
        practice=practice, username="boss", email="boss@example.test", role=Role.ADMIN
    )
    future_admin.set_unusable_password()
    future_admin.save(update_fields=["password"])
    sign_in(client, manager)
    response = client.post(
        f"/console/users/{future_admin.pk}/invitation/", {"email": "morgan@evil.test"}
    )
    assert response.status_code == 400
    assert "holds every permission of this user" in response.content.decode()
    response = client.post(f"/console/users/{future_admin.pk}/reinvite/", follow=True)
    assert "holds every permission of this user" in response.content.decode()
    future_admin.refresh_from_db()
    assert future_admin.email == "boss@example.test"
    assert mail.outbox == []


def test_every_console_page_is_no_store_under_the_strict_csp(verified_console, member):
    member.set_unusable_password()
    member.save(update_fields=["password"])
    pages = [
        *CONSOLE_PAGES[:-1],
        f"/console/users/{member.pk}/",
        f"/console/users/{member.pk}/invitation/",
        f"/console/users/{member.pk}/reset-2fa/",
        f"/console/users/new/?copy={member.pk}",
    ]
    for url in pages:
        response = verified_console.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url
        assert "default-src 'self'" in response["Content-Security-Policy"], url
        body = response.content.decode()
        assert "style=" not in body, url
        assert not re.search(r"<script(?![^>]*\bsrc=)", body), url
    generated = verified_console.post(
        f"/console/users/{member.pk}/temporary-password/", {"generate": "1"}
    )
    assert "no-store" in generated["Cache-Control"]
