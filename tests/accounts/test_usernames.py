"""The username alphabet: ASCII letters, digits and . _ - @ after NFKC, everywhere a username is
made; gateway headers safe for any stored name (ASVS V2 input validation, V6.1 identifiers)."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from practice.models import AuditEvent, Practice
from tests.accounts.conftest import sign_in_post
from tests.factories import PASSWORD, UserFactory, starting_role
from tests.signin_helpers import sign_in

pytestmark = pytest.mark.django_db

REFUSED = {
    "cr-lf": "nina\r\nX-Auth-User: admin",
    "zero-width": "ni\u200bna",
    "bidi-override": "\u202eanin",
    "bell": "nina\x07",
    "cyrillic-a": "n\u0430dia",
    "space": "nina reyes",
    "slash": "nina/../admin",
    "accented": "josé",
}


def add_user(console, username):
    return console.post(
        "/console/users/new/",
        {
            "username": username,
            "email": "new@example.test",
            "role": starting_role(Practice.objects.get(code="valley")).pk,
            "then": "temporary",
            "temporary_password": "Welcome-Aboard-7!",
            "temporary_password2": "Welcome-Aboard-7!",
        },
    )


@pytest.mark.parametrize("username", REFUSED.values(), ids=REFUSED.keys())
def test_v2_2_the_console_refuses_a_username_outside_the_alphabet_in_plain_words(
    console, practice, username
):
    users_before = User.objects.count()
    events_before = AuditEvent.objects.count()
    response = add_user(console, username)
    assert response.status_code == 400
    body = response.content.decode()
    assert "A username may hold only the letters A to Z, digits and . _ - @" in body
    assert "Constraint" not in body
    assert User.objects.count() == users_before
    assert AuditEvent.objects.count() == events_before


def test_v2_2_full_width_letters_are_the_letters_they_look_like(console, practice):
    response = add_user(console, "ｎｉｎａ２")
    assert response.status_code == 302
    assert User.objects.filter(practice=practice, username="nina2").exists()


def test_v2_2_a_username_that_differs_only_by_full_width_or_case_is_taken(console, member):
    response = add_user(console, "ＮＩＮＡ")
    assert response.status_code == 400
    assert "already taken" in response.content.decode()


def test_v2_2_create_user_refuses_it_too(practice):
    with pytest.raises(CommandError, match="A username may hold only"):
        call_command("create_user", practice.code, "ni\u200bna", "--email", "n@example.test")
    assert not User.objects.filter(practice=practice).exists()


def test_v2_2_createsuperuser_refuses_it_too():
    with pytest.raises(CommandError):
        call_command(
            "createsuperuser",
            "--noinput",
            username="support\nteam",
            email="support@example.test",
            verbosity=0,
        )
    assert not User.objects.filter(is_staff=True).exists()


def test_v6_signing_in_with_full_width_letters_finds_the_user(client, office, member):
    response = sign_in_post(client, office.practice, "ｎｉｎａ", PASSWORD)
    assert response["Location"] == "/account/"


@pytest.mark.parametrize(
    "stored, header",
    [
        ("nina", "nina"),
        ("dr.reyes@clinic", "dr.reyes@clinic"),
        ("old\r\nname", "old%0D%0Aname"),
        ("josé", "jos%C3%A9"),
    ],
)
def test_v4_auth_verify_headers_are_ascii_without_line_breaks_for_any_stored_name(
    client, practice, stored, header
):
    # Names stored before the alphabet (or by hand) still answer, and safely.
    user = UserFactory(practice=practice, username="placeholder")
    User.objects.filter(pk=user.pk).update(username=stored)
    user.refresh_from_db()
    sign_in(client, user)
    response = client.get("/auth/verify")
    assert response.status_code == 200
    assert response["X-Auth-User"] == header
    assert response["X-Auth-User"].isascii()
