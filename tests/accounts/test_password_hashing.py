"""Passwords are hashed with production's Argon2 parameters, and a hash made with anything
older (another hasher, or weaker Argon2 parameters) is replaced at the user's next sign-in,
without the user doing anything."""

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, PBKDF2PasswordHasher, identify_hasher
from django.test import override_settings

from config import settings as production_settings
from tests.accounts.conftest import sign_in_post
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Correct-Horse-9!"


class WeakArgon2(Argon2PasswordHasher):
    """Argon2 as OWASP's minimum has it (19 MiB, 2 passes, 1 lane): an older choice."""

    memory_cost = 19 * 1024
    time_cost = 2
    parallelism = 1


@pytest.fixture(autouse=True)
def production_hashers():
    with override_settings(PASSWORD_HASHERS=production_settings.PASSWORD_HASHERS):
        yield


@pytest.mark.parametrize(
    "old", [WeakArgon2(), PBKDF2PasswordHasher()], ids=["weaker-argon2", "pbkdf2"]
)
def test_an_older_hash_is_replaced_at_the_next_sign_in(client, office, practice, old):
    user = UserFactory(practice=practice, username="nina")
    user.password = old.encode(PASSWORD, old.salt())
    user.save(update_fields=["password"])

    response = sign_in_post(client, practice, "nina", PASSWORD)

    assert response.status_code == 302
    user.refresh_from_db()
    assert identify_hasher(user.password).algorithm == "argon2"
    params = Argon2PasswordHasher().params()
    assert f"m={params.memory_cost},t={params.time_cost},p={params.parallelism}" in user.password
    assert user.check_password(PASSWORD)


def test_a_wrong_password_leaves_the_old_hash_alone(client, office, practice):
    user = UserFactory(practice=practice, username="nina")
    user.password = old = WeakArgon2().encode(PASSWORD, WeakArgon2().salt())
    user.save(update_fields=["password"])

    sign_in_post(client, practice, "nina", "Wrong-Horse-1!")

    user.refresh_from_db()
    assert user.password == old
