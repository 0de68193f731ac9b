"""Password expiry (90 days by default) and the "Your password expires in N days" banner."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from accounts.passwords import password_expires_at, password_expiry_days_left, password_is_expired
from practice.models import PasswordProfile
from tests.factories import UserFactory
from tests.signin_helpers import sign_in

pytestmark = pytest.mark.django_db

CHANGED_AT = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)


@pytest.fixture
def nina(practice):
    return UserFactory(practice=practice, username="nina", password_changed_at=CHANGED_AT)


def test_expires_ninety_days_after_the_change(nina):
    assert password_expires_at(nina) == CHANGED_AT + timedelta(days=90)
    with time_machine.travel(CHANGED_AT + timedelta(days=89, hours=23), tick=False):
        assert not password_is_expired(nina)
        assert password_expiry_days_left(nina) == 1
    with time_machine.travel(CHANGED_AT + timedelta(days=90), tick=False):
        assert password_is_expired(nina)
        assert password_expiry_days_left(nina) == 0


def test_practice_expiry_setting_is_followed_and_zero_means_never(nina, practice):
    practice.password_expiry_days = 30
    practice.save()
    assert password_expires_at(nina) == CHANGED_AT + timedelta(days=30)
    practice.password_expiry_days = 0
    practice.save()
    assert password_expires_at(nina) is None
    assert not password_is_expired(nina, now=CHANGED_AT + timedelta(days=3650))


def test_nist_profile_never_expires(nina, practice):
    practice.password_profile = PasswordProfile.NIST
    practice.save()
    assert password_expiry_days_left(nina) is None


def test_no_banner_fifteen_days_before(client, nina):
    with time_machine.travel(CHANGED_AT + timedelta(days=75), tick=False):
        sign_in(client, nina)
        body = client.get("/account/").content.decode()
    assert "Your password expires in" not in body


@pytest.mark.parametrize(("day", "days_left"), [(76, 14), (87, 3)])
def test_banner_on_every_page_from_fourteen_days_before(client, nina, day, days_left):
    with time_machine.travel(CHANGED_AT + timedelta(days=day), tick=False):
        sign_in(client, nina)
        for path in ("/account/", "/account/password/"):
            body = client.get(path).content.decode()
            assert f"Your password expires in {days_left} days." in body, path
            assert 'href="/account/password/">Change password</a>' in body


def test_banner_says_one_day(client, nina):
    with time_machine.travel(CHANGED_AT + timedelta(days=89, hours=1), tick=False):
        sign_in(client, nina)
        body = client.get("/account/").content.decode()
    assert "Your password expires in 1 day." in body


def test_banner_goes_once_the_password_is_changed(client, nina):
    with time_machine.travel(CHANGED_AT + timedelta(days=80), tick=False):
        sign_in(client, nina)
        client.post(
            "/account/password/",
            {
                "current_password": "Correct-Horse-9!",
                "new_password1": "Granite-River-42",
                "new_password2": "Granite-River-42",
            },
        )
        body = client.get("/account/").content.decode()
    assert "Your password expires in" not in body
    assert "Your password expires on Jun 24, 2026." in body


def test_no_banner_for_visitors(client, nina):
    with time_machine.travel(CHANGED_AT + timedelta(days=80), tick=False):
        body = client.get("/login/").content.decode()
    assert "Your password expires in" not in body
