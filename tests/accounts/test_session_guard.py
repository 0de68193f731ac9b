"""Every request of a signed-in user is checked: access changes take effect at once."""

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.utils import timezone

from accounts.lockout import user_lock
from accounts.login_times import login_windows_set
from accounts.models import UserSession
from accounts.remote_access import remote_access_grant, remote_access_revoke
from mfa.models import AuthenticatorApp
from practice.models import AuditEvent
from tests.accounts.conftest import REMOTE, sign_in_post
from tests.factories import PASSWORD
from tests.mfa.helpers import app_code, app_device
from tests.signin_helpers import sign_in

pytestmark = pytest.mark.django_db


def signed_in(client, office, member, **extra):
    response = sign_in_post(client, office.practice, "nina", PASSWORD, **extra)
    if response["Location"] == "/login/verify/":
        device = AuthenticatorApp.objects.get(user=member)
        client.post("/login/verify/", {"code": app_code(device)}, **extra)
    assert client.session[SESSION_KEY] == str(member.pk)


def assert_signed_out(client, response, message):
    assert SESSION_KEY not in client.session
    assert response.status_code == 302
    assert response["Location"].startswith("/p/valley/login/")
    page = client.get(response["Location"]).content.decode()
    assert message in page


def test_verify_answers_who_and_where_for_a_signed_in_session(client, office, member):
    assert client.get("/auth/verify").status_code == 401
    signed_in(client, office, member)
    response = client.get("/auth/verify")
    assert response.status_code == 200
    assert response["X-Auth-User"] == "nina"
    assert response["X-Auth-Practice"] == "valley"
    assert response["X-Auth-Zone"] == "office"


def test_idle_longer_than_the_practice_allows_signs_out(client, office, member):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        signed_in(client, office, member)
        traveller.shift(timedelta(minutes=29))
        assert client.get("/auth/verify").status_code == 200
        traveller.shift(timedelta(minutes=29))  # active 29 minutes ago: still fine
        assert client.get("/auth/verify").status_code == 200
        traveller.shift(timedelta(minutes=31))
        response = client.get("/p/valley/login/")
        assert_signed_out(client, response, "after 30 minutes without activity")
    session = UserSession.objects.get(user=member)
    assert session.end_reason == "idle"
    assert AuditEvent.objects.get(action="sessions.ended").details["reason"] == "idle"


def test_stay_signed_in_counts_as_activity(client, office, member):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        signed_in(client, office, member)
        traveller.shift(timedelta(minutes=28))
        response = client.post("/session/keepalive/")
        assert response.json() == {"signed_in": True, "idle_seconds": 1800}
        traveller.shift(timedelta(minutes=28))
        assert client.get("/auth/verify").status_code == 200


def test_the_absolute_limit_is_12_hours_even_when_active(client, office, member):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        signed_in(client, office, member)
        for _ in range(24):
            traveller.shift(timedelta(minutes=29))
            client.get("/auth/verify")
        assert SESSION_KEY in client.session
        traveller.shift(timedelta(minutes=29))
        response = client.get("/auth/verify")
    assert response.status_code == 403
    assert SESSION_KEY not in client.session


@pytest.mark.parametrize("reason", ["locked", "deactivated", "login_times", "remote_access"])
def test_an_access_change_ends_the_session_on_the_next_request(
    client, office, member, admin_user, reason
):
    member.pm_username = "nreyes"
    member.save()
    remote_access_grant(user=member, actor=admin_user)
    app_device(member)
    extra = {"REMOTE_ADDR": REMOTE} if reason == "remote_access" else {}
    with time_machine.travel(datetime(2026, 1, 5, 15, tzinfo=UTC), tick=False):  # Mon 10:00 EST
        signed_in(client, office, member, **extra)
        member.refresh_from_db()
        if reason == "locked":
            user_lock(user=member, actor=admin_user)
        elif reason == "deactivated":
            member.is_active = False
            member.save()
        elif reason == "login_times":
            login_windows_set(
                user=member, actor=admin_user, restricted=True, windows={1: (time(7), time(19))}
            )
        else:
            remote_access_revoke(user=member, actor=admin_user)
        response = client.get("/p/valley/login/", **extra)
        assert SESSION_KEY not in client.session
        assert response.status_code == 302
    assert UserSession.objects.get(user=member).end_reason == reason
    assert AuditEvent.objects.filter(action="sessions.ended", target=member).count() == 1


def test_an_office_session_is_not_ended_by_removing_remote_access(
    client, office, member, admin_user
):
    member.pm_username = "nreyes"
    member.save()
    remote_access_grant(user=member, actor=admin_user)
    signed_in(client, office, member)
    remote_access_revoke(user=member, actor=admin_user)
    assert client.get("/auth/verify").status_code == 200


def test_the_proxy_is_told_403_when_access_ends(client, office, member, admin_user):
    signed_in(client, office, member)
    user_lock(user=member, actor=admin_user)
    assert client.get("/auth/verify").status_code == 403
    assert client.get("/auth/verify").status_code == 401


def test_a_session_that_did_not_come_through_the_pipeline_is_ended(client, office, member):
    client.force_login(member)
    assert client.get("/auth/verify").status_code == 403
    assert SESSION_KEY not in client.session


def test_the_check_costs_no_extra_query_on_most_requests(
    client, office, member, django_assert_num_queries
):
    sign_in(client, member)
    client.get("/auth/verify")  # the first request after sign-in writes the activity
    # The session and the user: exactly what Django's own auth costs.
    with django_assert_num_queries(2):
        assert client.get("/auth/verify").status_code == 200


def test_login_windows_cost_no_query_on_each_request(
    client, office, member, admin_user, django_assert_num_queries
):
    from accounts.login_times import login_windows_set

    always = {day: (time(0, 0), time(23, 59)) for day in range(7)}
    login_windows_set(user=member, actor=admin_user, restricted=True, windows=always)
    sign_in(client, member)
    client.get("/auth/verify")
    # The windows travel on the user's row: still the session and the user, nothing more.
    with django_assert_num_queries(2):
        assert client.get("/auth/verify").status_code == 200
