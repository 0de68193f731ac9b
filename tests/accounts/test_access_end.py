"""End dates: from "Access ends on", in the practice's time zone, no sign-in; sessions end at once;
remote access removed; audited once; administrators told 7 days before; one field extends it."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from accounts.access_end import access_end_set
from accounts.remote_access import remote_access_grant
from practice.models import AuditEvent
from tests.accounts.conftest import sign_in_post
from tests.factories import PASSWORD
from tests.signin_helpers import signed_in_client

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
ENDS = date(2026, 6, 15)
# 23:59 in New York on the day before the end is already the 15th in UTC.
EVE_NY = datetime(2026, 6, 14, 23, 59, tzinfo=NY)
DAY_NY = datetime(2026, 6, 15, 0, 1, tzinfo=NY)
MESSAGE = (
    "Your access to Valley Pediatrics ended on June 15, 2026. Ask your practice administrator."
)


@pytest.fixture
def leaving(member, admin_user):
    with time_machine.travel(datetime(2026, 6, 1, 9, 0, tzinfo=NY), tick=False):
        access_end_set(user=member, actor=admin_user, ends_on=ENDS)
    return member


def test_the_day_before_the_end_in_the_practices_zone_the_user_still_signs_in(
    client, office, leaving
):
    with time_machine.travel(EVE_NY, tick=False):
        response = sign_in_post(client, office.practice, "nina", PASSWORD)
    assert response["Location"] == "/account/"


def test_from_the_end_day_the_sign_in_is_refused_with_the_date(client, office, leaving):
    with time_machine.travel(DAY_NY, tick=False):
        response = sign_in_post(client, office.practice, "nina", PASSWORD)
    body = response.content.decode()
    assert MESSAGE in body
    assert "access" in body.lower() and "ended" in body.lower()
    assert AuditEvent.objects.filter(action="user.access_ended", target=leaving).count() == 1


def test_a_live_session_ends_at_its_next_request_and_remote_access_goes(
    office, leaving, admin_user
):
    leaving.pm_username = "NR"
    leaving.save()
    remote_access_grant(user=leaving, actor=admin_user)
    with time_machine.travel(EVE_NY, tick=False) as clock:
        browser = signed_in_client(leaving)
        assert browser.get("/account/").status_code == 200
        clock.move_to(DAY_NY)
        response = browser.get("/account/", follow=True)
    assert "your access ended" in response.content.decode()
    leaving.refresh_from_db()
    assert not leaving.remote_access and leaving.access_ended_at is not None
    removed = AuditEvent.objects.get(action="remote_access.removed", target=leaving)
    assert removed.details["reason"] == "access_ended"


def test_the_scheduled_job_carries_the_end_out_once_however_often_it_runs(leaving, admin_user):
    leaving.pm_username = "NR"
    leaving.save()
    remote_access_grant(user=leaving, actor=admin_user)
    with time_machine.travel(DAY_NY, tick=False):
        call_command("run_scheduled")
        call_command("run_scheduled")
    assert AuditEvent.objects.filter(action="user.access_ended", target=leaving).count() == 1
    leaving.refresh_from_db()
    assert not leaving.remote_access


def test_extending_the_date_is_one_field_and_lets_them_back_in(client, office, leaving, admin_user):
    with time_machine.travel(DAY_NY, tick=False):
        call_command("run_scheduled")
        access_end_set(user=leaving, actor=admin_user, ends_on=ENDS + timedelta(days=30))
        response = sign_in_post(client, office.practice, "nina", PASSWORD)
    assert response["Location"] == "/account/"
    event = (
        AuditEvent.objects.filter(action="user.access_end_changed", target=leaving)
        .order_by("id")
        .last()
    )
    assert event.details == {"before": "2026-06-15", "after": "2026-07-15"}


def test_administrators_are_told_once_seven_days_before(leaving, admin_user):
    with time_machine.travel(datetime(2026, 6, 8, 9, 0, tzinfo=NY), tick=False):
        call_command("run_scheduled")
        call_command("run_scheduled")
    notices = [m for m in mail.outbox if "access ends in 7 days" in m.subject]
    assert [m.to for m in notices] == [[admin_user.email]]
    assert "Monday, June 15, 2026" in notices[0].body


def test_the_console_list_shows_ends_in_n_days_in_the_last_fourteen(console, leaving):
    with time_machine.travel(datetime(2026, 5, 31, 12, 0, tzinfo=NY), tick=False):
        assert "ends in" not in console.get("/console/").content.decode()
    with time_machine.travel(datetime(2026, 6, 5, 12, 0, tzinfo=NY), tick=False):
        assert "ends in 10 days" in console.get("/console/").content.decode()
