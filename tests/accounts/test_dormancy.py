"""Dormant accounts: deactivated after the practice's days without sign-in (invited users from the
invitation), administrators and emergency accounts warned instead, a weekly digest."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from accounts.invitations import invitation_create
from accounts.models import Role
from practice.models import AuditEvent
from tests.accounts.conftest import sign_in_post
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
START = datetime(2026, 1, 5, 9, 0, tzinfo=NY)


@pytest.fixture
def dormant_rule(practice):
    practice.dormant_after_days = 90
    practice.save()
    return practice


def at(days: float):
    return time_machine.travel(START + timedelta(days=days), tick=False)


def test_a_user_is_deactivated_the_day_after_the_limit_not_before(dormant_rule, member, admin_user):
    member.last_login = START
    member.save()
    admin_user.last_login = START + timedelta(days=100)  # the admin keeps signing in
    admin_user.save()
    with at(89.9):
        call_command("deactivate_dormant")
    member.refresh_from_db()
    assert member.is_active
    with at(90.1):
        call_command("run_scheduled")
        call_command("run_scheduled")
    member.refresh_from_db()
    assert not member.is_active
    (event,) = AuditEvent.objects.filter(action="user.deactivated", target=member)
    assert event.actor is None and event.details == {"why": "dormant"}


def test_an_invited_user_counts_from_the_invitation(dormant_rule, admin_user):
    invited = UserFactory(practice=dormant_rule, username="newbie")
    invited.set_unusable_password()
    invited.save()
    with at(50):
        invitation_create(user=invited, actor=admin_user)
    with at(120):
        call_command("run_scheduled")
    invited.refresh_from_db()
    assert invited.is_active  # 70 days since the invitation
    with at(141):
        call_command("run_scheduled")
    invited.refresh_from_db()
    assert not invited.is_active


def test_administrators_and_emergency_accounts_are_warned_once_not_deactivated(
    dormant_rule, admin_user
):
    on_call = UserFactory(practice=dormant_rule, emergency_access=True, last_login=START)
    admin_user.last_login = START
    admin_user.save()
    with at(95):
        call_command("run_scheduled")
        call_command("run_scheduled")
    for user in (admin_user, on_call):
        user.refresh_from_db()
        assert user.is_active
        assert AuditEvent.objects.filter(action="user.dormant_warned", target=user).count() == 1
    warnings = [m for m in mail.outbox if "not been used" in m.subject]
    assert sorted(m.to[0] for m in warnings) == sorted([admin_user.email, on_call.email])


def test_a_practice_may_include_its_administrators(dormant_rule, admin_user, member):
    dormant_rule.dormant_includes_admins = True
    dormant_rule.save()
    UserFactory(practice=dormant_rule, role=Role.ADMIN, last_login=START + timedelta(days=90))
    admin_user.last_login = START
    admin_user.save()
    with at(95):
        call_command("run_scheduled")
    admin_user.refresh_from_db()
    assert not admin_user.is_active


def test_the_sign_in_itself_deactivates_a_dormant_user(client, office, dormant_rule, member):
    member.last_login = START
    member.save()
    with at(91):
        response = sign_in_post(client, office.practice, "nina", PASSWORD)
    assert "deactivated after 90 days without sign-in" in response.content.decode()
    member.refresh_from_db()
    assert not member.is_active


def test_a_weekly_digest_names_who_was_and_who_will_be_deactivated(
    dormant_rule, admin_user, member
):
    admin_user.last_login = START + timedelta(days=90)
    admin_user.save()
    member.last_login = START
    member.save()
    soon = UserFactory(
        practice=dormant_rule,
        first_name="Sam",
        last_name="Soon",
        last_login=START + timedelta(days=5),
    )
    with at(90.5):
        call_command("run_scheduled")
        call_command("run_scheduled")
    (digest,) = [m for m in mail.outbox if "accounts unused" in m.subject]
    assert digest.to == [admin_user.email]
    assert "Nina Reyes (nina)" in digest.body and f"Sam Soon ({soon.username})" in digest.body
    with at(94):
        call_command("run_scheduled")
    assert len([m for m in mail.outbox if "accounts unused" in m.subject]) == 1
    with at(97.6):
        call_command("run_scheduled")
    assert len([m for m in mail.outbox if "accounts unused" in m.subject]) == 2
