"""Emailed links used twice at once are used once (real threads on PostgreSQL)."""

import pytest
from django.db import connection

from accounts.password_reset import password_reset_complete
from accounts.profile import email_change_confirm
from accounts.tokens import email_change_token, password_reset_tokens
from practice.models import AuditEvent
from tests.factories import UserFactory
from tests.threads import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locking")


def test_a_reset_link_submitted_twice_at_once_sets_one_password():
    user = UserFactory()
    token = password_reset_tokens.make_token(user)
    passwords = ["First-Choice-11!", "Second-Choice-22!"]

    results, errors = run_together(
        2,
        lambda i: password_reset_complete(user=user, token=token, password=passwords[i]),
    )
    assert (len(results), len(errors)) == (1, 1)
    assert errors[0].code == "reset_link_invalid"
    user.refresh_from_db()
    assert sum(user.check_password(p) for p in passwords) == 1
    assert AuditEvent.objects.filter(action="password.reset", target=user).count() == 1


def test_an_email_link_confirmed_twice_at_once_changes_the_address_once():
    user = UserFactory(email="old@example.test")
    token = email_change_token(user=user, new_email="new@example.test")

    results, errors = run_together(2, lambda i: email_change_confirm(token=token))
    assert (len(results), len(errors)) == (1, 1)
    user.refresh_from_db()
    assert user.email == "new@example.test"
    assert AuditEvent.objects.filter(action="email.changed", target=user).count() == 1
