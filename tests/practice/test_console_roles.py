"""/console/roles/: the practice's roles, "Add role", a role's page and "Save role"; the user
page's "Role"; the console showing only what the signed-in user may do; Django admin's roles."""

import html

import pytest

from accounts.models import Role
from accounts.roles import role_create
from practice.models import AuditEvent, PracticeRole
from practice.vocabulary import Permission
from tests.factories import PracticeFactory, UserFactory, starting_role
from tests.practice.test_console_user import save
from tests.signin_helpers import signed_in_client

pytestmark = pytest.mark.django_db
P = Permission


def test_the_roles_page_lists_the_roles_and_adds_one(console, practice):
    page = console.get("/console/roles/").content.decode()
    for name in ["Practice administrator", "User manager", "User"]:
        assert f">{name}</a>" in page
    assert ">Add role</a>" in page
    form = console.get("/console/roles/new/").content.decode()
    assert ">Role name</label>" in form and ">Save role</button>" in form
    for permission in Permission:
        assert f">{html.escape(permission.label)}</label>" in form
    for group in ["Users", "Sign-in and access", "Practice", "Their own account"]:
        assert f"<legend>{group}</legend>" in form
    response = console.post(
        "/console/roles/new/",
        {"name": "Front desk", "perm_users_unlock": "on", "perm_users_temporary_password": "on"},
    )
    assert response.status_code == 302
    role = PracticeRole.objects.get(practice=practice, name="Front desk")
    assert sorted(role.permissions) == [P.TEMPORARY_PASSWORD, P.UNLOCK]
    assert AuditEvent.objects.filter(action="role.created", practice=practice).exists()


def test_a_refused_change_is_said_on_the_page(console, admin_user):
    role = admin_user.practice_role
    response = console.post(f"/console/roles/{role.pk}/", {"name": role.name})
    assert response.status_code == 400
    assert "only role" in response.content.decode()
    role.refresh_from_db()
    assert P.MANAGE_ROLES in role.permissions


def test_a_role_manager_without_a_permission_cannot_tick_it(client, practice, admin_user):
    keeper = role_create(
        practice=practice, actor=admin_user, name="Keeper", permissions=[P.MANAGE_ROLES]
    )
    browser = signed_in_client(UserFactory(practice=practice, practice_role=keeper))
    form = browser.get("/console/roles/new/").content.decode()
    assert 'name="perm_users_remote_access" disabled' in form
    browser.post("/console/roles/new/", {"name": "Sneaky", "perm_users_remote_access": "on"})
    assert PracticeRole.objects.get(name="Sneaky").permissions == []  # disabled: not read


def test_another_practices_role_is_a_404(console):
    theirs = starting_role(PracticeFactory(), Role.ADMIN)
    assert console.get(f"/console/roles/{theirs.pk}/").status_code == 404
    assert console.post(f"/console/roles/{theirs.pk}/", {"name": "Mine"}).status_code == 404


def test_the_user_page_gives_a_role(console, practice, member):
    page = console.get(f"/console/users/{member.pk}/").content.decode()
    assert ">Role</label>" in page
    desk = role_create(
        practice=practice,
        actor=practice.users.get(username="avery"),
        name="Front desk",
        permissions=[P.UNLOCK],
    )
    save(console, member, role=desk.pk)
    member.refresh_from_db()
    assert member.practice_role == desk and member.role == Role.USER_MANAGER


def test_the_console_shows_only_what_the_user_may_do(practice, admin_user, member):
    desk = role_create(
        practice=practice,
        actor=admin_user,
        name="Front desk",
        permissions=[P.UNLOCK, P.TEMPORARY_PASSWORD],
    )
    browser = signed_in_client(UserFactory(practice=practice, practice_role=desk))
    page = browser.get(f"/console/users/{member.pk}/").content.decode()
    assert ">Login locked</label>" in page and "Set temporary password" in page
    for hidden in [
        "Allow remote access",
        ">Active</label>",
        ">Role</label>",
        "Restrict login times",
        "Reset 2FA pairing",
        "Offboard",
        "Copy user",
        ">Settings</a>",
        ">Audit log</a>",
        ">Roles</a>",
        ">Add user</a>",
    ]:
        assert hidden not in page, hidden
    assert 'href="/console/">Console</a>' in page


def test_a_user_sees_no_console_link_and_a_settings_only_role_is_led_to_settings(
    practice, admin_user, member
):
    assert ">Console</a>" not in signed_in_client(member).get("/account/").content.decode()
    office = role_create(
        practice=practice, actor=admin_user, name="Office", permissions=[P.SETTINGS]
    )
    browser = signed_in_client(UserFactory(practice=practice, practice_role=office))
    page = browser.get("/account/").content.decode()
    assert 'href="/console/settings/">Console</a>' in page
    assert browser.get("/console/").status_code == 403


def test_django_admin_shows_roles_read_only_and_support_copies_one(
    staff_client, practice, admin_user
):
    other = PracticeFactory(code="hillside", name="Hillside")
    desk = role_create(practice=practice, actor=admin_user, name="Front desk", permissions=[])
    listing = staff_client.get(f"/admin/practice/practicerole/?practice__id__exact={practice.pk}")
    assert "Front desk" in listing.content.decode()
    response = staff_client.post(
        f"/admin/practice/practicerole/{desk.pk}/change/", {"name": "Renamed"}
    )
    assert response.status_code == 403
    page = staff_client.post(
        "/admin/practice/practicerole/",
        {"action": "copy_roles", "_selected_action": [desk.pk]},
    )
    assert "Copy to practice" in page.content.decode()
    staff_client.post(
        "/admin/practice/practicerole/",
        {
            "action": "copy_roles",
            "_selected_action": [desk.pk],
            "confirmed": "yes",
            "to_practice": other.pk,
        },
    )
    assert other.roles.filter(name="Front desk").exists()
    event = AuditEvent.objects.get(action="role.copied")
    assert event.practice == other and event.actor.username == "support"
