""" "Sign out all users" (ASVS V7.4.5): for a suspected break-in, an administrator ends every
session of the practice at once, all but their own browser's, from a page that says first
what will happen; one audit row per user signed out."""

import pytest

from accounts.models import UserSession
from practice.models import AuditEvent, PracticeRole
from tests.factories import PracticeFactory, UserFactory
from tests.signin_helpers import sign_in, signed_in_client

pytestmark = pytest.mark.django_db


def signed_in(client) -> bool:
    return client.get("/auth/verify").status_code == 200


def test_the_page_counts_the_sessions_it_will_end_and_changes_nothing(
    console, practice, member, admin_user
):
    signed_in_client(member)
    signed_in_client(member)
    signed_in_client(admin_user)  # the administrator's other browser
    page = console.get("/console/sign-out-everyone/").content.decode()
    assert "Sign out all users?" in page
    assert "end 3 active sessions of 2 users now" in page
    assert UserSession.objects.filter(ended_at__isnull=True).count() == 4


def test_everyone_is_signed_out_but_the_browser_asking(client, practice, member, admin_user):
    colleague = UserFactory(practice=practice, username="colleague")
    others = [signed_in_client(member), signed_in_client(colleague), signed_in_client(admin_user)]
    elsewhere = signed_in_client(UserFactory(practice=PracticeFactory(code="hill")))
    sign_in(client, admin_user)

    response = client.post("/console/sign-out-everyone/", follow=True)

    assert "Signed out 3 users." in response.content.decode()
    assert not any(signed_in(browser) for browser in others)
    assert signed_in(client) and signed_in(elsewhere)
    ended = UserSession.objects.filter(user__practice=practice, ended_at__isnull=False)
    assert {session.end_reason for session in ended} == {"administrator"}
    events = AuditEvent.objects.filter(practice=practice, action="sessions.ended")
    assert sorted(event.target.username for event in events) == sorted(
        ["nina", "colleague", admin_user.username]
    )
    assert {event.actor_id for event in events} == {admin_user.pk}
    assert all(event.details["reason"] == "administrator" for event in events)


def test_with_nobody_else_signed_in_it_says_so(console):
    response = console.post("/console/sign-out-everyone/", follow=True)
    assert "Nobody else was signed in." in response.content.decode()
    assert not AuditEvent.objects.filter(action="sessions.ended").exists()


def test_only_who_may_deactivate_users_is_offered_it(client, practice, member):
    front_desk = PracticeRole.objects.create(
        practice=practice, name="Front desk", permissions=["users.view", "users.unlock"]
    )
    clerk = UserFactory(practice=practice, username="clerk", practice_role=front_desk)
    sign_in(client, clerk)
    assert "Sign out all users" not in client.get("/console/").content.decode()
    assert client.post("/console/sign-out-everyone/").status_code == 403
