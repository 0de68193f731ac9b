"""The console's user list: what each row says, search, filters, sorting, pages, query count."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.invitations import invitation_create
from accounts.lockout import user_lock
from accounts.models import Role, User
from accounts.passwords import temporary_password_set
from accounts.remote_access import remote_access_grant
from mfa.models import PhoneDevice
from phonecodes.models import PhoneChannel
from tests.factories import UserFactory, starting_role
from tests.signin_helpers import sign_in

pytestmark = pytest.mark.django_db


def row_of(body: str, name: str) -> str:
    """The <tr> of the list that names `name`."""
    for row in re.findall(r"<tr>.*?</tr>", body, flags=re.S):
        if f">{name}<" in row:
            return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row))
    raise AssertionError(f"{name} is not listed")


def names(body: str) -> list[str]:
    return re.findall(r'<a href="/console/users/\d+/">([^<]+)</a>', body)


def test_each_row_shows_the_users_state_at_a_glance(console, practice, admin_user):
    now = timezone.now()
    locked = UserFactory(practice=practice, first_name="Lee", last_name="Locke")
    user_lock(user=locked, actor=admin_user)
    remote = UserFactory(practice=practice, first_name="Dana", last_name="Okafor", pm_username="D")
    remote_access_grant(user=remote, actor=admin_user)
    locum = UserFactory(practice=practice, first_name="Lou", last_name="Locum", pm_username="L")
    remote_access_grant(user=locum, actor=admin_user, until=now + timedelta(days=3), reason="locum")
    with_app = UserFactory(practice=practice, first_name="Abe", last_name="App")
    TOTPDevice.objects.create(user=with_app, name="Phone", confirmed=True)
    PhoneDevice.objects.create(
        user=with_app, number="+12025550187", method=PhoneChannel.VOICE, confirmed=True
    )
    invited = UserFactory(practice=practice, first_name="Ivy", last_name="Invited")
    invited.set_unusable_password()
    invited.save(update_fields=["password"])
    invitation_create(user=invited, actor=admin_user)
    unverified = UserFactory(
        practice=practice,
        first_name="Pat",
        last_name="Phone",
        mobile_phone="+12025550143",
        verify_phone_at_registration=True,
    )
    temporary = UserFactory(practice=practice, first_name="Tess", last_name="Temp")
    temporary_password_set(user=temporary, password="Blue-Canoe-Paddle-8", actor=admin_user)
    expiring = UserFactory(
        practice=practice,
        first_name="Eve",
        last_name="Expiring",
        password_changed_at=now - timedelta(days=85),
    )
    expired = UserFactory(
        practice=practice,
        first_name="Ed",
        last_name="Expired",
        password_changed_at=now - timedelta(days=91),
    )
    User.objects.filter(pk=expired.pk).update(last_login=now - timedelta(days=2))

    body = console.get("/console/").content.decode()

    assert "locked" in row_of(body, "Lee Locke")
    assert "remote access" in row_of(body, "Dana Okafor")
    last_day = (now + timedelta(days=3)).astimezone(timezone.get_current_timezone())
    assert "remote access until" in row_of(body, "Lou Locum")
    assert f"{last_day:%b} " in row_of(body, "Lou Locum")
    assert " app, voice " in row_of(body, "Abe App")
    assert " none " in row_of(body, "Lee Locke")
    assert "invited" in row_of(body, "Ivy Invited")
    assert "phone not verified" in row_of(body, "Pat Phone")
    assert "registered" in row_of(body, "Lee Locke")
    assert "temporary" in row_of(body, "Tess Temp")
    assert "expires in 5 days" in row_of(body, "Eve Expiring")
    assert "expired" in row_of(body, "Ed Expired")
    assert "never" in row_of(body, "Lee Locke")
    assert "never" not in row_of(body, "Ed Expired")
    assert "Practice administrator" in row_of(body, "Avery Admin")
    assert unverified and expiring  # listed above


def test_a_lapsed_grant_no_longer_counts_as_remote_access(console, practice, admin_user):
    locum = UserFactory(practice=practice, first_name="Lou", last_name="Locum", pm_username="L")
    remote_access_grant(
        user=locum, actor=admin_user, until=timezone.now() + timedelta(hours=1), reason="locum"
    )
    User.objects.filter(pk=locum.pk).update(remote_access_until=timezone.now())
    # Not yet swept by expire_remote_access: still no remote access for the list.
    body = console.get("/console/?filtered=1&active=on&remote=on").content.decode()
    assert "Lou Locum" not in body
    assert "remote access ended" in row_of(console.get("/console/").content.decode(), "Lou Locum")


def test_search_matches_name_username_and_email(console, practice):
    UserFactory(practice=practice, username="nreyes", first_name="Nina", last_name="Reyes")
    UserFactory(
        practice=practice,
        username="dok",
        first_name="Dana",
        last_name="Okafor",
        email="dana@x.test",
    )
    assert names(console.get("/console/?q=reyes").content.decode()) == ["Nina Reyes"]
    assert names(console.get("/console/?q=NREY").content.decode()) == ["Nina Reyes"]
    assert names(console.get("/console/?q=dana@x").content.decode()) == ["Dana Okafor"]
    assert names(console.get("/console/?q=nina+reyes").content.decode()) == ["Nina Reyes"]
    assert names(console.get("/console/?q=nobody").content.decode()) == []


def test_active_only_is_on_by_default_and_can_be_turned_off(console, practice):
    UserFactory(practice=practice, first_name="Gone", last_name="Away", is_active=False)
    body = console.get("/console/").content.decode()
    assert "Gone Away" not in body
    assert re.search(r'name="active"[^>]*checked', body)
    # The form was submitted with the box unticked: everyone is listed.
    body = console.get("/console/?filtered=1&q=").content.decode()
    assert "Gone Away" in body
    assert "inactive" in row_of(body, "Gone Away")


def test_filters_locked_remote_access_and_without_2fa(console, practice, admin_user):
    locked = UserFactory(practice=practice, first_name="Lee", last_name="Locke")
    user_lock(user=locked, actor=admin_user)
    remote = UserFactory(practice=practice, first_name="Dana", last_name="Okafor", pm_username="D")
    remote_access_grant(user=remote, actor=admin_user)
    secured = UserFactory(practice=practice, first_name="Abe", last_name="App")
    TOTPDevice.objects.create(user=secured, name="Phone", confirmed=True)
    texter = UserFactory(practice=practice, first_name="Tex", last_name="Text")
    PhoneDevice.objects.create(user=texter, number="+12025550143", confirmed=True)
    TOTPDevice.objects.create(user=admin_user, name="Unconfirmed", confirmed=False)

    assert names(console.get("/console/?filtered=1&active=on&locked=on").content.decode()) == [
        "Lee Locke"
    ]
    assert names(console.get("/console/?filtered=1&active=on&remote=on").content.decode()) == [
        "Dana Okafor"
    ]
    without = names(console.get("/console/?filtered=1&active=on&without_2fa=on").content.decode())
    assert "Abe App" not in without and "Tex Text" not in without
    assert {"Avery Admin", "Lee Locke", "Dana Okafor"} <= set(without)


def test_sorting_by_column_both_ways(console, practice):
    UserFactory(practice=practice, username="zed", first_name="Amy", last_name="Zed")
    UserFactory(practice=practice, username="abe", first_name="Zoe", last_name="Able")
    by_name = names(console.get("/console/?sort=name").content.decode())
    assert by_name.index("Zoe Able") < by_name.index("Avery Admin") < by_name.index("Amy Zed")
    reverse = names(console.get("/console/?sort=-name").content.decode())
    assert reverse == list(reversed(by_name))
    by_username = names(console.get("/console/?sort=username").content.decode())
    assert by_username == ["Zoe Able", "Avery Admin", "Amy Zed"]
    by_role = names(console.get("/console/?sort=role").content.decode())
    assert by_role[0] == "Avery Admin"  # "admin" sorts before "user"
    # An unknown sort key falls back to the name, never an error.
    assert names(console.get("/console/?sort=password").content.decode()) == by_name


def test_pages_of_fifty(console, practice):
    User.objects.bulk_create(
        User(
            practice=practice,
            practice_role=starting_role(practice),
            username=f"bulk{i:03d}",
            last_name=f"Bulk{i:03d}",
        )
        for i in range(120)
    )
    first = console.get("/console/").content.decode()
    assert len(names(first)) == 50
    assert "121 users, page 1 of 3" in first
    third = console.get("/console/?page=3").content.decode()
    assert len(names(third)) == 21
    # A page past the end, or not a number, shows a real page rather than an error.
    assert console.get("/console/?page=99").status_code == 200
    assert console.get("/console/?page=abc").status_code == 200


def seed(practice, count: int) -> None:
    """`count` users in every state the row code looks at, without hashing passwords."""
    now = timezone.now()
    role = starting_role(practice)
    users = User.objects.bulk_create(
        User(
            practice=practice,
            practice_role=role,
            username=f"seed{i:05d}",
            first_name="Seed",
            last_name=f"User{i:05d}",
            password="!unusable" if i % 4 == 0 else "md5$x$y",
            must_change_password=i % 5 == 0,
            temporary_password_expires_at=now + timedelta(hours=1),
            password_changed_at=now - timedelta(days=i % 120),
            locked_at=now if i % 7 == 0 else None,
            pm_username="PM" if i % 3 == 0 else "",
            remote_access=i % 3 == 0,
            remote_access_until=now + timedelta(days=2) if i % 6 == 0 else None,
            last_login=now if i % 2 else None,
        )
        for i in range(count)
    )
    TOTPDevice.objects.bulk_create(
        TOTPDevice(user=user, name="Phone", confirmed=True) for user in users[::2]
    )


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "url",
    ["/console/", "/console/?filtered=1&without_2fa=on&sort=-last_sign_in&page=2&q=seed"],
)
def test_the_list_costs_the_same_queries_for_10_or_1000_users(console, practice, url):
    """At most 9 queries with the overview to compute (right after a change in the practice;
    the ninth, support's changes of the week), 5 while it is kept; the same for 10 users or
    1,000."""
    seed(practice, 10)
    cache.clear()
    small_cold = count_queries(console, url)
    small_warm = count_queries(console, url)
    seed_more = 1000 - 10
    User.objects.filter(username__startswith="seed").delete()
    seed(practice, seed_more + 10)
    assert User.objects.filter(practice=practice).count() == 1001
    cache.clear()
    assert count_queries(console, url) == small_cold
    assert count_queries(console, url) == small_warm
    assert small_cold <= 9 and small_warm <= 5


def test_an_audited_change_in_the_practice_refreshes_the_overview_at_once(
    console, practice, member, admin_user, django_capture_on_commit_callbacks
):
    from accounts.lockout import user_lock

    assert "<strong>0</strong> locked" in console.get("/console/").content.decode()
    # The change counter moves when the change commits (here: when the test says it does).
    with django_capture_on_commit_callbacks(execute=True):
        user_lock(user=member, actor=admin_user)
    assert "<strong>1</strong> locked" in console.get("/console/").content.decode()


def test_sign_ins_leave_the_kept_figures_alone_and_a_lock_does_not(
    practice, member, admin_user, django_capture_on_commit_callbacks
):
    """A busy practice signs in all day: sign-ins do not make the kept counts old (they would
    be recomputed at every look); a change to someone's access does."""
    from practice.audit import audit_record
    from practice.changes import practice_version
    from practice.vocabulary import AuditAction

    before = practice_version(practice.pk)
    with django_capture_on_commit_callbacks(execute=True):
        for action in (AuditAction.SIGNIN_SUCCEEDED, AuditAction.SIGNIN_FAILED):
            audit_record(action=action, actor=member, target=member)
    assert practice_version(practice.pk) == before
    with django_capture_on_commit_callbacks(execute=True):
        user_lock(user=member, actor=admin_user)
    assert practice_version(practice.pk) == before + 1


def test_a_user_manager_sees_the_list_without_the_overview(client, practice, member):
    manager = UserFactory(practice=practice, username="morgan", role=Role.USER_MANAGER)
    sign_in(client, manager)
    body = client.get("/console/").content.decode()
    assert "Nina Reyes" in body
    assert "Security overview" not in body  # for whoever may read the audit log
    assert f"/console/users/{member.pk}/" in body  # seeing users includes their pages
