"""Races that matter, with real threads on PostgreSQL (skipped on SQLite)."""

import pytest
from django.db import connection

from accounts.invitations import invitation_accept, invitation_create, invitation_for_token
from accounts.models import Role, User
from accounts.users import user_create
from practice.models import AuditEvent
from tests.factories import PracticeFactory
from tests.threads import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locking")


def test_an_invitation_link_clicked_twice_at_once_is_used_once():
    practice = PracticeFactory()
    user = user_create(practice=practice, username="newbie", email="n@example.test", actor=None)
    token = invitation_create(user=user, actor=None)
    invitation = invitation_for_token(token)
    passwords = ["First-Choice-11!", "Second-Choice-22!"]

    results, errors = run_together(
        2, lambda i: invitation_accept(invitation=invitation, password=passwords[i])
    )
    assert len(results) == 1
    assert len(errors) == 1
    user.refresh_from_db()
    assert sum(user.check_password(p) for p in passwords) == 1
    assert AuditEvent.objects.filter(action="user.registered", target=user).count() == 1


def test_two_first_users_created_at_once_make_one_administrator():
    practice = PracticeFactory()
    results, errors = run_together(
        4,
        lambda i: user_create(
            practice=practice, username=f"first{i}", email=f"f{i}@example.test", actor=None
        ),
    )
    assert errors == []
    assert User.objects.filter(practice=practice, role=Role.ADMIN).count() == 1
    assert User.objects.filter(practice=practice).count() == 4
