"""Deactivating a user from the console asks first, as Django admin asks support staff: the
"Deactivate" page, or unticking "Active" on the user page, lists what will happen, and only
"Confirm deactivation" does it, through accounts.lifecycle.user_deactivate."""

import pytest
from django.utils import timezone

from accounts.models import UserSession
from accounts.remote_access import remote_access_grant
from practice.models import AuditEvent
from tests.factories import AdminFactory, PracticeFactory, UserFactory
from tests.practice.test_console_user import form_of, save
from tests.signin_helpers import signed_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def remote_member(member, admin_user):
    member.pm_username = "NREYES"
    member.save()
    remote_access_grant(user=member, actor=admin_user)
    now = timezone.now()
    UserSession.objects.create(
        user=member, session_key="s" * 32, zone="office", created_at=now, last_activity=now
    )
    return member


def test_the_user_page_offers_deactivate_for_an_active_user_other_than_oneself(
    console, member, admin_user
):
    assert f'href="/console/users/{member.pk}/deactivate/"' in (
        console.get(f"/console/users/{member.pk}/").content.decode()
    )
    assert "/deactivate/" not in console.get(f"/console/users/{admin_user.pk}/").content.decode()


def test_the_confirmation_lists_what_will_happen_and_changes_nothing(console, remote_member):
    response = console.get(f"/console/users/{remote_member.pk}/deactivate/")
    page = response.content.decode()
    assert response.status_code == 200
    assert f"Deactivate {remote_member}?" in page
    assert "sign them out of 1 active session now" in page
    assert "remove their remote access" in page
    assert "Confirm deactivation" in page
    remote_member.refresh_from_db()
    assert remote_member.is_active and remote_member.remote_access


def test_confirm_deactivation_goes_through_the_deactivate_service(
    console, remote_member, admin_user
):
    browser = signed_in_client(remote_member)
    response = console.post(f"/console/users/{remote_member.pk}/deactivate/")
    assert response["Location"] == f"/console/users/{remote_member.pk}/#access"
    remote_member.refresh_from_db()
    assert not remote_member.is_active and not remote_member.remote_access
    assert AuditEvent.objects.filter(
        action="user.deactivated", target=remote_member, actor=admin_user
    ).exists()
    assert browser.get("/account/").status_code == 302
    page = console.get(response["Location"]).content.decode()
    assert "is deactivated" in page and "Their remote access was removed." in page


def test_unticking_active_asks_first_and_carries_the_other_changes(console, member):
    response = save(console, member, active="", pm_username="NEWNAME")
    page = response.content.decode()
    assert "Confirm deactivation" in page
    assert 'name="pm_username" value="NEWNAME"' in page
    assert 'name="confirm_deactivation" value="yes"' in page
    member.refresh_from_db()
    assert member.is_active and member.pm_username == ""

    data = {**form_of(member, active="", pm_username="NEWNAME"), "confirm_deactivation": "yes"}
    console.post(f"/console/users/{member.pk}/", data)
    member.refresh_from_db()
    assert not member.is_active and member.pm_username == "NEWNAME"


def test_oneself_and_an_inactive_user_are_not_deactivated_here(console, admin_user, practice):
    inactive = UserFactory(practice=practice, is_active=False)
    for user in (admin_user, inactive):
        response = console.post(f"/console/users/{user.pk}/deactivate/", follow=True)
        assert "cannot be deactivated from here" in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_another_practices_user_is_a_404(console):
    stranger = AdminFactory(practice=PracticeFactory())
    assert console.get(f"/console/users/{stranger.pk}/deactivate/").status_code == 404
    assert console.post(f"/console/users/{stranger.pk}/deactivate/").status_code == 404
    stranger.refresh_from_db()
    assert stranger.is_active
