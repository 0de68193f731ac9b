"""A practice's first week (issue 24): its first administrator gets in, and support's changes
are announced to the practice.

Item 1: a practice made without an office network lets its first administrator sign in from
anywhere, with a second factor, to set it up; nobody else; audited; ended by the first office
network. Support invites that administrator from Django admin. Item 3: the administrators'
daily email of what support changed, and the overview's count of it.
"""

import io
import re
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from accounts.lockout import user_lock, user_unlock
from accounts.models import User
from accounts.remote_access import remote_access_grant
from accounts.sessions import AUTH_SESSION_KEY
from accounts.support_digest import support_digest_claim, support_digests_due
from mfa.models import AuthenticatorApp
from practice.models import AuditEvent, Practice
from practice.services import practice_settings_update
from practice.vocabulary import LockChange
from tests.factories import PASSWORD, AdminFactory, OfficeNetworkFactory, UserFactory
from tests.mfa.helpers import app_code, app_device, totp_for
from tests.threads import run_together

pytestmark = pytest.mark.django_db

REMOTE = "203.0.113.9"  # TEST-NET-3: anywhere at all
NOT_ENABLED = "Remote access is not enabled for your account"


def create_practice(*args) -> str:
    """Run `create_practice`; returns what it wrote on standard error."""
    err = io.StringIO()
    call_command("create_practice", *args, stdout=io.StringIO(), stderr=err)
    return err.getvalue()


def create_user(monkeypatch, code: str, username: str, *, email: str, password=PASSWORD):
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    call_command(
        "create_user", code, username, "--email", email, "--password-stdin", stdout=io.StringIO()
    )
    return User.objects.get(practice__code=code, username=username)


def sign_in(client, code: str, username: str, *, address: str = REMOTE):
    return client.post(
        f"/p/{code}/login/",
        {"username": username, "password": PASSWORD},
        REMOTE_ADDR=address,
    )


def emailed_code() -> str:
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


def first_setup_from_outside(client, user) -> AuthenticatorApp:
    """Through the sign-in's first setup from outside: the emailed code proves who it is, then
    an authenticator app; returns the app (the sign-in has completed)."""
    response = sign_in(client, user.practice.code, user.username)
    assert response["Location"] == "/login/setup/", response.content.decode()[:500]
    client.post("/login/setup/", {"action": "send", "channel": "email"}, REMOTE_ADDR=REMOTE)
    response = client.post("/login/setup/", {"code": emailed_code()}, REMOTE_ADDR=REMOTE)
    assert response["Location"] == "/login/setup/"
    client.get("/login/setup/app/", REMOTE_ADDR=REMOTE)
    device = AuthenticatorApp.objects.get(user=user, confirmed=False)
    response = client.post(
        "/login/setup/app/",
        {"title": "Phone", "code": totp_for(device).now()},
        REMOTE_ADDR=REMOTE,
    )
    assert response["Location"] == "/login/setup/recovery-codes/"
    client.post("/login/setup/recovery-codes/", {"action": "continue"}, REMOTE_ADDR=REMOTE)
    assert client.session[SESSION_KEY] == str(user.pk)
    return device


@pytest.fixture
def solo(db):
    """`create_practice solo --name Solo`: no office network."""
    create_practice("solo", "--name", "Solo")
    return Practice.objects.get(code="solo")


@pytest.fixture
def boss(solo, monkeypatch):
    """`create_user solo boss --email boss@example.test --password-stdin`: its first user."""
    return create_user(monkeypatch, "solo", "boss", email="boss@example.test")


# --- Item 1: the first administrator gets in ------------------------------------------------


def test_item1_create_practice_warns_plainly_when_no_office_network_is_given(db):
    warning = create_practice("solo", "--name", "Solo")
    assert "no office network" in warning.lower()
    assert "outside the office" in warning and "--office-network" in warning
    # With a network, nothing to warn about.
    assert create_practice("duo", "--name", "Duo", "--office-network", "10.9.0.0/16") == ""


def test_item1_the_first_administrator_signs_in_from_anywhere_and_sets_up_a_second_factor(
    client, boss
):
    mail.outbox.clear()
    response = sign_in(client, "solo", "boss")
    assert NOT_ENABLED not in response.content.decode()
    # Never a password alone: first the emailed code, then a second factor of their own.
    assert response["Location"] == "/login/setup/"
    assert SESSION_KEY not in client.session
    assert client.get("/login/setup/app/", REMOTE_ADDR=REMOTE)["Location"] == "/login/setup/"
    device = first_setup_from_outside(client, boss)
    stamp = client.session[AUTH_SESSION_KEY]
    assert stamp["zone"] == "remote" and stamp["setup"] is True
    assert stamp["second_factor"] == device.persistent_id
    # Audited: let in by the exception, then signed in.
    actions = list(
        AuditEvent.objects.filter(target=boss).order_by("id").values_list("action", flat=True)
    )
    assert "signin.setup_access" in actions and actions[-1] == "signin.succeeded"
    # The console says why, and where to fix it, on every page.
    for path in ("/console/", "/console/settings/", "/console/roles/"):
        html = client.get(path, REMOTE_ADDR=REMOTE).content.decode()
        assert "Your practice has no office network yet." in html, path
        assert 'href="/console/settings/"' in html


def test_item1_later_sign_ins_from_outside_ask_the_second_factor(client, boss):
    device = app_device(boss)
    response = sign_in(client, "solo", "boss")
    assert response["Location"] == "/login/verify/"
    client.post("/login/verify/", {"code": app_code(device)}, REMOTE_ADDR=REMOTE)
    assert client.session[SESSION_KEY] == str(boss.pk)
    # Not the practice's applications behind the gateway: the grant is still needed there.
    response = client.get("/auth/verify", REMOTE_ADDR=REMOTE)
    assert response.status_code == 403 and response["X-Auth-Reason"] == "remote-access"


def test_item1_only_administrators_get_the_exception(client, boss, solo):
    nurse = UserFactory(practice=solo, username="nurse")
    app_device(nurse)
    response = sign_in(client, "solo", "nurse")
    assert response.status_code == 200
    assert NOT_ENABLED in response.content.decode()
    assert SESSION_KEY not in client.session
    assert not AuditEvent.objects.filter(target=nurse, action="signin.setup_access").exists()


def test_item1_no_exception_once_the_practice_has_an_office_network(client, boss, solo):
    device = app_device(boss)
    OfficeNetworkFactory(practice=solo, cidr="10.9.0.0/16")
    response = sign_in(client, "solo", "boss")
    assert NOT_ENABLED in response.content.decode()
    assert SESSION_KEY not in client.session
    # The console's notice is gone too (from the office).
    sign_in(client, "solo", "boss", address="10.9.1.2")
    client.post("/login/verify/", {"code": app_code(device)}, REMOTE_ADDR="10.9.1.2")
    html = client.get("/console/", REMOTE_ADDR="10.9.1.2").content.decode()
    assert client.session[SESSION_KEY] == str(boss.pk)
    assert "no office network yet" not in html


def test_item1_the_setup_session_ends_by_itself_when_the_first_office_network_is_saved(
    client, boss, solo
):
    device = app_device(boss)
    sign_in(client, "solo", "boss")
    client.post("/login/verify/", {"code": app_code(device)}, REMOTE_ADDR=REMOTE)
    settings_page = client.get("/console/settings/", REMOTE_ADDR=REMOTE).content.decode()
    assert "this session ends unless your address is on it" in settings_page
    practice_settings_update(practice=solo, actor=boss, values={}, office_networks=["10.9.0.0/16"])
    response = client.get("/console/", REMOTE_ADDR=REMOTE, follow=True)
    assert SESSION_KEY not in client.session
    assert "your practice has an office network now" in response.content.decode()


def test_item1_a_setup_session_stays_when_the_administrator_has_remote_access(client, boss, solo):
    device = app_device(boss)
    sign_in(client, "solo", "boss")
    client.post("/login/verify/", {"code": app_code(device)}, REMOTE_ADDR=REMOTE)
    boss.pm_username = "BOSS"
    boss.save()
    remote_access_grant(user=boss, actor=boss)
    practice_settings_update(practice=solo, actor=boss, values={}, office_networks=["10.9.0.0/16"])
    assert client.get("/console/", REMOTE_ADDR=REMOTE).status_code == 200
    assert client.session[SESSION_KEY] == str(boss.pk)


def test_item1_a_practice_that_loses_its_administrator_role_loses_the_exception(client, boss, solo):
    # The exception follows "Manage roles", not the account: demoted, refused like anyone.
    from accounts.roles import role_for_kind

    AdminFactory(practice=solo, username="keeper")
    User.objects.filter(pk=boss.pk).update(practice_role=role_for_kind(solo, "user"))
    app_device(boss)
    assert NOT_ENABLED in sign_in(client, "solo", "boss").content.decode()


# --- Item 1: support invites the first administrator -----------------------------------------

PRACTICES = "/admin/practice/practice/"


def invite(staff_client, practice, **fields):
    data = {
        "action": "invite_first_administrator",
        "_selected_action": [practice.pk],
        "confirmed": "yes",
        **fields,
    }
    return staff_client.post(PRACTICES, data, follow=True)


def test_item1_support_invites_the_first_administrator_through_the_services(
    staff_client, solo, client
):
    page = staff_client.post(
        PRACTICES, {"action": "invite_first_administrator", "_selected_action": [solo.pk]}
    )
    html = page.content.decode()
    assert page.status_code == 200 and "Invite the first administrator of Solo" in html
    # Support never types a password for anyone.
    assert 'type="password"' not in html
    mail.outbox.clear()
    response = invite(
        staff_client, solo, username="boss", email="boss@example.test", first_name="Bo"
    )
    assert "Invited boss (boss@example.test) as the first administrator" in (
        response.content.decode()
    )
    boss = User.objects.get(practice=solo, username="boss")
    assert boss.practice_role.seeded_as == "admin" and not boss.has_usable_password()
    assert [message.to for message in mail.outbox] == [["boss@example.test"]]
    assert "/invite/link/#" in mail.outbox[0].body
    events = AuditEvent.objects.filter(target=boss).order_by("id")
    assert [(e.action, e.actor.username, e.practice_id) for e in events] == [
        ("user.created", "support", solo.pk),
        ("user.invited", "support", solo.pk),
    ]


def test_item1_support_invites_again_an_administrator_who_has_not_registered(staff_client, solo):
    invite(staff_client, solo, username="boss", email="wrong@example.test")
    first_link = mail.outbox[-1].body
    mail.outbox.clear()
    response = invite(staff_client, solo, username="ignored", email="boss@example.test")
    assert "Invited boss (boss@example.test)" in response.content.decode()
    assert User.objects.filter(practice=solo).count() == 1
    assert [message.to for message in mail.outbox] == [["boss@example.test"]]
    assert mail.outbox[0].body != first_link
    assert AuditEvent.objects.filter(
        practice=solo, action="user.contact_corrected", actor__username="support"
    ).exists()


def test_item1_support_cannot_invite_once_the_practice_has_a_registered_administrator(
    staff_client, boss, solo
):
    mail.outbox.clear()
    response = invite(staff_client, solo, username="other", email="other@example.test")
    assert "already has an administrator (boss)" in response.content.decode()
    assert not User.objects.filter(username="other").exists()
    assert mail.outbox == []


def test_item1_a_bad_invitation_says_why_and_changes_nothing(staff_client, solo):
    since = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    response = invite(staff_client, solo, username="bo ss", email="not an address")
    html = response.content.decode()
    assert response.status_code == 200 and "Enter a valid email address." in html
    assert not User.objects.filter(practice=solo).exists()
    assert not AuditEvent.objects.filter(pk__gt=since).exists()


# --- Item 3: support's changes are announced ---------------------------------------------------

NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")
TUESDAY = datetime(2026, 6, 2, 10, 15, tzinfo=NY)
WEDNESDAY_EARLY = datetime(2026, 6, 3, 0, 5, tzinfo=NY)


def run_scheduled() -> str:
    out = io.StringIO()
    call_command("run_scheduled", stdout=out)
    return out.getvalue()


def digests() -> list:
    return [m for m in mail.outbox if "what support changed" in m.subject]


def support_unlocks(user, staff) -> None:
    user_lock(user=user, actor=None, reason=LockChange.FAILED_ATTEMPTS)
    user_unlock(user=user, actor=staff, reason=LockChange.SUPPORT)


def test_item3_the_administrators_get_one_email_a_day_of_what_support_changed(
    practice, admin_user, member, staff
):
    second_admin = AdminFactory(practice=practice, username="bea", email="bea@example.test")
    with time_machine.travel(TUESDAY, tick=False) as clock:
        support_unlocks(member, staff)
        # The practice's own changes are not support's.
        user_lock(user=member, actor=admin_user, reason=LockChange.ADMINISTRATOR)
        mail.outbox.clear()
        # The day is not over: nothing yet, however often the job runs.
        run_scheduled()
        assert digests() == []
        clock.move_to(WEDNESDAY_EARLY)
        output = run_scheduled()
        run_scheduled()
        clock.move_to(WEDNESDAY_EARLY + timedelta(hours=9))
        run_scheduled()
    assert "Daily emails of what support changed: 1" in output
    sent = digests()
    assert sorted(m.to[0] for m in sent) == sorted([admin_user.email, second_admin.email])
    body = sent[0].body
    assert "on Tuesday, June 2, 2026" in body and "(times in America/New York)" in body
    assert "10:15, support (support), about nina: Unlocked by support" in body
    assert "Locked by an administrator" not in body
    assert "/console/audit/?by=support" in body
    assert member.email not in [m.to[0] for m in sent]


def test_item3_nothing_is_sent_for_a_day_support_changed_nothing(practice, admin_user, member):
    with time_machine.travel(TUESDAY, tick=False) as clock:
        user_lock(user=member, actor=admin_user, reason=LockChange.ADMINISTRATOR)
        clock.move_to(WEDNESDAY_EARLY)
        mail.outbox.clear()
        assert "Daily emails of what support changed: 0" in run_scheduled()
    assert digests() == []
    practice.refresh_from_db()
    assert practice.support_digest_sent_for == TUESDAY.date()


def test_item3_the_day_and_its_times_are_the_practices(practice, admin_user, member, staff):
    Practice.objects.filter(pk=practice.pk).update(time_zone="America/Los_Angeles")
    member.practice.refresh_from_db()
    late_tuesday = datetime(2026, 6, 2, 23, 30, tzinfo=LA)  # Wednesday 06:30 UTC
    with time_machine.travel(late_tuesday, tick=False) as clock:
        support_unlocks(member, staff)
        # Wednesday already in New York and in UTC, still Tuesday at the practice.
        clock.move_to(datetime(2026, 6, 2, 23, 55, tzinfo=LA))
        mail.outbox.clear()
        run_scheduled()
        assert digests() == []
        clock.move_to(datetime(2026, 6, 3, 0, 10, tzinfo=LA))
        run_scheduled()
    (sent,) = digests()
    assert "on Tuesday, June 2, 2026" in sent.body and "(times in America/Los Angeles)" in sent.body
    assert "23:30, support (support), about nina: Unlocked by support" in sent.body


def test_item3_each_days_email_is_claimed_once(practice, admin_user, member, staff):
    with time_machine.travel(TUESDAY, tick=False):
        support_unlocks(member, staff)
    # A run that read the practice before another claimed the day sends nothing.
    stale = Practice.objects.get(pk=practice.pk)
    mail.outbox.clear()
    assert support_digests_due(now=WEDNESDAY_EARLY) == 1
    assert stale.support_digest_sent_for is None
    assert support_digest_claim(stale, TUESDAY.date()) is False
    assert support_digests_due(now=WEDNESDAY_EARLY + timedelta(hours=1)) == 0
    assert len(digests()) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_item3_runs_at_the_same_moment_send_the_day_once(practice, admin_user, member, staff):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locking")
    with time_machine.travel(TUESDAY, tick=False):
        support_unlocks(member, staff)
    mail.outbox.clear()
    results, errors = run_together(3, lambda i: support_digests_due(now=WEDNESDAY_EARLY))
    assert errors == [] and sorted(results) == [0, 0, 1]
    assert [m.to for m in digests()] == [[admin_user.email]]


def test_item3_the_overview_counts_support_changes_of_the_week_and_links_to_them(
    console, practice, admin_user, member, staff
):
    html = console.get("/console/").content.decode()
    assert "<strong>0</strong> changes by support in the last 7 days" in html
    assert "Latest changes by support" not in html
    with time_machine.travel(timezone.now() - timedelta(days=8)):
        support_unlocks(member, staff)  # more than a week ago: not counted
    support_unlocks(member, staff)
    user_lock(user=member, actor=admin_user, reason=LockChange.ADMINISTRATOR)
    cache.clear()
    html = console.get("/console/").content.decode()
    assert "<strong>1</strong> change by support in the last 7 days" in html
    assert 'href="/console/audit/?by=support"' in html
    assert "Latest changes by support" in html
    assert "Unlocked by support (nina), by support (support)" in html
    # The audit log filtered to them: support's events only.
    page = console.get("/console/audit/?by=support").content.decode()
    rows = page[page.index("<tbody>") : page.index("</tbody>")]
    assert rows.count("Unlocked by support") == 2 and rows.count("<tr>") == 2
    assert '<option value="support" selected>Support staff</option>' in page
    export = b"".join(console.get("/console/audit/export.csv?by=support").streaming_content)
    assert b"Locked by an administrator" not in export and b"Unlocked by support" in export
