"""Roles and their guards (accounts.roles): no escalation, someone can always manage roles, and
every change audited with before and after."""

import pytest
from django.core.exceptions import ValidationError

from accounts.lifecycle import user_deactivate
from accounts.models import Role
from accounts.permissions import OutsideAuthority, has_permission, permissions_of
from accounts.roles import role_copy, role_create, role_update, user_role_set
from practice.models import AuditEvent, PracticeRole
from practice.roles import SEEDS, roles_seed
from practice.services import practice_create
from practice.vocabulary import Permission, RoleKind
from tests.factories import PracticeFactory, StaffFactory, UserFactory, starting_role

pytestmark = pytest.mark.django_db
P = Permission


@pytest.fixture
def manager(practice):
    return UserFactory(practice=practice, username="morgan", role=Role.USER_MANAGER)


def test_a_new_practice_starts_with_the_three_roles_of_today():
    practice = practice_create(code="fresh", name="Fresh Clinic")
    roles = {role.seeded_as: role for role in practice.roles.all()}
    assert {role.name for role in roles.values()} == {
        "Practice administrator",
        "User manager",
        "User",
    }
    assert set(roles[RoleKind.ADMIN].permissions) == set(Permission.values)
    assert set(roles[RoleKind.USER_MANAGER].permissions) == {
        P.VIEW_USERS,
        P.ADD_USERS,
        P.EDIT_DETAILS,
        P.UNLOCK,
        P.RESET_OWN_PAIRING,
    }
    assert roles[RoleKind.USER].permissions == [P.RESET_OWN_PAIRING]
    created = AuditEvent.objects.get(action="practice.created", practice=practice)
    assert set(created.details["roles"]) == {name for name, _ in SEEDS.values()}


def test_self_service_in_the_seeds_follows_the_practices_setting(db):
    practice = PracticeFactory(allow_self_pairing_reset=False)
    for role in practice.roles.all():
        assert P.RESET_OWN_PAIRING not in role.permissions


def test_permissions_are_read_from_the_role_and_a_change_applies_at_once(
    practice, admin_user, member
):
    front_desk = role_create(
        practice=practice,
        actor=admin_user,
        name="Front desk",
        permissions=[P.UNLOCK, P.TEMPORARY_PASSWORD],
    )
    user_role_set(user=member, actor=admin_user, role=front_desk)
    member.refresh_from_db()
    # Acting on users includes seeing them.
    assert permissions_of(member) == {P.UNLOCK, P.TEMPORARY_PASSWORD, P.VIEW_USERS}
    assert member.role == Role.USER_MANAGER  # the tier: some console permission
    role_update(role=front_desk, actor=admin_user, name="Front desk", permissions=[P.UNLOCK])
    member.refresh_from_db()
    assert not has_permission(member, P.TEMPORARY_PASSWORD)


def test_an_inactive_user_or_a_role_of_another_practice_grants_nothing(practice, admin_user):
    assert has_permission(admin_user, P.MANAGE_ROLES)
    admin_user.is_active = False
    assert permissions_of(admin_user) == frozenset()
    admin_user.is_active = True
    admin_user.practice_role = starting_role(PracticeFactory(), Role.ADMIN)
    assert permissions_of(admin_user) == frozenset()


def test_nobody_grants_a_permission_they_do_not_hold(practice, manager, member):
    with pytest.raises(ValidationError) as caught:
        role_create(practice=practice, actor=manager, name="Remote", permissions=[P.REMOTE_ACCESS])
    assert "grant and remove remote access" in str(caught.value)
    assert not PracticeRole.objects.filter(name="Remote").exists()
    # Nor gives a role of more, or takes one of more away.
    admin_role = starting_role(practice, Role.ADMIN)
    with pytest.raises(ValidationError):
        user_role_set(user=member, actor=manager, role=admin_role)
    boss = UserFactory(practice=practice, username="boss", role=Role.ADMIN)
    # (Nor acts on a user who holds more at all: the authority rule.)
    with pytest.raises(OutsideAuthority):
        user_role_set(user=boss, actor=manager, role=starting_role(practice))
    # What they hold, they may give.
    desk = role_create(practice=practice, actor=manager, name="Desk", permissions=[P.UNLOCK])
    assert desk.permissions == [P.UNLOCK]


def test_the_only_role_that_manages_roles_keeps_it(practice, admin_user):
    admin_role = admin_user.practice_role
    with pytest.raises(ValidationError) as caught:
        role_update(
            role=admin_role, actor=admin_user, name=admin_role.name, permissions=[P.VIEW_USERS]
        )
    assert "only role" in str(caught.value)
    admin_role.refresh_from_db()
    assert P.MANAGE_ROLES in admin_role.permissions


def test_manage_roles_stays_where_nobody_else_active_could_manage_roles(practice, admin_user):
    # Another role holds it, but nobody active has that role.
    role_create(practice=practice, actor=admin_user, name="Owners", permissions=[P.MANAGE_ROLES])
    admin_role = admin_user.practice_role
    with pytest.raises(ValidationError) as caught:
        role_update(role=admin_role, actor=admin_user, name=admin_role.name, permissions=[])
    assert "nobody else" in str(caught.value)


def test_the_last_user_who_can_manage_roles_keeps_their_role_and_stays_active(practice, admin_user):
    with pytest.raises(ValidationError):
        user_role_set(user=admin_user, actor=None, role=starting_role(practice))
    with pytest.raises(ValidationError) as caught:
        user_deactivate(user=admin_user, actor=None)
    assert "last active user who can manage roles" in str(caught.value)
    admin_user.refresh_from_db()
    assert admin_user.is_active and admin_user.role == Role.ADMIN
    # With a second one, either may go.
    UserFactory(practice=practice, username="second", role=Role.ADMIN)
    user_deactivate(user=admin_user, actor=None)
    admin_user.refresh_from_db()
    assert not admin_user.is_active


def test_every_change_is_audited_with_before_and_after(practice, admin_user, member):
    role = role_create(practice=practice, actor=admin_user, name="Desk", permissions=[P.UNLOCK])
    role_update(
        role=role, actor=admin_user, name="Front desk", permissions=[P.UNLOCK, P.LOGIN_TIMES]
    )
    role.refresh_from_db()
    user_role_set(user=member, actor=admin_user, role=role)
    created, changed = AuditEvent.objects.filter(action__startswith="role.").order_by("id")
    assert created.details["after"] == {"name": "Desk", "permissions": [P.UNLOCK]}
    assert changed.details["before"] == {"name": "Desk", "permissions": [P.UNLOCK]}
    assert changed.details["after"] == {
        "name": "Front desk",
        "permissions": sorted([P.UNLOCK, P.LOGIN_TIMES]),
    }
    assert changed.actor == admin_user and changed.practice == practice
    given = AuditEvent.objects.get(action="user.role_changed", target=member)
    assert (given.details["before"], given.details["after"]) == ("User", "Front desk")


def test_a_role_name_is_unique_in_the_practice_ignoring_case(practice, admin_user):
    with pytest.raises(ValidationError) as caught:
        role_create(practice=practice, actor=admin_user, name="user", permissions=[])
    assert "already has a role" in str(caught.value)


def test_a_role_of_another_practice_is_never_given(practice, admin_user, member):
    theirs = roles_seed(PracticeFactory())[RoleKind.ADMIN]
    with pytest.raises(ValidationError):
        user_role_set(user=member, actor=admin_user, role=theirs)
    member.refresh_from_db()
    assert member.practice_role.practice == practice


def test_support_copies_a_role_to_another_practice_and_it_is_audited_there(practice, admin_user):
    desk = role_create(
        practice=practice, actor=admin_user, name="Front desk", permissions=[P.UNLOCK]
    )
    other = PracticeFactory(code="hillside")
    staff = StaffFactory(username="support")
    copy = role_copy(role=desk, practice=other, actor=staff)
    assert (copy.practice, copy.name, copy.permissions) == (other, "Front desk", [P.UNLOCK])
    event = AuditEvent.objects.get(action="role.copied")
    assert event.practice == other and event.actor == staff
    assert event.details["from_practice"] == practice.code
    with pytest.raises(ValidationError):
        role_copy(role=desk, practice=other, actor=staff)  # the name is taken there now
    with pytest.raises(ValidationError):
        role_copy(role=desk, practice=other, actor=admin_user, name="Other")  # support only
