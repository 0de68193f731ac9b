"""Emergency access (HIPAA 45 CFR 164.312(a)(2)(ii)): declared at a refused sign-in, never
without the second factor, at most 4 hours, every administrator told at once, all audited."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.utils import timezone

from accounts.models import UserSession
from practice.models import AuditEvent
from tests.accounts.conftest import REMOTE, sign_in_post
from tests.factories import PASSWORD, AdminFactory
from tests.mfa.helpers import app_code, app_device
from tests.signin_helpers import sign_in

pytestmark = pytest.mark.django_db

REASON = "Covering the on-call shift: patient in the ED needs their chart"


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def on_call(member, office):
    """An emergency access account whose login times allow no sign-in at all, with an app."""
    member.emergency_access = True
    member.login_times_restricted = True
    member.save()
    return member


def declare(client, reason=REASON):
    return client.post("/login/emergency/", {"reason": reason})


def test_hipaa_emergency_access_an_ordinary_account_is_simply_refused(client, office, member):
    member.login_times_restricted = True
    member.save()
    response = sign_in_post(client, office.practice, "nina", PASSWORD)
    body = response.content.decode()
    assert "not allowed at this time" in body
    assert "Declare an emergency" not in body
    assert client.get("/login/emergency/")["Location"] == "/login/"


def test_hipaa_emergency_access_declared_then_second_factor_then_signed_in(
    client, office, on_call, admin_user, clock
):
    app = app_device(on_call)
    response = sign_in_post(client, office.practice, "nina", PASSWORD)
    assert response["Location"] == "/login/emergency/"
    page = client.get("/login/emergency/").content.decode()
    assert "not allowed at this time" in page
    assert ">Declare an emergency</button>" in page
    form = client.get("/login/emergency/?declare=1").content.decode()
    assert ">Reason</label>" in form and ">Continue</button>" in form

    response = declare(client)
    # Never without the second factor, even in the office where it is not otherwise asked.
    assert response["Location"] == "/login/verify/"
    assert SESSION_KEY not in client.session
    declared = AuditEvent.objects.get(action="emergency.declared", target=on_call)
    assert declared.details == {"reason": REASON, "refused": "login_times"}
    # Every registered administrator is told at once, before the second factor.
    (notice,) = mail.outbox
    assert notice.to == [admin_user.email]
    assert REASON in notice.body and "not allowed at this time" in notice.body

    clock.shift(timedelta(seconds=31))
    response = client.post("/login/verify/", {"code": app_code(app)})
    assert response["Location"] == "/account/"
    session = UserSession.objects.get(user=on_call)
    assert session.emergency_reason == REASON
    assert session.emergency_until == timezone.now() + timedelta(hours=4)
    signed_in = AuditEvent.objects.get(action="signin.succeeded", target=on_call)
    assert signed_in.details["emergency"] == REASON

    # The session guard lets it be, outside login times, for 4 hours (in use all along); then
    # it ends.
    for _ in range(23):
        clock.shift(timedelta(minutes=10))
        assert client.get("/account/").status_code == 200
    clock.shift(timedelta(minutes=11))
    response = client.get("/account/", follow=True)
    assert "emergency access lasts at most 4 hours" in response.content.decode()
    assert UserSession.objects.get(user=on_call).end_reason == "emergency_ended"


def test_hipaa_emergency_access_without_a_second_factor_means_setting_one_up(
    client, office, on_call
):
    sign_in_post(client, office.practice, "nina", PASSWORD)
    response = declare(client)
    assert response["Location"] == "/login/setup/"
    assert SESSION_KEY not in client.session


def test_hipaa_emergency_access_from_outside_without_the_remote_grant(client, office, member):
    member.emergency_access = True
    member.save()
    app = app_device(member)
    response = sign_in_post(client, office.practice, "nina", PASSWORD, REMOTE_ADDR=REMOTE)
    assert response["Location"] == "/login/emergency/"
    assert "Remote access is not enabled" in client.get("/login/emergency/").content.decode()
    declare(client, reason="Snowed in, on call tonight for the practice")
    response = client.post("/login/verify/", {"code": app_code(app)}, REMOTE_ADDR=REMOTE)
    assert response["Location"] == "/account/"
    event = AuditEvent.objects.get(action="emergency.declared")
    assert event.details["refused"] == "remote_access"


def test_hipaa_emergency_access_needs_a_reason(client, office, on_call):
    app_device(on_call)
    sign_in_post(client, office.practice, "nina", PASSWORD)
    response = declare(client, reason="   ")
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not AuditEvent.objects.filter(action="emergency.declared").exists()
    assert mail.outbox == []


def test_hipaa_emergency_access_does_not_get_past_a_wrong_password_or_a_lock(
    client, office, on_call
):
    response = sign_in_post(client, office.practice, "nina", "Wrong-Horse-9!")
    assert "invalid username or password" in response.content.decode().lower()
    assert client.get("/login/emergency/")["Location"] == "/login/"
    on_call.locked_at = timezone.now()
    on_call.save()
    response = sign_in_post(client, office.practice, "nina", PASSWORD)
    assert "locked" in response.content.decode().lower()
    assert "Declare an emergency" not in response.content.decode()


def test_hipaa_emergency_access_the_console_marks_accounts_and_lists_active_emergencies(
    client, console, practice, office, on_call, clock
):
    AdminFactory(practice=practice, username="second", email="second@example.test")
    app = app_device(on_call)
    browser = type(client)()
    sign_in_post(browser, office.practice, "nina", PASSWORD)
    declare(browser)
    clock.shift(timedelta(seconds=31))
    browser.post("/login/verify/", {"code": app_code(app)})
    assert len(mail.outbox) == 2  # both administrators

    page = console.get("/console/").content.decode()
    assert "Active emergencies" in page and REASON in page
    user_page = console.get(f"/console/users/{on_call.pk}/").content.decode()
    assert "emergency until" in user_page
    assert ">Emergency access account</label>" in user_page


def test_hipaa_emergency_access_is_set_on_the_user_page_and_audited(console, member):
    from tests.practice.test_console_user import save

    response = save(console, member, emergency_access="on")
    assert "Saved the changes" in response.content.decode()
    member.refresh_from_db()
    assert member.emergency_access
    event = AuditEvent.objects.get(action="user.emergency_access_changed", target=member)
    assert event.details == {"before": False, "after": True}


def test_hipaa_emergency_session_is_not_ended_by_login_times_but_is_by_a_lock(client, member):
    from accounts.lockout import user_lock
    from accounts.sessions import AUTH_SESSION_KEY

    member.emergency_access = True
    member.login_times_restricted = True
    member.save()
    sign_in(client, member)
    session = client.session
    session[AUTH_SESSION_KEY]["emergency"] = True
    session.save()
    assert client.get("/account/").status_code == 200
    user_lock(user=member, actor=None)
    response = client.get("/account/", follow=True)
    assert "your account is locked" in response.content.decode()
