"""Where a completed sign-in lands without a `next`: whoever may see the console's user list
(administrators, user managers, a custom role with "See the user list") on the console, others
on My Account."""

import pytest

from accounts.models import Role
from tests.accounts.conftest import sign_in_post
from tests.factories import PASSWORD, AdminFactory, UserFactory
from tests.signin_helpers import sign_in

pytestmark = pytest.mark.django_db


def test_an_administrator_lands_on_the_console(client, office):
    AdminFactory(practice=office.practice, username="avery")
    response = sign_in_post(client, office.practice, "avery", PASSWORD)
    assert response["Location"] == "/console/"


def test_a_user_manager_lands_on_the_console_they_work_in(client, office):
    UserFactory(practice=office.practice, username="uma", role=Role.USER_MANAGER)
    response = sign_in_post(client, office.practice, "uma", PASSWORD)
    assert response["Location"] == "/console/"


def test_everyone_else_lands_on_my_account(client, office):
    UserFactory(practice=office.practice, username="nina", role=Role.USER)
    response = sign_in_post(client, office.practice, "nina", PASSWORD)
    assert response["Location"] == "/account/"


def test_next_still_wins_for_an_administrator(client, office):
    AdminFactory(practice=office.practice, username="avery")
    response = client.post(
        f"/p/{office.practice.code}/login/?next=/account/",
        {"username": "avery", "password": PASSWORD},
    )
    assert response["Location"] == "/account/"


def test_the_home_page_sends_a_signed_in_administrator_to_the_console(client, admin_user):
    sign_in(client, admin_user)
    assert client.get("/")["Location"] == "/console/"


def test_the_home_page_sends_a_signed_in_user_to_my_account(client, member):
    sign_in(client, member)
    assert client.get("/")["Location"] == "/account/"
