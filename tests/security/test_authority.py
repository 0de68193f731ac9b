"""Issue 21, item 1: who may act on whom (the authority rule), tried through HTTP as an attacker
would: every action of the user page, the user list and the lifecycle pages, posted by a user of
each starting role and of two custom roles, on a user of each of those roles.

What is expected is written down here on its own, not asked of the code: an action happens when
the actor's role holds its permission and the target's role holds nothing about other people's
access that the actor's does not. Whatever is refused must change nothing and never be a 500.
"""

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.access_end import access_end_set
from accounts.models import AccessReview, Invitation, TwoFactorSetup, UserSession
from accounts.reviews import review_decide, review_finish, review_start
from mfa.models import AuthenticatorApp
from practice.models import PracticeRole
from practice.vocabulary import Permission
from tests.factories import PASSWORD, AdminFactory, UserFactory, starting_role
from tests.signin_helpers import sign_in, signed_in_client

pytestmark = pytest.mark.django_db

P = Permission
# Holding any of these shows the user list (practice.roles.SEES_USERS); written out here.
SEES = {P.ADD_USERS, P.EDIT_DETAILS, P.ACTIVATE, P.UNLOCK, P.TEMPORARY_PASSWORD}
SEES |= {P.REMOTE_ACCESS, P.LOGIN_TIMES, P.RESET_PAIRING, P.OFFBOARD, P.MANAGE_ROLES}
OWN_ACCOUNT_ONLY = {P.RESET_OWN_PAIRING}

# The roles of the matrix: the three starting ones and two a practice might shape.
ROLES = {
    "admin": set(Permission),
    "user_manager": {P.VIEW_USERS, P.ADD_USERS, P.EDIT_DETAILS, P.UNLOCK, P.RESET_OWN_PAIRING},
    "user": {P.RESET_OWN_PAIRING},
    # The issue's "Front desk": temporary passwords and pairing resets (and unlock).
    "front_desk": {P.UNLOCK, P.TEMPORARY_PASSWORD, P.RESET_PAIRING},
    # Access around the clock: remote access, login times, details, activation and end dates.
    "access_desk": {P.REMOTE_ACCESS, P.LOGIN_TIMES, P.EDIT_DETAILS, P.ACTIVATE, P.OFFBOARD},
}


def holds(role: str) -> set:
    held = set(ROLES[role])
    return held | {P.VIEW_USERS} if held & SEES else held


def expected(actor: str, target: str, permission: Permission) -> bool:
    over_others = holds(target) - OWN_ACCOUNT_ONLY
    return permission in holds(actor) and over_others <= holds(actor)


@pytest.fixture
def roles(practice):
    found = {
        "admin": starting_role(practice, "admin"),
        "user_manager": starting_role(practice, "user_manager"),
        "user": starting_role(practice, "user"),
    }
    for name in ("front_desk", "access_desk"):
        found[name] = PracticeRole.objects.create(
            practice=practice, name=name.replace("_", " ").title(), permissions=sorted(ROLES[name])
        )
    found["viewer"] = PracticeRole.objects.create(
        practice=practice, name="Viewer", permissions=[P.VIEW_USERS]
    )
    # Two administrators nobody acts on: "the last administrator" never decides a case here.
    AdminFactory(practice=practice, username="bystander1")
    AdminFactory(practice=practice, username="bystander2")
    return found


def page_post(target, **changes) -> dict:
    """The user page's form as the browser would post it, with `changes` (None: unticked)."""
    target.refresh_from_db()
    data = {
        "pm_username": target.pm_username,
        "remote_access_until": "",
        "remote_access_reason": target.remote_access_reason,
        "role": target.practice_role_id,
        "two_factor_setup": target.two_factor_setup,
        "provider": "",
        "access_ends_on": "",
    }
    for name, on in [
        ("active", target.is_active),
        ("remote_access", target.remote_access),
        ("locked", target.is_locked),
        ("verify_phone_at_registration", target.verify_phone_at_registration),
        ("login_times_restricted", target.login_times_restricted),
        ("emergency_access", target.emergency_access),
    ]:
        if on:
            data[name] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@dataclass
class Action:
    name: str
    permission: Permission
    act: Callable  # (client, target, roles) -> response
    happened: Callable  # (target) -> bool, target freshly read
    prepare: Callable = lambda target, roles: None


def _user_url(target, tail=""):
    return f"/console/users/{target.pk}/{tail}"


def _locked(target, roles):
    target.locked_at = target.date_joined
    target.save(update_fields=["locked_at"])


def _inactive(target, roles):
    target.is_active = False
    target.save(update_fields=["is_active"])


def _remote(target, roles):
    target.remote_access = True
    target.save(update_fields=["remote_access"])


def _paired(target, roles):
    TOTPDevice.objects.create(user=target, name="Their phone", confirmed=True)


def _invited(target, roles):
    target.password = make_password(None)
    target.save(update_fields=["password"])


def _session(target, roles):
    signed_in_client(target)


def _one_session(target):
    return UserSession.objects.get(user=target)


def _review(client, target, roles):
    if AccessReview.objects.filter(finished_at__isnull=True).exists():
        raise AssertionError("a review was left open")
    review = review_start(practice=target.practice, actor=None)
    data = {
        f"item-{item.pk}": "remove" if item.user_id == target.pk else "keep"
        for item in review.items.all()
    }
    response = client.post("/console/reviews/", data)
    review.refresh_from_db()
    if review.finished_at is None:  # refused: close it so the next case can start one
        review_decide(
            review=review,
            decisions={item.pk: "keep" for item in review.items.all()},
            actor=None,
        )
        review_finish(review=review, actor=None)
    return response


ACTIONS = [
    Action(
        "lock",
        P.UNLOCK,
        lambda c, t, r: c.post(_user_url(t), page_post(t, locked="on")),
        lambda t: t.locked_at is not None,
    ),
    Action(
        "unlock",
        P.UNLOCK,
        lambda c, t, r: c.post(_user_url(t), page_post(t, locked=None)),
        lambda t: t.locked_at is None,
        _locked,
    ),
    Action(
        "deactivate on the user page",
        P.ACTIVATE,
        lambda c, t, r: c.post(_user_url(t), page_post(t, active=None, confirm_deactivation="yes")),
        lambda t: not t.is_active,
    ),
    Action(
        "activate",
        P.ACTIVATE,
        lambda c, t, r: c.post(_user_url(t), page_post(t, active="on")),
        lambda t: t.is_active,
        _inactive,
    ),
    Action(
        "grant remote access",
        P.REMOTE_ACCESS,
        lambda c, t, r: c.post(_user_url(t), page_post(t, remote_access="on")),
        lambda t: t.remote_access,
    ),
    Action(
        "remove remote access",
        P.REMOTE_ACCESS,
        lambda c, t, r: c.post(_user_url(t), page_post(t, remote_access=None)),
        lambda t: not t.remote_access,
        _remote,
    ),
    Action(
        "mark as emergency access account",
        P.REMOTE_ACCESS,
        lambda c, t, r: c.post(_user_url(t), page_post(t, emergency_access="on")),
        lambda t: t.emergency_access,
    ),
    Action(
        "clear the practice management username",
        P.EDIT_DETAILS,
        lambda c, t, r: c.post(_user_url(t), page_post(t, pm_username="")),
        lambda t: t.pm_username == "",
    ),
    Action(
        "second factor not required",
        P.EDIT_DETAILS,
        lambda c, t, r: c.post(_user_url(t), page_post(t, two_factor_setup=TwoFactorSetup.NONE)),
        lambda t: t.two_factor_setup == TwoFactorSetup.NONE,
    ),
    Action(
        "restrict login times",
        P.LOGIN_TIMES,
        lambda c, t, r: c.post(
            _user_url(t),
            page_post(t, login_times_restricted="on", monday_start="08:00", monday_end="17:00"),
        ),
        lambda t: t.login_times_restricted,
    ),
    Action(
        "change the role",
        P.MANAGE_ROLES,
        lambda c, t, r: c.post(_user_url(t), page_post(t, role=r["viewer"].pk)),
        lambda t: t.practice_role.name == "Viewer",
    ),
    Action(
        "set an end date",
        P.OFFBOARD,
        lambda c, t, r: c.post(_user_url(t), page_post(t, access_ends_on="2099-01-01")),
        lambda t: t.access_ends_on is not None,
    ),
    Action(
        "set a temporary password",
        P.TEMPORARY_PASSWORD,
        lambda c, t, r: c.post(_user_url(t, "temporary-password/"), {"generate": "1"}),
        lambda t: t.must_change_password,
    ),
    Action(
        "reset 2FA pairing",
        P.RESET_PAIRING,
        lambda c, t, r: c.post(_user_url(t, "reset-2fa/"), {"password": PASSWORD}),
        lambda t: not TOTPDevice.objects.filter(user=t).exists(),
        _paired,
    ),
    Action(
        "set up two-factor now",
        P.RESET_PAIRING,
        lambda c, t, r: c.post(
            _user_url(t, "set-up-2fa/"), {"method": "app", "password": PASSWORD}
        ),
        lambda t: AuthenticatorApp.objects.filter(user=t).exists(),
    ),
    Action(
        "end a session",
        P.ACTIVATE,
        lambda c, t, r: c.post(_user_url(t, f"sessions/{_one_session(t).pk}/end/")),
        lambda t: _one_session(t).ended_at is not None,
        _session,
    ),
    Action(
        "deactivate",
        P.ACTIVATE,
        lambda c, t, r: c.post(_user_url(t, "deactivate/")),
        lambda t: not t.is_active,
    ),
    Action(
        "offboard",
        P.OFFBOARD,
        lambda c, t, r: c.post(_user_url(t, "offboard/")),
        lambda t: not t.is_active,
    ),
    Action(
        "re-invite",
        P.ADD_USERS,
        lambda c, t, r: c.post(_user_url(t, "reinvite/")),
        lambda t: Invitation.objects.filter(user=t).exists(),
        _invited,
    ),
    Action(
        "correct an invited user's email",
        P.ADD_USERS,
        lambda c, t, r: c.post(_user_url(t, "invitation/"), {"email": "elsewhere@example.test"}),
        lambda t: t.email == "elsewhere@example.test",
        _invited,
    ),
    Action(
        "sign out all users",
        P.ACTIVATE,
        lambda c, t, r: c.post("/console/sign-out-everyone/"),
        lambda t: _one_session(t).ended_at is not None,
        _session,
    ),
    Action(
        "remove in an access review",
        P.REVIEWS,
        _review,
        lambda t: not t.remote_access,
        _remote,
    ),
]


@pytest.mark.parametrize("actor_role", list(ROLES))
def test_item1_every_action_on_every_role_obeys_the_authority_rule(
    client, practice, roles, actor_role
):
    actor = UserFactory(practice=practice, username=f"actor-{actor_role}")
    actor.practice_role = roles[actor_role]
    actor.save(update_fields=["practice_role"])
    sign_in(client, actor, device=TOTPDevice.objects.create(user=actor, confirmed=True))
    wrong = []
    for number, (target_role, action) in enumerate(itertools.product(ROLES, ACTIONS)):
        target = UserFactory(
            practice=practice,
            username=f"t{number}-{target_role}",
            practice_role=roles[target_role],
            pm_username=f"PM{number}",
        )
        action.prepare(target, roles)
        response = action.act(client, target, roles)
        assert response.status_code < 500, (action.name, target_role)
        target.refresh_from_db()
        if action.happened(target) != expected(actor_role, target_role, action.permission):
            wrong.append(f"{actor_role} -> {target_role}: {action.name} ({response.status_code})")
    assert wrong == []


def test_item1_the_matrix_covers_what_the_issue_names():
    # The takeovers the hostile test found, as cells of the matrix above.
    assert not expected("front_desk", "admin", P.TEMPORARY_PASSWORD)
    assert not expected("front_desk", "admin", P.RESET_PAIRING)
    assert not expected("user_manager", "admin", P.UNLOCK)
    assert not expected("user_manager", "admin", P.EDIT_DETAILS)
    # ...while the desk still serves plain users, and the administrator serves everyone.
    assert expected("front_desk", "user", P.TEMPORARY_PASSWORD)
    assert all(expected("admin", role, P.OFFBOARD) for role in ROLES)
    # Neither custom role holds all of the other's: neither acts on the other.
    assert not expected("front_desk", "access_desk", P.UNLOCK)
    assert not expected("access_desk", "front_desk", P.ACTIVATE)


# --- The console hides what the rule refuses ----------------------------------------------


def test_item1_the_user_page_of_someone_who_holds_more_is_read_only(practice, roles, admin_user):
    desk = UserFactory(practice=practice, username="desk", practice_role=roles["front_desk"])
    manager = UserFactory(practice=practice, username="morgan", practice_role=roles["user_manager"])
    for viewer in (desk, manager):
        page = signed_in_client(viewer).get(f"/console/users/{admin_user.pk}/").content.decode()
        assert "holds permissions you do not have" in page
        for offered in [
            ">Login locked</label>",
            "Practice management username",
            "Set temporary password",
            "Set up two-factor now",
            "Reset 2FA pairing",
            ">Save</button>",
        ]:
            assert offered not in page, (viewer.username, offered)
    # A plain user's page offers the desk what it holds.
    member = UserFactory(practice=practice, username="plain", practice_role=roles["user"])
    page = signed_in_client(desk).get(f"/console/users/{member.pk}/").content.decode()
    assert ">Login locked</label>" in page and "Set temporary password" in page
    assert "holds permissions you do not have" not in page


def test_item1_the_role_select_offers_only_roles_within_the_actors_own(practice, roles, admin_user):
    limited = PracticeRole.objects.create(
        practice=practice, name="Role keeper", permissions=[P.MANAGE_ROLES]
    )
    keeper = UserFactory(practice=practice, username="keeper", practice_role=limited)
    member = UserFactory(practice=practice, username="plain", practice_role=roles["user"])
    page = signed_in_client(keeper).get(f"/console/users/{member.pk}/").content.decode()
    assert ">Viewer</option>" in page and ">User</option>" in page
    assert ">Practice administrator</option>" not in page
    assert ">Front Desk</option>" not in page
    # Posted anyway, it is refused and nothing changes.
    response = signed_in_client(keeper).post(
        f"/console/users/{member.pk}/", {"role": roles["admin"].pk}
    )
    assert response.status_code == 400
    member.refresh_from_db()
    assert member.practice_role == roles["user"]


def test_item1_a_role_holding_more_than_the_actor_cannot_be_edited_by_them(practice, roles):
    limited = PracticeRole.objects.create(
        practice=practice, name="Role keeper", permissions=[P.MANAGE_ROLES, P.UNLOCK]
    )
    keeper = UserFactory(practice=practice, username="keeper", practice_role=limited)
    admin_role = roles["admin"]
    # Taking "Unlock" away from the administrators: a permission the keeper holds, on a role
    # that holds far more.
    kept = [p for p in admin_role.permissions if p != P.UNLOCK]
    response = signed_in_client(keeper).post(
        f"/console/roles/{admin_role.pk}/", {"name": admin_role.name, "permissions": kept}
    )
    assert response.status_code == 400
    admin_role.refresh_from_db()
    assert P.UNLOCK in admin_role.permissions


def test_item1_the_last_administrator_cannot_be_given_an_end_date(practice):
    boss = AdminFactory(practice=practice, username="boss")
    with pytest.raises(ValidationError, match="last active user who can manage roles"):
        access_end_set(user=boss, actor=None, ends_on=date(2099, 1, 1))
    boss.refresh_from_db()
    assert boss.access_ends_on is None
    # With another administrator, it may be set.
    AdminFactory(practice=practice, username="deputy")
    assert access_end_set(user=boss, actor=None, ends_on=date(2099, 1, 1))
