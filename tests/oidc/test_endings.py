"""Item 5 of issue 23: access ends in every application at once.

Each ending, done as the practice does it (the console, the scheduled job, the user signing
out, the application itself): the user's tokens stop working there and then (userinfo 401, a
refresh refused), and the application's back-channel logout endpoint (tests.oidc.receiver, a
server of its own) receives a logout token it verifies against the published JWKS, naming the
user (`sub`) and the session (`sid`) of the ID token it had.
"""

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from accounts.lockout import user_lock
from accounts.models import ReviewDecision, User, UserSession
from accounts.remote_access import remote_access_grant, remote_access_revoke
from accounts.reviews import review_decide, review_finish, review_start
from oidc.models import ApplicationSignIn, LogoutDelivery
from practice.models import AuditEvent
from tests.factories import PASSWORD, UserFactory, starting_role
from tests.mfa.helpers import app_device, reauth
from tests.oidc.helpers import (
    application,
    authorize_url,
    make_application,
    pkce,
    query_of,
    refresh_request,
    sign_in_to,
    token_request,
    userinfo,
    verified_claims,
)
from tests.oidc.receiver import logout_claims
from tests.signin_helpers import sign_in, signed_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def ends(django_capture_on_commit_callbacks):
    """Around an ending: what runs once it commits (the applications' endings, the logout
    tokens) runs, as it would after a real request."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def signed_in_to_charts(member, charts, *, zone="office"):
    # From outside, the sign-in passed a second factor (as the sign-in pipeline asks).
    device = app_device(member, name="Phone") if zone == "remote" else None
    browser = signed_in_client(member, zone=zone, device=device)
    tokens = sign_in_to(browser, charts)
    claims = verified_claims(tokens["id_token"], audience=charts.application.client_id)
    return browser, tokens, claims


def assert_ended(browser, charts, tokens, claims, receiver, *, reason: str, count: int = 1):
    """The tokens are dead, and the application got its logout token for this sign-in."""
    assert userinfo(tokens["access_token"]).status_code == 401
    assert refresh_request(charts, tokens["refresh_token"]).json()["error"] == ("invalid_grant")
    assert len(receiver.tokens) == count
    logout = logout_claims(receiver.tokens[-1], audience=charts.application.client_id)
    assert logout["sub"] == claims["sub"]
    assert logout["sid"] == claims["sid"]
    signed_out = AuditEvent.objects.filter(action="app.signed_out").latest("id")
    assert signed_out.details == {"application": "Charts", "reason": reason}
    sent = AuditEvent.objects.filter(action="app.logout_sent").latest("id")
    assert sent.details == {"application": "Charts", "attempt": 1}
    assert LogoutDelivery.objects.filter(delivered_at__isnull=False).count() == count


def test_item5_deactivation(console, member, charts, receiver, ends):
    browser, tokens, claims = signed_in_to_charts(member, charts)
    with ends():
        response = console.post(f"/console/users/{member.pk}/deactivate/")
    assert response.status_code == 302
    assert_ended(browser, charts, tokens, claims, receiver, reason="deactivated")


def test_item5_offboarding(console, member, charts, receiver, ends):
    browser, tokens, claims = signed_in_to_charts(member, charts)
    with ends():
        console.post(f"/console/users/{member.pk}/offboard/")
    assert not User.objects.get(pk=member.pk).is_active
    assert_ended(browser, charts, tokens, claims, receiver, reason="deactivated")


def test_item5_an_end_date_reached(member, charts, receiver, ends):
    browser, tokens, claims = signed_in_to_charts(member, charts)
    User.objects.filter(pk=member.pk).update(
        access_ends_on=timezone.localdate() - timedelta(days=1)
    )
    with ends():
        call_command("run_scheduled", stdout=io.StringIO())
    assert_ended(browser, charts, tokens, claims, receiver, reason="access_ended")


def test_item5_an_access_review_removes_remote_access(admin_user, member, charts, receiver, ends):
    member.pm_username = "NREYES"
    member.save()
    remote_access_grant(user=member, actor=admin_user)
    browser, tokens, claims = signed_in_to_charts(member, charts, zone="remote")
    # An office sign-in of the same user goes on.
    office_browser, office_tokens, _ = signed_in_to_charts(member, charts)
    review = review_start(practice=member.practice, actor=admin_user)
    item = review.items.get(user=member, kind="remote_access")
    others = {other.pk: ReviewDecision.KEEP for other in review.items.exclude(pk=item.pk)}
    review_decide(
        review=review, decisions={item.pk: ReviewDecision.REMOVE, **others}, actor=admin_user
    )
    with ends():
        review_finish(review=review, actor=admin_user)
    assert_ended(browser, charts, tokens, claims, receiver, reason="remote_access")
    assert userinfo(office_tokens["access_token"]).status_code == 200


def test_item5_sign_out_all_users(console, member, charts, receiver, ends):
    browser, tokens, claims = signed_in_to_charts(member, charts)
    with ends():
        console.post("/console/sign-out-everyone/")
    assert_ended(browser, charts, tokens, claims, receiver, reason="administrator")


def test_item5_the_end_of_a_remote_grant_for_a_remote_session(
    admin_user, member, charts, receiver, ends
):
    member.pm_username = "NREYES"
    member.save()
    remote_access_grant(user=member, actor=admin_user)
    browser, tokens, claims = signed_in_to_charts(member, charts, zone="remote")
    office_browser, office_tokens, _ = signed_in_to_charts(member, charts)
    with ends():
        remote_access_revoke(user=member, actor=admin_user)
    assert_ended(browser, charts, tokens, claims, receiver, reason="remote_access")
    # The office session and its sign-in to the application go on.
    assert userinfo(office_tokens["access_token"]).status_code == 200
    assert UserSession.objects.filter(user=member, ended_at__isnull=True).count() == 2


def test_item5_a_time_limited_grant_running_out(admin_user, member, charts, receiver, ends):
    member.pm_username = "NREYES"
    member.save()
    remote_access_grant(
        user=member, actor=admin_user, until=timezone.now() + timedelta(hours=1), reason="locum"
    )
    browser, tokens, claims = signed_in_to_charts(member, charts, zone="remote")
    User.objects.filter(pk=member.pk).update(remote_access_until=timezone.now())
    with ends():
        call_command("run_scheduled", stdout=io.StringIO())
    assert_ended(browser, charts, tokens, claims, receiver, reason="remote_access")


def test_item5_signing_out_of_practicegate_ends_that_sessions_applications(
    member, charts, receiver, ends
):
    browser, tokens, claims = signed_in_to_charts(member, charts)
    other_browser, other_tokens, _ = signed_in_to_charts(member, charts)
    with ends():
        browser.post("/logout/")
    assert_ended(browser, charts, tokens, claims, receiver, reason="signed_out")
    # The user's other browser, and its sign-in to the application, go on.
    assert userinfo(other_tokens["access_token"]).status_code == 200


def test_item5_rp_initiated_logout_ends_the_practicegate_session(
    member, practice, charts, receiver, ends
):
    notes = make_application(
        practice,
        name="Notes",
        redirect_uris=["https://notes.example.test/callback"],
        post_logout_redirect_uris=["https://notes.example.test/bye"],
    )
    browser, tokens, claims = signed_in_to_charts(member, charts)
    notes_tokens = sign_in_to_notes(browser, notes)
    with ends():
        response = browser.get(
            "/o/logout/",
            {
                "id_token_hint": notes_tokens["id_token"],
                "post_logout_redirect_uri": "https://notes.example.test/bye",
                "state": "s-1",
            },
        )
    assert response.status_code == 302
    assert response["Location"] == "https://notes.example.test/bye?state=s-1"
    # PracticeGate's session is over...
    assert not UserSession.objects.filter(user=member, ended_at__isnull=True).exists()
    assert "/login/" in browser.get("/account/")["Location"]
    # ...and with it the other application's sign-in: told over its back-channel.
    assert_ended(browser, charts, tokens, claims, receiver, reason="signed_out")
    assert userinfo(notes_tokens["access_token"]).status_code == 401


def sign_in_to_notes(browser, notes):
    verifier, challenge = pkce()
    url = authorize_url(
        notes.application,
        redirect_uri="https://notes.example.test/callback",
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    location = browser.get(url)["Location"]
    assert location.startswith("https://notes.example.test/callback?")
    return token_request(
        notes,
        query_of(location)["code"],
        verifier=verifier,
        redirect_uri="https://notes.example.test/callback",
    ).json()


def test_item5_sign_out_of_all_applications_on_the_user_page(
    console, member, charts, receiver, ends
):
    browser, tokens, claims = signed_in_to_charts(member, charts)
    page = console.get(f"/console/users/{member.pk}/").content.decode()
    assert "Charts" in page and "Sign out of all applications" in page
    with ends():
        response = console.post(f"/console/users/{member.pk}/applications/sign-out/")
    assert response["Location"].endswith("#applications")
    assert_ended(browser, charts, tokens, claims, receiver, reason="administrator")
    # Their PracticeGate session goes on; they are told who did it.
    assert browser.get("/account/").status_code == 200
    [notice] = [m for m in mail.outbox if "signed you out of your applications" in m.subject]
    assert "Charts" in notice.body and notice.to == [member.email]


def test_item5_the_authority_rule_holds_for_sign_out_of_all_applications(
    client, practice, admin_user, charts, ends
):
    manager = UserFactory(
        practice=practice, username="morgan", practice_role=starting_role(practice, "user_manager")
    )
    sign_in(client, manager)
    browser, tokens, _claims = signed_in_to_charts(admin_user, charts)
    response = client.post(f"/console/users/{admin_user.pk}/applications/sign-out/")
    assert response.status_code == 403
    assert userinfo(tokens["access_token"]).status_code == 200


def test_item5_a_refresh_after_the_account_was_locked_ends_the_sign_in(
    admin_user, member, charts, receiver, ends
):
    browser, tokens, claims = signed_in_to_charts(member, charts)
    user_lock(user=member, actor=admin_user)
    with ends():
        response = refresh_request(charts, tokens["refresh_token"])
    assert response.json()["error"] == "invalid_grant"
    assert len(receiver.tokens) == 1
    logout = logout_claims(receiver.tokens[0], audience=charts.application.client_id)
    assert logout["sid"] == claims["sid"]
    event = AuditEvent.objects.filter(action="app.signed_out").latest("id")
    assert event.details == {"application": "Charts", "refused": "locked"}


def test_item5_a_failed_logout_token_is_retried_with_back_off_and_audited(
    member, charts, receiver, ends, time_machine
):
    receiver.status = 500
    browser, tokens, claims = signed_in_to_charts(member, charts)
    with ends():
        browser.post("/logout/")
    delivery = LogoutDelivery.objects.get()
    assert delivery.attempts == 1 and delivery.delivered_at is None
    failed = AuditEvent.objects.get(action="app.logout_failed")
    assert failed.details["error"] == "answered HTTP 500" and failed.details["retry"] is True
    # Not yet due: the scheduled job leaves it.
    call_command("run_scheduled", stdout=io.StringIO())
    assert LogoutDelivery.objects.get().attempts == 1
    # After the first wait (60 s here), the scheduled job tries again; this time it arrives.
    receiver.status = 200
    time_machine.move_to(timezone.now() + timedelta(seconds=61))
    call_command("run_scheduled", stdout=io.StringIO())
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.delivered_at is not None
    assert len(receiver.tokens) == 2
    logout = logout_claims(receiver.tokens[-1], audience=charts.application.client_id)
    assert logout["sid"] == claims["sid"]
    assert AuditEvent.objects.filter(action="app.logout_sent").get().details["attempt"] == 2


def test_item5_a_logout_token_nobody_takes_is_given_up_after_the_last_wait(
    member, charts, receiver, ends, time_machine
):
    receiver.status = 503
    browser, _tokens, _claims = signed_in_to_charts(member, charts)
    with ends():
        browser.post("/logout/")
    for wait in (60, 300):
        time_machine.move_to(timezone.now() + timedelta(seconds=wait + 1))
        call_command("run_scheduled", stdout=io.StringIO())
    delivery = LogoutDelivery.objects.get()
    assert delivery.attempts == 3 and delivery.given_up_at is not None
    assert AuditEvent.objects.filter(action="app.logout_failed").count() == 3
    assert (
        AuditEvent.objects.filter(action="app.logout_failed").latest("id").details["retry"] is False
    )


def test_item5_an_application_without_a_back_channel_uri_loses_its_tokens_all_the_same(
    console, member, practice, ends
):
    quiet = make_application(practice, name="Quiet")
    browser = signed_in_client(member)
    tokens = sign_in_to(browser, quiet)
    with ends():
        console.post(f"/console/users/{member.pk}/deactivate/")
    assert userinfo(tokens["access_token"]).status_code == 401
    assert not LogoutDelivery.objects.exists()
    assert ApplicationSignIn.objects.get().ended_at is not None


def test_item5_a_password_change_ends_the_other_sessions_applications(
    member, charts, receiver, ends
):
    browser, tokens, claims = signed_in_to_charts(member, charts)
    me = signed_in_client(member)
    reauth(me)
    with ends():
        me.post(
            "/account/password/",
            {
                "current_password": PASSWORD,
                "new_password1": "Another-Horse-10!",
                "new_password2": "Another-Horse-10!",
            },
        )
    assert_ended(browser, charts, tokens, claims, receiver, reason="password_changed")


def test_item5_an_emergency_sessions_applications_end_with_its_four_hours(
    member, charts, receiver, ends
):
    browser, tokens, claims = signed_in_to_charts(member, charts)
    # The session was an emergency one, and its four hours are up.
    UserSession.objects.filter(user=member).update(
        emergency_until=timezone.now() - timedelta(minutes=1)
    )
    with ends():
        assert refresh_request(charts, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert userinfo(tokens["access_token"]).status_code == 401
    logout = logout_claims(receiver.tokens[0], audience=charts.application.client_id)
    assert logout["sid"] == claims["sid"]
    event = AuditEvent.objects.filter(action="app.signed_out").latest("id")
    assert event.details == {"application": "Charts", "reason": "emergency_ended"}


@pytest.mark.parametrize("which", ["refresh_token", "access_token"])
def test_item5_an_application_revoking_its_token_ends_that_sign_in_only(
    member, charts, receiver, ends, which
):
    browser, tokens, _claims = signed_in_to_charts(member, charts)
    _other_browser, other_tokens, _ = signed_in_to_charts(member, charts)
    with ends():
        response = application().post(
            "/o/revoke_token/",
            {
                "token": tokens[which],
                "token_type_hint": which,
                "client_id": charts.application.client_id,
                "client_secret": charts.secret,
            },
        )
    assert response.status_code == 200
    assert userinfo(tokens["access_token"]).status_code == 401
    assert refresh_request(charts, tokens["refresh_token"]).status_code == 400
    # It asked: no logout token to it; the user's other sign-in goes on.
    assert receiver.tokens == []
    assert userinfo(other_tokens["access_token"]).status_code == 200
    assert ApplicationSignIn.objects.filter(ended_at__isnull=True).count() == 1
