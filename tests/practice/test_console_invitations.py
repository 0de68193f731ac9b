"""Adding users: invitations end to end, re-invite, corrections, temporary passwords, Copy user."""

import re
from datetime import time

import pytest
from django.core import mail
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.invitations import invitation_for_token
from accounts.login_times import login_windows_set
from accounts.models import Invitation, Role, TwoFactorSetup, User
from accounts.remote_access import remote_access_grant
from practice.models import AuditEvent, Practice
from tests.account_helpers import link_open, link_secret
from tests.factories import UserFactory, starting_role

pytestmark = pytest.mark.django_db

NEW_USER = {
    "username": "kim",
    "first_name": "Kim",
    "last_name": "Fox",
    "email": "kim@example.test",
    "mobile_phone": "(202) 555-0143",
    "then": "invite",
}


def new_user_data() -> dict:
    """The "Add user" form as posted, with the practice's starting "User" role chosen."""
    return {**NEW_USER, "role": starting_role(Practice.objects.get(code="valley")).pk}


def registration_in_list(console, name: str) -> str:
    body = console.get("/console/?filtered=1").content.decode()
    row = next(r for r in re.findall(r"<tr>.*?</tr>", body, flags=re.S) if name in r)
    return re.findall(r'class="badge[^"]*">([^<]+)<', row)[-2]


def test_the_add_user_page_has_its_fields(console):
    body = console.get("/console/users/new/").content.decode()
    for label in ["Username", "First name", "Last name", "Email", "Mobile phone", "Role"]:
        assert f">{label}</label>" in body
    assert "Send an invitation by email" in body and "Set a temporary password" in body


def test_invitation_end_to_end(console, admin_user):
    response = console.post("/console/users/new/", new_user_data(), follow=True)
    assert "Added Kim Fox; an invitation was emailed to kim@example.test." in (
        response.content.decode()
    )
    kim = User.objects.get(practice=admin_user.practice, username="kim")
    assert kim.mobile_phone == "+12025550143" and not kim.has_usable_password()
    assert registration_in_list(console, "Kim Fox") == "invited"
    assert [e.action for e in AuditEvent.objects.filter(target=kim).order_by("id")] == [
        "user.created",
        "user.invited",
    ]
    (message,) = mail.outbox
    assert message.to == ["kim@example.test"]
    assert "Valley Pediatrics" in message.subject
    assert "kim" in message.body and "7 days" in message.body

    invitee = Client()
    response = link_open(invitee, message.body, follow=True)
    assert response.status_code == 200
    assert "Welcome, Kim" in response.content.decode()
    response = invitee.post(
        "/invite/set/",
        {"new_password1": "Blue-Canyon-Rain-4!", "new_password2": "Blue-Canyon-Rain-4!"},
    )
    assert response.status_code == 302
    kim.refresh_from_db()
    assert kim.check_password("Blue-Canyon-Rain-4!")
    assert registration_in_list(console, "Kim Fox") == "registered"
    # The link was single use.
    assert link_open(invitee, message.body, follow=True).status_code == 400


def test_registration_shows_phone_not_verified_when_two_step_is_on(console, admin_user):
    console.post("/console/users/new/", {**new_user_data(), "verify_phone_at_registration": "on"})
    kim = User.objects.get(username="kim")
    assert kim.verify_phone_at_registration
    kim.set_password("Blue-Canyon-Rain-4!")
    kim.save()
    assert registration_in_list(console, "Kim Fox") == "phone not verified"


def test_reinvite_sends_a_new_link_and_voids_the_old_one(console, admin_user):
    console.post("/console/users/new/", new_user_data())
    kim = User.objects.get(username="kim")
    old_token = link_secret(mail.outbox[0].body)
    response = console.post(f"/console/users/{kim.pk}/reinvite/", follow=True)
    assert "A new invitation was emailed to kim@example.test" in response.content.decode()
    assert len(mail.outbox) == 2
    new_token = link_secret(mail.outbox[1].body)
    assert new_token != old_token
    assert invitation_for_token(old_token) is None
    assert invitation_for_token(new_token).user == kim
    assert Invitation.objects.filter(user=kim, voided_at__isnull=False).count() == 1


def test_an_invited_users_email_and_phone_can_be_corrected(console, admin_user):
    console.post("/console/users/new/", {**new_user_data(), "email": "kim@typo.test"})
    kim = User.objects.get(username="kim")
    url = f"/console/users/{kim.pk}/invitation/"
    response = console.post(url, {"email": "kim@example.test", "mobile_phone": "+12025550187"})
    assert response.status_code == 302
    kim.refresh_from_db()
    assert (kim.email, kim.mobile_phone) == ("kim@example.test", "+12025550187")
    event = AuditEvent.objects.get(target=kim, action="user.contact_corrected")
    assert event.details["before"]["email"] == "kim@typo.test"
    console.post(f"/console/users/{kim.pk}/reinvite/")
    assert mail.outbox[-1].to == ["kim@example.test"]

    response = console.post(url, {"email": "not an email", "mobile_phone": "555"})
    assert response.status_code == 400
    response = console.post(url, {"email": "kim@example.test", "mobile_phone": "+1555"})
    assert response.status_code == 400
    assert "not a valid phone number" in response.content.decode()
    kim.refresh_from_db()
    assert kim.mobile_phone == "+12025550187"


def test_a_registered_user_is_not_re_invited(console, member):
    response = console.post(f"/console/users/{member.pk}/reinvite/", follow=True)
    assert "has already registered" in response.content.decode()
    assert mail.outbox == []


def test_add_with_a_temporary_password(console, admin_user):
    data = {
        **new_user_data(),
        "then": "temporary",
        "temporary_password": "Blue-Canoe-Paddle-8",
        "temporary_password2": "Blue-Canoe-Paddle-8",
    }
    response = console.post("/console/users/new/", data, follow=True)
    assert "with a temporary password" in response.content.decode()
    kim = User.objects.get(username="kim")
    assert kim.check_password("Blue-Canoe-Paddle-8") and kim.must_change_password
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"then": "temporary", "temporary_password": "weak", "temporary_password2": "weak"},
            "at least 8",
        ),
        (
            {
                "then": "temporary",
                "temporary_password": "Blue-Canoe-Paddle-8",
                "temporary_password2": "x",
            },
            "do not match",
        ),
        ({"username": "NINA"}, "already taken"),
        ({"username": ""}, "This field is required."),
        ({"email": ""}, "give an email address"),
        ({"mobile_phone": "12"}, "not a valid phone number"),
        ({"role": "superuser"}, "Select a valid choice"),
        ({"then": "carrier pigeon"}, "Select a valid choice"),
        ({"username": "x" * 500}, "at most 150 characters"),
    ],
)
def test_bad_input_creates_nobody(console, member, changes, message):
    before = User.objects.count()
    response = console.post("/console/users/new/", {**new_user_data(), **changes})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert User.objects.count() == before
    assert mail.outbox == []


def test_copy_user_copies_role_login_times_and_setup_but_never_credentials(console, admin_user):
    source = UserFactory(
        practice=admin_user.practice,
        username="frontdesk",
        first_name="Felix",
        last_name="Hart",
        role=Role.USER_MANAGER,
        two_factor_setup=TwoFactorSetup.REQUIRE,
        pm_username="FHART",
    )
    login_windows_set(
        user=source,
        actor=admin_user,
        restricted=True,
        windows={0: (time(7), time(19)), 4: (time(22), time(6))},
    )
    remote_access_grant(user=source, actor=admin_user)
    TOTPDevice.objects.create(user=source, name="Phone", confirmed=True)

    page = console.get(f"/console/users/new/?copy={source.pk}").content.decode()
    assert "Copying Felix Hart" in page
    manager_role = starting_role(admin_user.practice, Role.USER_MANAGER)
    assert f'<option value="{manager_role.pk}" selected>' in page

    data = {**new_user_data(), "role": manager_role.pk}
    response = console.post(f"/console/users/new/?copy={source.pk}", data)
    assert response.status_code == 302
    kim = User.objects.get(username="kim")
    assert kim.role == Role.USER_MANAGER
    assert kim.two_factor_setup == TwoFactorSetup.REQUIRE
    assert kim.login_times_restricted
    assert {(w.weekday, w.start, w.end) for w in kim.login_windows.all()} == {
        (0, time(7), time(19)),
        (4, time(22), time(6)),
    }
    assert not kim.has_usable_password()
    assert kim.pm_username == "" and not kim.remote_access
    assert not TOTPDevice.objects.filter(user=kim).exists()
    assert AuditEvent.objects.get(target=kim, action="user.copied").details == {"from": "frontdesk"}
