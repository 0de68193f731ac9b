"""Weekly login windows: when a user whose login times are restricted may sign in.

Windows are wall-clock times in the practice's time zone, so "07:00 to 19:00" means that on
both sides of a daylight-saving change. A window whose end is before its start runs past
midnight into the next day (a night shift: Friday 22:00 to 06:00 allows Saturday 05:00).
With login times restricted, a day without a window allows no sign-in that starts that day.
A day may have more than one window (a split shift: 07:00 to 12:00 and 13:00 to 19:00); no two
windows of the week may overlap.
"""

from datetime import datetime, time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import LoginWindow, User, Weekday
from accounts.permissions import authority_check
from practice.audit import audit_record
from practice.time_zones import time_zone_words
from practice.vocabulary import AuditAction

# A split shift (07:00 to 12:00 and 13:00 to 19:00) is two windows on one day.
WINDOWS_PER_DAY = 2

Pair = tuple[time, time]
# What login_windows_set takes for a day: nothing, one (start, end) pair, or a list of them.
DayWindows = Pair | list[Pair] | None


def _windows(user: User) -> list[LoginWindow]:
    """The user's windows, from the copy on the user's row (no query)."""
    return [
        LoginWindow(
            weekday=day,
            start=time.fromisoformat(start),
            end=time.fromisoformat(end),
        )
        for day, start, end in user.login_week
    ]


def windows_by_day(windows: dict[int, DayWindows]) -> dict[int, list[Pair]]:
    """Each day's windows as a list sorted by start; days without a window left out."""
    days = {}
    for day, value in windows.items():
        if value is None:
            continue
        pairs = [value] if isinstance(value, tuple) and isinstance(value[0], time) else value
        if pairs:
            days[day] = sorted(tuple(pair) for pair in pairs)
    return days


def user_windows_by_day(user: User) -> dict[int, list[Pair]]:
    """The user's windows, day by day (from the copy on the row: no query)."""
    days: dict[int, list[Pair]] = {}
    for window in _windows(user):
        days.setdefault(window.weekday, []).append((window.start, window.end))
    return {day: sorted(pairs) for day, pairs in days.items()}


def login_week_of(windows: dict[int, DayWindows]) -> list:
    """User.login_week for these windows: [[weekday, "HH:MM", "HH:MM"], ...], in order."""
    return [
        [day, f"{start:%H:%M}", f"{end:%H:%M}"]
        for day, pairs in sorted(windows_by_day(windows).items())
        for start, end in pairs
    ]


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def _span(day: int, start: time, end: time) -> tuple[int, int]:
    """Minutes from Monday 00:00 covered by a window; one past midnight runs into the next day."""
    begin = day * 1440 + _minutes(start)
    length = (_minutes(end) - _minutes(start)) % 1440
    return begin, begin + length


def _window_text(day: int, start: time, end: time) -> str:
    return f"{Weekday(day).label} {start:%H:%M}–{end:%H:%M}"


def window_overlaps(
    windows: dict[int, DayWindows],
) -> list[tuple[tuple[int, time, time], ValidationError]]:
    """Pairs of windows that share a minute: ((weekday, start, end) of the later one, error).

    The week is a circle: Sunday 22:00 to 06:00 runs into Monday. Windows that only touch
    (one ends at 12:00, the next starts at 12:00) do not overlap.
    """
    spans = sorted(
        (_span(day, start, end), day, start, end)
        for day, pairs in windows_by_day(windows).items()
        for start, end in pairs
    )
    week = 7 * 1440
    found = []
    for index, ((begin, finish), day, start, end) in enumerate(spans):
        for (other_begin, other_finish), other_day, other_start, other_end in spans[index + 1 :]:
            # A later window that runs past Sunday midnight also covers Monday morning.
            shifted = [(other_begin, other_finish), (other_begin - week, other_finish - week)]
            if any(b < finish and begin < f for b, f in shifted):
                found.append(
                    (
                        (other_day, other_start, other_end),
                        ValidationError(
                            "%(first)s and %(second)s overlap: make one end before the other "
                            "starts.",
                            code="login_window_overlap",
                            params={
                                "first": _window_text(day, start, end),
                                "second": _window_text(other_day, other_start, other_end),
                            },
                        ),
                    )
                )
    return found


def login_allowed(user: User, when: datetime | None = None) -> bool:
    """Whether the user may be signed in at `when` (default now)."""
    if not user.login_times_restricted:
        return True
    local = (when or timezone.now()).astimezone(user.practice.zone)
    today, now = local.weekday(), local.time()
    yesterday = (today - 1) % 7
    for window in _windows(user):
        if window.start < window.end:
            if window.weekday == today and window.start <= now < window.end:
                return True
        elif (window.weekday == today and now >= window.start) or (
            window.weekday == yesterday and now < window.end
        ):
            return True
    return False


def _pairs_text(pairs: list[Pair]) -> str:
    """ "07:00–12:00 and 13:00–19:00"; a window past midnight says so."""
    return " and ".join(
        f"{start:%H:%M}–{end:%H:%M}" + (" (into the next day)" if end < start else "")
        for start, end in pairs
    )


NO_LOGIN_TIMES = (
    "Sign-in is not allowed at this time: your account's login times are restricted, and no "
    "times are set. Ask your practice administrator to set them."
)


def login_times_refusal(user: User) -> str:
    """What a sign-in refused by the login times says: when it is allowed (in the practice's
    zone), or that no time is."""
    if not user_windows_by_day(user):
        return NO_LOGIN_TIMES
    zone = time_zone_words(user.practice.time_zone)
    return (
        f"Sign-in is not allowed at this time. You may sign in {login_times_text(user)} "
        f"({zone} time)."
    )


def login_times_text(user: User) -> str:
    """When sign-in is allowed, for a message: "Monday to Friday 07:00–12:00 and 13:00–19:00".

    Consecutive days with the same windows are named as one range; none, "at no time".
    """
    days = user_windows_by_day(user)
    if not days:
        return "at no time"
    groups: list[tuple[int, int, list[Pair]]] = []
    for day, pairs in sorted(days.items()):
        if groups and groups[-1][1] == day - 1 and groups[-1][2] == pairs:
            groups[-1] = (groups[-1][0], day, pairs)
        else:
            groups.append((day, day, pairs))
    parts = []
    for first, last, pairs in groups:
        names = Weekday(first).label
        if last != first:
            names += f" to {Weekday(last).label}"
        parts.append(f"{names} {_pairs_text(pairs)}")
    return ", ".join(parts)


def login_times_differ(user: User, *, restricted: bool, windows: dict) -> bool:
    """Whether saving these windows would change the user's login times."""
    if restricted != user.login_times_restricted:
        return True
    return user_windows_by_day(user) != windows_by_day(windows)


def login_windows_check(windows: dict[int, DayWindows]) -> None:
    """Refuse windows the week cannot hold: an unknown day, an empty window, too many a day, or
    two that overlap. Raises ValidationError with every problem."""
    errors = []
    for day in windows:
        if day not in Weekday.values:
            errors.append(ValidationError("Unknown weekday %(day)s.", params={"day": day}))
    if errors:
        raise ValidationError(errors)
    for day, pairs in windows_by_day(windows).items():
        if len(pairs) > WINDOWS_PER_DAY:
            errors.append(
                ValidationError(
                    "%(day)s: at most %(count)s windows a day.",
                    code="login_window_too_many",
                    params={"day": Weekday(day).label, "count": WINDOWS_PER_DAY},
                )
            )
        for start, end in pairs:
            if start == end:
                errors.append(
                    ValidationError(
                        "%(day)s: the start and end are the same; leave both empty for no "
                        "sign-in that day.",
                        code="login_window_empty",
                        params={"day": Weekday(day).label},
                    )
                )
    if errors:
        raise ValidationError(errors)
    overlaps = window_overlaps(windows)
    if overlaps:
        raise ValidationError([error for _, error in overlaps])


@transaction.atomic
def login_windows_set(
    *,
    user: User,
    actor: User | None,
    restricted: bool,
    windows: dict[int, DayWindows],
    request=None,
) -> None:
    """Replace the user's weekly windows. `windows` maps weekday (0 = Monday) to a (start, end)
    pair or a list of them (a split shift); days missing or mapped to None have no window.

    Refused (nothing changed) when two windows overlap, also across midnight.
    """
    login_windows_check(windows)
    after = windows_by_day(windows)
    if not login_times_differ(user, restricted=restricted, windows=windows):
        return
    authority_check(actor=actor, user=user)
    LoginWindow.objects.filter(user=user).delete()
    LoginWindow.objects.bulk_create(
        LoginWindow(user=user, weekday=day, start=start, end=end)
        for day, pairs in sorted(after.items())
        for start, end in pairs
    )
    user.login_times_restricted = restricted
    # The request path's copy, written with the rows it copies (see User.login_week).
    user.login_week = login_week_of(after)
    user.save(update_fields=["login_times_restricted", "login_week"])
    # Drop a stale prefetch so the caller sees the new windows.
    getattr(user, "_prefetched_objects_cache", {}).pop("login_windows", None)
    audit_record(
        action=AuditAction.LOGIN_TIMES_CHANGED,
        actor=actor,
        target=user,
        request=request,
        details={
            "restricted": restricted,
            "windows": {
                Weekday(day).label: ", ".join(f"{start:%H:%M}-{end:%H:%M}" for start, end in pairs)
                for day, pairs in sorted(after.items())
            },
        },
    )
