"""OWASP ASVS 5.0 V8 Authorization, Levels 1 and 2: tests named by requirement id.
docs/SECURITY.md says how each is met."""

import csv
import io

import pytest
from django.core import mail
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, User
from practice.audit import audit_record
from practice.models import AuditEvent
from practice.roles import SEEDS
from practice.vocabulary import AuditAction, Permission
from tests.factories import AdminFactory, PracticeFactory, StaffFactory, UserFactory
from tests.mfa.helpers import app_device
from tests.practice.test_console_user import form_of
from tests.security.conftest import section
from tests.signin_helpers import signed_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_practice(db):
    return PracticeFactory(code="hillside", name="Hillside Family Care")


@pytest.fixture
def stranger(other_practice):
    return UserFactory(practice=other_practice, username="stranger", last_name="Stranger")


# --- V8.1 Authorization documentation ---------------------------------------------------------


def test_v8_1_1_v8_1_2_every_role_is_documented_with_what_it_may_do(security_md):
    text = section(security_md, "Who may do what")
    # What each permission opens, what each starting role holds, and what support staff may.
    for _, label in Permission.choices:
        assert f"| {label} |" in text, label
    for name, _ in SEEDS.values():
        assert name in text, name
    assert "| Support staff |" in text
    for place in ("`/console/`", "`/console/settings/`", "`/console/audit/`", "`/admin/`"):
        assert place in text, place


# --- V8.2 General authorization design --------------------------------------------------------


def test_v8_2_1_each_role_reaches_only_its_own_functions(member, practice):
    manager = UserFactory(practice=practice, username="morgan", role=Role.USER_MANAGER)
    admin = AdminFactory(practice=practice, username="avery")
    staff = StaffFactory(username="support")
    expected = {
        # path: (user, user manager, administrator, support staff), for the starting roles;
        # tests/practice/test_permission_matrix.py runs every URL for every permission.
        "/console/": (403, 200, 200, 403),
        "/console/users/new/": (403, 200, 200, 403),
        "/console/settings/": (403, 403, 200, 403),
        "/console/audit/": (403, 403, 200, 403),
        "/console/roles/": (403, 403, 200, 403),
        f"/console/users/{member.pk}/": (403, 200, 200, 403),
        "/admin/": (302, 302, 302, 200),
    }
    browsers = [
        signed_in_client(member),
        signed_in_client(manager),
        signed_in_client(admin),
        signed_in_client(
            staff, zone="remote", device=TOTPDevice.objects.create(user=staff, confirmed=True)
        ),
    ]
    for path, statuses in expected.items():
        got = tuple(browser.get(path).status_code for browser in browsers)
        assert got == statuses, path


def test_v8_2_2_another_users_rows_are_out_of_reach(practice, member, stranger):
    admin = AdminFactory(practice=practice, username="avery")
    console = signed_in_client(admin)
    assert console.get(f"/console/users/{stranger.pk}/").status_code == 404
    assert console.get(f"/console/audit/?user={stranger.pk}").status_code == 404
    # A user's own pages never reach another user's factor or session.
    theirs = app_device(UserFactory(practice=practice, username="colleague"))
    mine = signed_in_client(member)
    from tests.mfa.helpers import reauth

    reauth(mine)
    assert mine.post(f"/account/security/devices/app-{theirs.pk}/remove/").status_code == 404
    assert TOTPDevice.objects.filter(pk=theirs.pk).exists()
    colleague_session = signed_in_client(theirs.user).session.session_key
    session_id = theirs.user.sessions.get(session_key=colleague_session).pk
    mine.post(f"/account/sessions/{session_id}/sign-out/")
    assert theirs.user.sessions.get(pk=session_id).ended_at is None


def test_v8_2_3_a_user_manager_changes_only_an_invited_users_contact(practice, member):
    manager = UserFactory(practice=practice, username="morgan", role=Role.USER_MANAGER)
    browser = signed_in_client(manager)
    response = browser.post(
        f"/console/users/{member.pk}/invitation/", {"email": "takeover@example.test"}
    )
    assert response.status_code == 400
    # The user page offers a user manager no "Role" ("manage roles" is not theirs): a role
    # posted anyway is not read.
    response = browser.post(f"/console/users/{member.pk}/", form_of(member, role="admin"))
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.email, member.role) == ("nina@example.test", Role.USER)


def test_v8_2_3_fields_a_page_does_not_offer_are_not_written(member, other_practice):
    browser = signed_in_client(member)
    browser.post(
        "/account/",
        {
            "first_name": "Nina",
            "last_name": "Reyes",
            "email": "nina@example.test",
            "role": "admin",
            "is_staff": "on",
            "is_superuser": "on",
            "practice": other_practice.pk,
            "failed_logins": "0",
            "remote_access": "on",
            "pm_username": "NR",
        },
    )
    member.refresh_from_db()
    assert (member.role, member.is_staff, member.is_superuser) == (Role.USER, False, False)
    assert (member.practice_id, member.remote_access, member.pm_username) == (
        member.practice.pk,
        False,
        "",
    )


# --- V8.3 Operation level authorization -------------------------------------------------------


def test_v8_3_1_a_rule_holds_when_the_page_is_bypassed(console, member, admin_user):
    # The page disables "Allow remote access" until a practice management username is typed;
    # a request sent without the page is refused all the same.
    response = console.post(
        f"/console/users/{member.pk}/", form_of(member, remote_access="on", pm_username="")
    )
    assert response.status_code == 400
    # The page disables locking or demoting oneself; posted anyway, it changes nothing.
    console.post(
        f"/console/users/{admin_user.pk}/",
        form_of(admin_user, locked="on", role="user", active=""),
    )
    member.refresh_from_db()
    admin_user.refresh_from_db()
    assert not member.remote_access
    assert (admin_user.role, admin_user.is_active, admin_user.locked_at) == (
        Role.ADMIN,
        True,
        None,
    )


# --- V8.4 Other authorization considerations --------------------------------------------------


def test_v8_4_1_one_practice_never_sees_or_touches_another(console, practice, stranger):
    audit_record(action=AuditAction.PROFILE_UPDATED, actor=stranger, target=stranger)
    audit_record(action=AuditAction.PROFILE_UPDATED, actor=stranger, target=stranger)
    listing = console.get("/console/?q=stranger&filtered=1").content.decode()
    assert "Stranger" not in listing
    log = console.get("/console/audit/").content.decode()
    assert "stranger" not in log
    export = b"".join(console.get("/console/audit/export.csv").streaming_content).decode()
    rows = list(csv.reader(io.StringIO(export)))
    assert rows[0][0] == "time" and not any("stranger" in ",".join(row) for row in rows)
    before = User.objects.filter(pk=stranger.pk).values().get()
    console.post(f"/console/users/{stranger.pk}/", form_of(stranger, active="", locked="on"))
    assert User.objects.filter(pk=stranger.pk).values().get() == before
    assert AuditEvent.objects.filter(target=stranger).count() == 2
    assert mail.outbox == []
