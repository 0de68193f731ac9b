"""Access reviews: every remote-access grant and elevated role, Keep or Remove, finished through
the same services; started when due, lapsing 14 days after the due date (never the last admin)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command

from accounts.models import AccessReview, ReviewDecision, Role
from accounts.remote_access import remote_access_grant
from accounts.reviews import review_decide, review_due_on, review_finish, review_start
from practice.models import AuditEvent, Practice
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
MADE = datetime(2026, 1, 5, 9, 0, tzinfo=NY)


@pytest.fixture
def reviewed(practice, admin_user, member):
    Practice.objects.filter(pk=practice.pk).update(access_review_days=90, created_at=MADE)
    practice.refresh_from_db()
    member.pm_username = "NR"
    member.save()
    remote_access_grant(user=member, actor=admin_user)
    UserFactory(practice=practice, username="morgan", role=Role.USER_MANAGER)
    return practice


def items_of(review):
    return {(item.user.username, item.kind): item for item in review.items.all()}


def test_a_review_lists_grants_and_elevated_roles_with_who_granted_them(reviewed, admin_user):
    review = review_start(practice=reviewed, actor=admin_user)
    items = items_of(review)
    assert set(items) == {("nina", "remote_access"), ("avery", "role"), ("morgan", "role")}
    assert items[("nina", "remote_access")].granted_by == "Avery Admin"
    assert review.due_on == MADE.date() + timedelta(days=90)
    with pytest.raises(ValidationError, match="already open"):
        review_start(practice=reviewed, actor=admin_user)


def test_finishing_removes_what_was_marked_remove_and_audits_each(reviewed, admin_user, member):
    review = review_start(practice=reviewed, actor=admin_user)
    items = items_of(review)
    decisions = {
        items[("nina", "remote_access")].pk: ReviewDecision.REMOVE,
        items[("avery", "role")].pk: ReviewDecision.KEEP,
    }
    review_decide(review=review, decisions=decisions, actor=admin_user)
    with pytest.raises(ValidationError, match="1 not marked"):
        review_finish(review=review, actor=admin_user)
    review_decide(
        review=review,
        decisions={items[("morgan", "role")].pk: ReviewDecision.REMOVE},
        actor=admin_user,
    )
    result = review_finish(review=review, actor=admin_user)
    assert (result.kept, result.removed) == (1, 2)
    member.refresh_from_db()
    assert not member.remote_access
    assert reviewed.users.get(username="morgan").role == Role.USER
    assert AuditEvent.objects.filter(action="access_review.decided").count() == 3
    assert review_due_on(reviewed) == timezone_today_plus(90)


def timezone_today_plus(days):
    from django.utils import timezone

    return timezone.now().astimezone(NY).date() + timedelta(days=days)


def test_the_last_administrator_is_never_removed(reviewed, admin_user):
    review = review_start(practice=reviewed, actor=admin_user)
    review_decide(
        review=review,
        decisions={item.pk: ReviewDecision.REMOVE for item in review.items.all()},
        actor=admin_user,
    )
    result = review_finish(review=review, actor=admin_user)
    assert result.not_removed == 1
    admin_user.refresh_from_db()
    assert admin_user.role == Role.ADMIN


def test_due_reviews_start_by_themselves_and_lapse_after_fourteen_days(
    reviewed, admin_user, member
):
    due = MADE + timedelta(days=90)
    with time_machine.travel(due - timedelta(hours=12), tick=False):
        call_command("run_scheduled")
    assert not AccessReview.objects.exists()
    with time_machine.travel(due + timedelta(hours=1), tick=False):
        call_command("run_scheduled")
        call_command("run_scheduled")
    review = AccessReview.objects.get()
    assert review.started_by is None and review.is_open
    assert any("review" in m.subject and "is due" in m.subject for m in mail.outbox)
    with time_machine.travel(due + timedelta(days=13), tick=False):
        call_command("run_scheduled")
    member.refresh_from_db()
    assert member.remote_access
    with time_machine.travel(due + timedelta(days=14, hours=1), tick=False):
        call_command("run_scheduled")
        call_command("run_scheduled")
    review.refresh_from_db()
    assert not review.is_open
    member.refresh_from_db()
    assert not member.remote_access
    assert reviewed.users.get(username="morgan").role == Role.USER
    admin_user.refresh_from_db()
    assert admin_user.role == Role.ADMIN  # the last administrator stays
    assert AuditEvent.objects.filter(action="access_review.lapsed").count() == 3
    assert any("not reviewed in time" in m.subject for m in mail.outbox)
