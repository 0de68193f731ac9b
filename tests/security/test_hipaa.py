"""HIPAA Security Rule, 45 CFR 164.312 (technical safeguards): the paragraphs PracticeGate
answers for, one test or a few each, named by paragraph. docs/SECURITY.md says how."""

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import Client

from accounts.models import User, UserSession
from practice.models import AuditEvent
from tests.accounts.conftest import REMOTE, sign_in_post
from tests.factories import PASSWORD, StaffFactory, UserFactory
from tests.mfa.helpers import app_code, app_device
from tests.practice.test_console_user import save

pytestmark = pytest.mark.django_db

REASON = "On call tonight: a patient in the ED needs their chart"


def test_hipaa_164_312_a_2_i_a_username_names_one_person_in_a_practice(practice, member):
    for taken in ("nina", "NINA", "Nina"):
        with pytest.raises(IntegrityError), transaction.atomic():
            User.objects.create(practice=practice, username=taken, email="x@example.test")
    StaffFactory(username="support")
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffFactory(username="SUPPORT")
    # The same name in another practice is another person, with a counter and log of their own.
    UserFactory(username="nina")
    assert User.objects.filter(username__iexact="nina").count() == 2


def test_hipaa_164_312_a_2_i_every_change_names_the_person_who_made_it(console, member):
    save(console, member, locked="on")
    (event,) = AuditEvent.objects.filter(target=member, action="user.locked")
    assert event.actor.username == "avery"
    assert event.actor.practice == member.practice


def test_hipaa_164_312_a_2_ii_an_emergency_sign_in_is_declared_verified_announced_and_limited(
    client, office, member, admin_user, clock
):
    member.emergency_access = True
    member.login_times_restricted = True  # no window at all: every sign-in is refused
    member.save()
    app = app_device(member)
    assert sign_in_post(client, office.practice, "nina", PASSWORD)["Location"] == (
        "/login/emergency/"
    )
    response = client.post("/login/emergency/", {"reason": REASON})
    # Never without the second factor, even in the office.
    assert response["Location"] == "/login/verify/"
    assert SESSION_KEY not in client.session
    assert [message.to for message in mail.outbox] == [[admin_user.email]]
    clock.shift(timedelta(seconds=31))
    assert client.post("/login/verify/", {"code": app_code(app)})["Location"] == "/account/"
    declared = AuditEvent.objects.get(action="emergency.declared", target=member)
    assert declared.details["reason"] == REASON
    for _ in range(4 * 60 // 20):
        clock.shift(timedelta(minutes=20))
        client.get("/account/")
    clock.shift(timedelta(minutes=1))
    assert client.get("/account/").status_code == 302
    assert UserSession.objects.get(user=member).end_reason == "emergency_ended"


def test_hipaa_164_312_a_2_ii_an_ordinary_account_has_no_emergency_way_in(client, office, member):
    member.login_times_restricted = True
    member.save()
    response = sign_in_post(client, office.practice, "nina", PASSWORD)
    assert "not allowed at this time" in response.content.decode()
    assert client.get("/login/emergency/")["Location"] == "/login/"


def test_hipaa_164_312_a_2_iii_an_idle_session_ends_by_itself(client, office, member, clock):
    office.practice.idle_timeout_minutes = 10
    office.practice.save()
    assert sign_in_post(client, office.practice, "nina", PASSWORD)["Location"] == "/account/"
    clock.shift(timedelta(minutes=9))
    assert client.get("/account/").status_code == 200
    clock.shift(timedelta(minutes=10, seconds=1))
    response = client.get("/account/", follow=True)
    assert "signed out after 10 minutes without activity" in response.content.decode()
    assert UserSession.objects.get(user=member).end_reason == "idle"


def test_hipaa_164_312_b_access_and_its_changes_are_recorded_for_the_practice_to_read(
    client, console, office, member
):
    sign_in_post(Client(), office.practice, "nina", "Wrong-Horse-9!")
    save(console, member, locked="on")
    page = console.get(f"/console/audit/?user={member.pk}").content.decode()
    assert "Sign-in refused" in page and "Locked" in page
    export = b"".join(console.get("/console/audit/export.csv").streaming_content).decode()
    assert "signin.failed" in export and "user.locked" in export


def test_hipaa_164_312_d_a_remote_sign_in_needs_the_password_and_a_second_factor(
    client, office, member, clock
):
    member.pm_username = "NREYES"
    member.remote_access = True
    member.save()
    app = app_device(member)
    response = sign_in_post(client, office.practice, "nina", PASSWORD, REMOTE_ADDR=REMOTE)
    assert response["Location"] == "/login/verify/"
    assert SESSION_KEY not in client.session
    client.post("/login/verify/", {"code": "000000"}, REMOTE_ADDR=REMOTE)
    assert SESSION_KEY not in client.session
    clock.shift(timedelta(seconds=31))
    response = client.post("/login/verify/", {"code": app_code(app)}, REMOTE_ADDR=REMOTE)
    assert response["Location"] == "/account/"
    assert client.session[SESSION_KEY] == str(member.pk)
