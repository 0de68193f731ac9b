"""Login windows: wall-clock times in the practice's zone, DST-correct, past midnight."""

from datetime import UTC, datetime, time

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import ValidationError

from accounts.login_times import login_allowed, login_windows_set
from accounts.models import LoginWindow
from practice.models import AuditEvent
from tests.accounts.conftest import sign_in_post
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

WEEKDAYS_7_TO_19 = {day: (time(7), time(19)) for day in range(5)}


def at(text: str) -> datetime:
    """A UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def weekday_user(member, admin_user):
    login_windows_set(user=member, actor=admin_user, restricted=True, windows=WEEKDAYS_7_TO_19)
    return member


@pytest.mark.parametrize(
    "instant, allowed",
    [
        # New York is UTC-5 in winter: Monday 2026-01-05 07:00 EST = 12:00 UTC.
        ("2026-01-05T11:59:00", False),
        ("2026-01-05T12:00:00", True),
        ("2026-01-05T23:59:00", True),  # 18:59 EST
        ("2026-01-06T00:00:00", False),  # 19:00 EST: the end is exclusive
        ("2026-01-10T15:00:00", False),  # Saturday
        # Summer (UTC-4): Monday 2026-07-06 07:00 EDT = 11:00 UTC.
        ("2026-07-06T11:00:00", True),
        ("2026-07-06T10:59:00", False),
    ],
)
def test_windows_are_wall_clock_in_the_practice_zone(weekday_user, instant, allowed):
    assert login_allowed(weekday_user, at(instant)) is allowed


def test_dst_changes_do_not_move_the_window(weekday_user):
    # The Monday after the spring change (2026-03-08) and after the autumn change (2026-11-01).
    assert login_allowed(weekday_user, at("2026-03-09T11:00:00"))  # 07:00 EDT
    assert not login_allowed(weekday_user, at("2026-03-09T10:30:00"))  # 06:30 EDT
    assert login_allowed(weekday_user, at("2026-11-02T12:00:00"))  # 07:00 EST
    assert not login_allowed(weekday_user, at("2026-11-02T11:30:00"))  # 06:30 EST


def test_a_window_ending_before_it_starts_runs_past_midnight(member, admin_user):
    # Friday 22:00 to 06:00 (night shift), nothing else.
    login_windows_set(
        user=member, actor=admin_user, restricted=True, windows={4: (time(22), time(6))}
    )
    assert login_allowed(member, at("2026-01-10T04:00:00"))  # Friday 23:00 EST
    assert login_allowed(member, at("2026-01-10T10:59:00"))  # Saturday 05:59 EST
    assert not login_allowed(member, at("2026-01-10T11:00:00"))  # Saturday 06:00 EST
    assert not login_allowed(member, at("2026-01-09T02:00:00"))  # Thursday 21:00 EST


def test_unrestricted_users_may_sign_in_any_time(member):
    assert login_allowed(member, at("2026-01-11T08:00:00"))


def test_sign_in_outside_the_window_says_when_it_is_allowed(client, office, weekday_user):
    with time_machine.travel(at("2026-01-10T15:00:00"), tick=False):  # Saturday 10:00 EST
        response = sign_in_post(client, office.practice, "nina", PASSWORD)
    text = response.content.decode()
    assert "not allowed at this time" in text.lower()
    assert "Monday to Friday 07:00–19:00" in text
    assert "(Eastern (New York) time)" in text
    assert SESSION_KEY not in client.session
    assert AuditEvent.objects.get(action="signin.failed").details["reason"] == "login_times"


def test_sign_in_inside_the_window_works(client, office, weekday_user):
    with time_machine.travel(at("2026-01-05T15:00:00"), tick=False):
        response = sign_in_post(client, office.practice, "nina", PASSWORD)
        assert response["Location"] == "/account/"
        assert client.session[SESSION_KEY] == str(weekday_user.pk)


def test_setting_windows_is_audited_and_same_start_and_end_is_refused(member, admin_user):
    with pytest.raises(ValidationError):
        login_windows_set(
            user=member, actor=admin_user, restricted=True, windows={0: (time(9), time(9))}
        )
    assert not LoginWindow.objects.filter(user=member).exists()
    login_windows_set(
        user=member, actor=admin_user, restricted=True, windows={0: (time(9), time(17))}
    )
    event = AuditEvent.objects.get(action="login_times.changed")
    assert event.actor == admin_user
    assert event.details["windows"] == {"Monday": "09:00-17:00"}


def test_spring_forward_day(member, admin_user):
    # Sunday 2026-03-08: at 02:00 EST the clocks jump to 03:00 EDT.
    login_windows_set(
        user=member, actor=admin_user, restricted=True, windows={6: (time(1, 30), time(3, 30))}
    )
    assert login_allowed(member, at("2026-03-08T06:45:00"))  # 01:45 EST
    assert login_allowed(member, at("2026-03-08T07:15:00"))  # 03:15 EDT
    assert not login_allowed(member, at("2026-03-08T07:45:00"))  # 03:45 EDT
    assert not login_allowed(member, at("2026-03-08T06:15:00"))  # 01:15 EST


def test_fall_back_day(member, admin_user):
    # Sunday 2026-11-01: 01:00-02:00 happens twice (EDT, then EST).
    login_windows_set(
        user=member, actor=admin_user, restricted=True, windows={6: (time(1), time(2))}
    )
    assert login_allowed(member, at("2026-11-01T05:30:00"))  # 01:30 EDT
    assert login_allowed(member, at("2026-11-01T06:30:00"))  # 01:30 EST, the second time
    assert not login_allowed(member, at("2026-11-01T07:00:00"))  # 02:00 EST
    assert not login_allowed(member, at("2026-11-01T04:59:00"))  # 00:59 EDT


def test_overnight_window_on_the_night_the_clocks_change(member, admin_user):
    # Saturday 22:00 to Sunday 06:00, over the spring-forward night: 7 real hours, same clock.
    login_windows_set(
        user=member, actor=admin_user, restricted=True, windows={5: (time(22), time(6))}
    )
    assert login_allowed(member, at("2026-03-08T03:00:00"))  # Sat 22:00 EST
    assert login_allowed(member, at("2026-03-08T09:59:00"))  # Sun 05:59 EDT
    assert not login_allowed(member, at("2026-03-08T10:00:00"))  # Sun 06:00 EDT


def test_the_message_names_day_ranges(member, admin_user):
    from accounts.login_times import login_times_text

    windows = {**WEEKDAYS_7_TO_19, 2: (time(8), time(12)), 5: (time(22), time(6))}
    login_windows_set(user=member, actor=admin_user, restricted=True, windows=windows)
    assert login_times_text(member) == (
        "Monday to Tuesday 07:00–19:00, Wednesday 08:00–12:00, Thursday to Friday 07:00–19:00, "
        "Saturday 22:00–06:00 (into the next day)"
    )


SPLIT_SHIFT = {day: [(time(7), time(12)), (time(13), time(19))] for day in range(5)}


def test_a_split_shift_allows_both_windows_and_not_the_break(member, admin_user):
    login_windows_set(user=member, actor=admin_user, restricted=True, windows=SPLIT_SHIFT)
    assert login_allowed(member, at("2026-01-05T16:59:00"))  # Monday 11:59 EST
    assert not login_allowed(member, at("2026-01-05T17:00:00"))  # 12:00: the break
    assert not login_allowed(member, at("2026-01-05T17:59:00"))  # 12:59
    assert login_allowed(member, at("2026-01-05T18:00:00"))  # 13:00
    assert not login_allowed(member, at("2026-01-06T00:00:00"))  # 19:00
    assert LoginWindow.objects.filter(user=member).count() == 10
    assert member.login_week[:2] == [[0, "07:00", "12:00"], [0, "13:00", "19:00"]]


def test_the_message_names_a_split_shift(member, admin_user):
    from accounts.login_times import login_times_text

    windows = {**SPLIT_SHIFT, 5: (time(8), time(12))}
    login_windows_set(user=member, actor=admin_user, restricted=True, windows=windows)
    assert login_times_text(member) == (
        "Monday to Friday 07:00–12:00 and 13:00–19:00, Saturday 08:00–12:00"
    )


def test_the_refusal_at_sign_in_names_both_windows(client, office, member, admin_user):
    login_windows_set(user=member, actor=admin_user, restricted=True, windows=SPLIT_SHIFT)
    with time_machine.travel(at("2026-01-05T17:30:00"), tick=False):  # Monday 12:30 EST
        response = sign_in_post(client, office.practice, "nina", PASSWORD)
    text = response.content.decode()
    assert "not allowed at this time" in text.lower()
    assert "Monday to Friday 07:00–12:00 and 13:00–19:00" in text


@pytest.mark.parametrize(
    "windows",
    [
        {0: [(time(7), time(12)), (time(11), time(19))]},
        {0: [(time(7), time(12)), (time(7), time(12))]},
        {0: [(time(7), time(19)), (time(9), time(10))]},
        # Friday's night shift runs into Saturday's early window.
        {4: (time(22), time(6)), 5: (time(5), time(9))},
        # Sunday's night shift runs into Monday, across the end of the week.
        {6: (time(22), time(6)), 0: (time(5), time(9))},
        {0: [(time(1), time(2)), (time(3), time(4)), (time(5), time(6))]},
    ],
)
def test_overlapping_or_too_many_windows_are_refused_and_nothing_changes(
    member, admin_user, windows
):
    login_windows_set(
        user=member, actor=admin_user, restricted=True, windows={2: (time(9), time(17))}
    )
    with pytest.raises(ValidationError):
        login_windows_set(user=member, actor=admin_user, restricted=True, windows=windows)
    member.refresh_from_db()
    assert list(LoginWindow.objects.filter(user=member).values_list("weekday", "start")) == [
        (2, time(9))
    ]
    assert member.login_week == [[2, "09:00", "17:00"]]
    assert AuditEvent.objects.filter(action="login_times.changed").count() == 1


def test_windows_that_only_touch_are_allowed(member, admin_user):
    login_windows_set(
        user=member,
        actor=admin_user,
        restricted=True,
        windows={0: [(time(12), time(19)), (time(7), time(12))], 6: (time(19), time(0))},
    )
    assert member.login_week == [
        [0, "07:00", "12:00"],
        [0, "12:00", "19:00"],
        [6, "19:00", "00:00"],
    ]
    assert login_allowed(member, at("2026-01-05T17:00:00"))  # Monday 12:00 EST
