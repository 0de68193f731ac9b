"""The practice's password rules (accounts.passwords) as the change-password page applies them."""

import pytest
from django.core.exceptions import ValidationError

from accounts.password_rules import password_rules, validate_password
from practice.models import PasswordProfile, TwoFactorPolicy
from practice.policy import effective_policy
from tests.factories import PASSWORD, UserFactory
from tests.signin_helpers import sign_in

pytestmark = pytest.mark.django_db


def refused_codes(password, user):
    with pytest.raises(ValidationError) as caught:
        validate_password(password, user=user)
    return {error.code for error in caught.value.error_list}


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("GRANITE-RIVER-42", "password_no_lower"),
        ("granite-river-42", "password_no_upper"),
        ("Granite-River-xy", "password_no_digit"),
        ("GraniteRiver42x", "password_no_symbol"),
    ],
)
def test_each_missing_character_class_is_refused_by_name(member, password, code):
    assert refused_codes(password, member) == {code}


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("GRANITE-RIVER-42", "Add a lower-case letter"),
        ("granite-river-42", "Add an upper-case letter"),
        ("Granite-River-xy", "Add a number"),
        ("GraniteRiver42x", "Add a symbol such as ! or #"),
        ("Gr-4a", "Use at least 8 characters (this one has 5)"),
        ("P@ssw0rd", "one of the most common passwords"),
    ],
)
def test_change_password_page_says_which_rule_failed(client, member, password, message):
    sign_in(client, member)
    response = client.post(
        "/account/password/",
        {"current_password": PASSWORD, "new_password1": password, "new_password2": password},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_too_short_is_refused(member):
    assert refused_codes("Gr-4a", member) == {"password_too_short"}


def test_common_password_is_refused_even_with_all_four_classes(member):
    assert refused_codes("P@ssw0rd", member) == {"password_too_common"}


def test_password_like_the_username_or_practice_is_refused(member):
    assert "password_too_similar" in refused_codes("Nina-Reyes-2024!", member)
    assert "password_contains_practice" in refused_codes("Valley-Kids-2024!", member)


def test_a_good_password_passes(member):
    validate_password("Granite-River-42", user=member)


def test_nist_profile_has_no_classes_but_needs_fifteen_characters_without_second_factor(
    practice,
):
    practice.password_profile = PasswordProfile.NIST
    practice.save()
    user = UserFactory(practice=practice)
    validate_password("granite river boat", user=user)  # no classes asked
    assert refused_codes("granite river", user) == {"password_too_short"}
    assert refused_codes("1q2w3e4r5t6y7u8i9o0p", user) == {"password_too_common"}
    ids = [rule["id"] for rule in password_rules(effective_policy(user))]
    assert ids == ["length", "history", "common", "similar"]
    assert password_rules(effective_policy(user))[0]["min"] == 15


def test_nist_profile_asks_eight_where_a_second_factor_is_required(practice):
    practice.password_profile = PasswordProfile.NIST
    practice.two_factor_policy = TwoFactorPolicy.REQUIRE
    practice.save()
    user = UserFactory(practice=practice)
    validate_password("granite rivers", user=user)


def test_checklist_rules_follow_the_default_policy(member):
    rules = password_rules(effective_policy(member))
    assert [rule["id"] for rule in rules] == [
        "length",
        "lower",
        "upper",
        "digit",
        "symbol",
        "history",
        "common",
        "similar",
    ]
    assert rules[0] == {
        "id": "length",
        "text": "At least 8 characters",
        "live": True,
        "min": 8,
    }
    assert [rule["id"] for rule in rules if rule["live"]] == [
        "length",
        "lower",
        "upper",
        "digit",
        "symbol",
    ]


def test_change_password_page_renders_the_checklist_from_the_policy(client, member, practice):
    practice.password_min_length = 12
    practice.save()
    sign_in(client, member)
    body = client.get("/account/password/").content.decode()
    assert 'id="password-rules"' in body
    assert "At least 12 characters" in body
    assert 'data-rule="symbol"' in body
    assert "Not one of your last 6 passwords" in body
    assert "password_checklist.js" in body
    assert "<script>" not in body and "style=" not in body


def test_failed_server_side_rules_are_marked_on_the_checklist(client, member):
    sign_in(client, member)
    response = client.post(
        "/account/password/",
        {"current_password": PASSWORD, "new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    body = response.content.decode()
    assert "You used this password recently" in body
    assert 'data-rule="history" data-state="unmet"' in body
