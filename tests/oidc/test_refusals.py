"""Item 2 of issue 23: sign-in to an application goes through the practice's own sign-in page,
under every rule; a user who may not use it now is refused with `error=access_denied` at the
application, and PracticeGate's refusal page says why.

Each refusal is reached as it happens: a session that was fine, then something changes (the
account is locked, the login times close, the end date comes...) and the user opens the
application.
"""

from datetime import timedelta
from html import unescape

import pytest
from django.utils import timezone

from accounts.lockout import user_lock
from accounts.login_times import login_windows_set
from accounts.models import User
from accounts.remote_access import remote_access_grant, remote_access_revoke
from oidc.applications import application_switch
from oidc.models import ApplicationSignIn
from practice.models import AuditEvent
from tests.factories import PASSWORD, PracticeFactory, UserFactory
from tests.mfa.helpers import app_code, app_device
from tests.oidc.helpers import (
    REDIRECT,
    authorize_url,
    code_from,
    make_application,
    query_of,
    token_request,
    verified_claims,
)
from tests.signin_helpers import sign_in

pytestmark = pytest.mark.django_db

REMOTE = "203.0.113.9"  # outside every office network


def refused(response, reason: str) -> dict:
    """The refusal page: 403, the reason, and its way back to the application with
    error=access_denied (and the application's state). Returns that link's query."""
    assert response.status_code == 403, response.status_code
    body = unescape(response.content.decode())
    assert f'data-reason="{reason}"' in body
    link = body.split('class="button button--primary" href="', 1)[1].split('"', 1)[0]
    assert link.startswith(REDIRECT + "?")
    query = query_of(link)
    assert query["error"] == "access_denied"
    assert query["state"] == "state-1"
    assert "code" not in query
    return query


def refusal_audited(user, reason: str, *, practice=None):
    event = AuditEvent.objects.filter(action="app.refused", target=user).latest("id")
    assert event.details == {"application": "Charts", "reason": reason}
    assert event.practice == (practice or user.practice)
    return event


def test_item2_without_a_session_the_practices_own_signin_page_then_back(client, office, charts):
    UserFactory(practice=office.practice, username="nina")
    url = authorize_url(charts.application)
    response = client.get(url)
    assert response.status_code == 302
    login = response["Location"]
    assert login.startswith("/p/valley/login/?next=")
    assert query_of(login)["next"] == url
    # The whole sign-in, then back to the authorize endpoint, and the code to the application.
    signed_in = client.post(login, {"username": "nina", "password": PASSWORD})
    assert signed_in["Location"] == url
    code = code_from(client.get(url))
    assert token_request(charts, code).status_code == 200
    event = AuditEvent.objects.filter(action="app.signed_in").get()
    assert event.details["application"] == "Charts" and event.details["zone"] == "office"


def test_item2_a_user_of_another_practice_is_refused(client, charts):
    other = PracticeFactory(code="hilltop", name="Hilltop Clinic")
    stranger = UserFactory(practice=other, username="sam")
    sign_in(client, stranger)
    response = client.get(authorize_url(charts.application))
    refused(response, "other-practice")
    body = unescape(response.content.decode())
    assert "belongs to another practice" in body
    # They may sign in as a user of the application's practice instead.
    assert 'href="/p/valley/login/?next=' in body
    # Told to the user's own practice, not to the application's: no practice learns another's
    # users.
    refusal_audited(stranger, "other-practice", practice=other)
    assert not ApplicationSignIn.objects.exists()


def test_item2_a_remote_user_without_remote_access_is_refused(client, office, member, charts):
    # Signed in at the office; the same browser asks from outside.
    client.post("/p/valley/login/", {"username": "nina", "password": PASSWORD})
    response = client.get(authorize_url(charts.application), REMOTE_ADDR=REMOTE)
    refused(response, "remote-access")
    assert "Remote access is not allowed" in response.content.decode()
    refusal_audited(member, "remote-access")
    # The office session itself ended outside (the zone rule of every request); back at the
    # office, signed in again, it signs in to the application.
    client.post("/p/valley/login/", {"username": "nina", "password": PASSWORD})
    code_from(client.get(authorize_url(charts.application)))


def test_item2_remote_access_removed_during_a_remote_session(
    client, office, member, admin_user, charts
):
    member.pm_username = "NREYES"
    member.save()
    remote_access_grant(user=member, actor=admin_user)
    device = app_device(member)
    client.post("/p/valley/login/", {"username": "nina", "password": PASSWORD}, REMOTE_ADDR=REMOTE)
    client.post("/login/verify/", {"code": app_code(device)}, REMOTE_ADDR=REMOTE)
    code_from(client.get(authorize_url(charts.application), REMOTE_ADDR=REMOTE))
    remote_access_revoke(user=member, actor=admin_user)
    response = client.get(authorize_url(charts.application), REMOTE_ADDR=REMOTE)
    refused(response, "remote-access")
    refusal_audited(member, "remote-access")


def test_item2_outside_login_times_is_refused(client, member, admin_user, charts):
    sign_in(client, member)
    login_windows_set(user=member, actor=admin_user, restricted=True, windows={})
    response = client.get(authorize_url(charts.application))
    refused(response, "login-times")
    assert "Not allowed at this time" in response.content.decode()
    refusal_audited(member, "login-times")


def test_item2_a_locked_account_is_refused(client, member, admin_user, charts):
    sign_in(client, member)
    user_lock(user=member, actor=admin_user)
    response = client.get(authorize_url(charts.application))
    refused(response, "locked")
    assert "Your account is locked" in response.content.decode()
    refusal_audited(member, "locked")


def test_item2_an_account_whose_end_date_came_is_refused(client, member, charts):
    sign_in(client, member)
    # The date passes (at midnight, before any scheduled job ran).
    User.objects.filter(pk=member.pk).update(
        access_ends_on=timezone.localdate() - timedelta(days=1)
    )
    response = client.get(authorize_url(charts.application))
    refused(response, "access-ended")
    assert "Your access has ended" in response.content.decode()
    refusal_audited(member, "access-ended")


def test_item2_an_inactive_account_is_refused(client, member, charts):
    sign_in(client, member)
    User.objects.filter(pk=member.pk).update(is_active=False)
    response = client.get(authorize_url(charts.application))
    refused(response, "inactive")
    refusal_audited(member, "inactive")


def test_item2_a_session_that_merely_timed_out_signs_in_again(client, member, charts):
    sign_in(client, member)
    session = client.session
    session["_pg_seen"] -= 3 * 3600
    session.save()
    response = client.get(authorize_url(charts.application))
    assert response["Location"].startswith("/p/valley/login/")
    assert not AuditEvent.objects.filter(action="app.refused").exists()


def test_item2_prompt_none_hears_access_denied_at_once(client, member, admin_user, charts):
    sign_in(client, member)
    user_lock(user=member, actor=admin_user)
    response = client.get(authorize_url(charts.application, prompt="none"))
    assert response.status_code == 302
    query = query_of(response["Location"])
    assert query["error"] == "access_denied" and query["state"] == "state-1"


def test_item2_a_switched_off_application_signs_nobody_in(client, member, charts):
    sign_in(client, member)
    application_switch(application=charts.application, actor=None, on=False)
    response = client.get(authorize_url(charts.application))
    assert response.status_code == 400 and "Location" not in response


def test_item2_an_application_can_ask_for_a_second_factor_even_in_the_office(
    client, office, member, practice
):
    strict = make_application(practice, name="Billing", always_second_factor=True)
    device = app_device(member)
    # The practice does not ask for one in the office: the sign-in has none.
    client.post("/p/valley/login/", {"username": "nina", "password": PASSWORD})
    url = authorize_url(strict.application)
    response = client.get(url)
    # Sign in again, asked for the second factor this time.
    assert response["Location"].startswith("/p/valley/login/")
    assert query_of(response["Location"])["next"] == url
    signed_in = client.post(response["Location"], {"username": "nina", "password": PASSWORD})
    assert signed_in["Location"] == "/login/verify/"
    verified = client.post("/login/verify/", {"code": app_code(device)})
    assert verified["Location"] == url
    tokens = token_request(strict, code_from(client.get(url))).json()
    claims = verified_claims(tokens["id_token"], audience=strict.application.client_id)
    assert claims["amr"] == ["pwd", "otp", "mfa"]


def test_item2_a_browser_signing_in_to_it_first_is_asked_for_the_second_factor(
    client, office, member, practice
):
    strict = make_application(practice, name="Billing", always_second_factor=True)
    device = app_device(member)
    url = authorize_url(strict.application)
    login = client.get(url)["Location"]
    # A wrong password first: the demand holds for the next attempt.
    client.post(login, {"username": "nina", "password": "wrong"})
    signed_in = client.post(login, {"username": "nina", "password": PASSWORD})
    assert signed_in["Location"] == "/login/verify/"
    assert client.post("/login/verify/", {"code": app_code(device)})["Location"] == url
    code_from(client.get(url))
