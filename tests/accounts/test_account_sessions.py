"""/account/: the user's active sessions (listed, signed out) and recent sign-in activity."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import UserSession
from accounts.selectors import browser_label
from practice.audit import audit_record
from practice.models import AuditEvent
from tests.factories import UserFactory
from tests.mfa.helpers import reauth
from tests.signin_helpers import sign_in, signed_in_client

pytestmark = pytest.mark.django_db

CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def session_of(client):
    return UserSession.objects.get(session_key=client.session.session_key)


@pytest.fixture
def two_browsers(member):
    """The member at the office on an iPhone, and remote on Windows."""
    office = signed_in_client(member, zone="office")
    remote = signed_in_client(member, zone="remote")
    UserSession.objects.filter(pk=session_of(office).pk).update(
        user_agent=SAFARI_IPHONE, ip_address="10.0.0.12"
    )
    UserSession.objects.filter(pk=session_of(remote).pk).update(
        user_agent=CHROME_WINDOWS, ip_address="203.0.113.9"
    )
    return office, remote


def test_active_sessions_are_listed_with_browser_address_zone_and_activity(
    client, member, two_browsers
):
    sign_in(client, member)
    body = client.get("/account/").content.decode()
    assert "Active sessions" in body
    assert "Safari on iOS" in body and "10.0.0.12" in body
    assert "Chrome on Windows" in body and "203.0.113.9" in body
    assert "<td>Office</td>" in body and "<td>Remote</td>" in body
    assert "This browser" in body
    assert body.count('aria-label="Sign out ') == 2  # not for this browser
    assert ">Sign out all other sessions</button>" in body


def test_sign_out_one_session(client, member, two_browsers):
    office, remote = two_browsers
    sign_in(client, member)
    reauth(client)
    target = session_of(remote)
    response = client.post(f"/account/sessions/{target.pk}/sign-out/", follow=True)
    assert "That session is signed out." in response.content.decode()
    assert remote.get("/account/").status_code == 302
    assert office.get("/account/").status_code == 200
    assert client.get("/account/").status_code == 200
    target.refresh_from_db()
    assert target.ended_at is not None
    assert target.end_reason == "signed_out_remotely"
    event = AuditEvent.objects.get(action="sessions.ended", target=member)
    assert event.actor == member


def test_sign_out_all_other_sessions(client, member, two_browsers):
    office, remote = two_browsers
    sign_in(client, member)
    reauth(client)
    response = client.post("/account/sessions/sign-out-others/", follow=True)
    assert "2 other sessions signed out." in response.content.decode()
    assert office.get("/account/").status_code == 302
    assert remote.get("/account/").status_code == 302
    assert client.get("/account/").status_code == 200


def test_another_users_session_cannot_be_signed_out(client, member, practice):
    someone = UserFactory(practice=practice)
    theirs = signed_in_client(someone)
    sign_in(client, member)
    reauth(client)
    response = client.post(f"/account/sessions/{session_of(theirs).pk}/sign-out/", follow=True)
    assert "That session had already ended." in response.content.decode()
    assert theirs.get("/account/").status_code == 200


def test_sign_out_needs_post(client, member, two_browsers):
    sign_in(client, member)
    assert client.get("/account/sessions/sign-out-others/").status_code == 405


def test_recent_sign_in_activity_lists_the_last_twenty(client, member, practice):
    someone = UserFactory(practice=practice)
    start = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    for minute in range(25):
        with time_machine.travel(start + timedelta(minutes=minute), tick=False):
            audit_record(action="signin.succeeded", target=member, details={"zone": "remote"})
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        audit_record(action="signin.failed", target=member, details={"reason": "wrong_password"})
        audit_record(action="user.locked", target=member, details={"reason": "failed_attempts"})
        audit_record(action="signin.failed", target=someone, details={"reason": "wrong_password"})
        audit_record(action="profile.updated", target=member)
    sign_in(client, member)
    response = client.get("/account/")
    signins = response.context["signins"]
    assert len(signins) == 20
    assert [row.result for row in signins[:3]] == [
        "Locked after too many failed attempts",
        "Sign-in refused: wrong password",
        "Signed in (remote)",
    ]
    body = response.content.decode()
    assert "Recent sign-in activity" in body
    # Shown in the practice's time zone (New York): 15:00 UTC is 10:00 EST.
    assert "Mar 2, 2026 10:00 EST" in body


def test_browser_labels():
    assert browser_label(CHROME_WINDOWS) == "Chrome on Windows"
    assert browser_label(SAFARI_IPHONE) == "Safari on iOS"
    assert browser_label("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Firefox/128.0") == (
        "Firefox on Linux"
    )
    assert browser_label(CHROME_WINDOWS + " Edg/126.0") == "Edge on Windows"
    assert browser_label("") == "Unknown browser"


def test_account_page_query_count_does_not_grow_with_sessions_or_events(client, member):
    sign_in(client, member)
    client.get("/account/")  # the middleware's once-a-minute writes happen here
    with CaptureQueriesContext(connection) as few:
        assert client.get("/account/").status_code == 200
    for _ in range(10):
        signed_in_client(member)
        audit_record(action="signin.succeeded", target=member)
    with CaptureQueriesContext(connection) as many:
        assert client.get("/account/").status_code == 200
    assert len(many) == len(few) <= 6


def test_a_session_its_browser_left_is_not_listed_as_active(client, member, admin_user):
    """A browser closed without signing out leaves its session's row open until that browser
    comes back, maybe never. My Account and the console's user page list only the sessions
    that can still be used: one idle past the practice's timeout, or signed in more than the
    absolute limit ago, is not among them (a user signing in each morning had one more listed
    every day)."""
    office, remote = signed_in_client(member, zone="office"), signed_in_client(member)
    UserSession.objects.filter(pk=session_of(office).pk).update(
        user_agent=SAFARI_IPHONE,
        last_activity=datetime.now(tz=UTC) - timedelta(hours=3),  # idle: closed at lunch
    )
    UserSession.objects.filter(pk=session_of(remote).pk).update(
        user_agent=CHROME_WINDOWS,
        created_at=datetime.now(tz=UTC) - timedelta(hours=13),  # past the 12 hours
    )
    sign_in(client, member)
    body = client.get("/account/").content.decode()
    assert "This browser" in body
    assert "Safari on iOS" not in body and "Chrome on Windows" not in body
    assert 'aria-label="Sign out ' not in body
    console = signed_in_client(admin_user)
    page = console.get(f"/console/users/{member.pk}/").content.decode()
    assert "Active sessions" in page
    assert page.count('<span id="session-') == 1  # the browser signed in above, alone
