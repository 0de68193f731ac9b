"""Weekly login windows: when a user whose login times are restricted may sign in.

Windows are wall-clock times in the practice's time zone, so "07:00 to 19:00" means that on
both sides of a daylight-saving change. A window whose end is before its start runs past
midnight into the next day (a night shift: Friday 22:00 to 06:00 allows Saturday 05:00).
With login times restricted, a day without a window allows no sign-in that starts that day.
"""

from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import LoginWindow, User, Weekday
from practice.audit import audit_record
from practice.vocabulary import AuditAction


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


def login_week_of(windows: dict[int, tuple[time, time]]) -> list:
    return [
        [day, f"{start:%H:%M}", f"{end:%H:%M}"] for day, (start, end) in sorted(windows.items())
    ]


def login_allowed(user: User, when: datetime | None = None) -> bool:
    """Whether the user may be signed in at `when` (default now)."""
    if not user.login_times_restricted:
        return True
    local = (when or timezone.now()).astimezone(ZoneInfo(user.practice.time_zone))
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


def login_times_text(user: User) -> str:
    """When sign-in is allowed, for a message: "Monday to Friday 07:00–19:00, Saturday …".

    Consecutive days with the same window are named as one range.
    """
    windows = sorted(_windows(user), key=lambda w: w.weekday)
    if not windows:
        return "never (no login times are set)"
    groups: list[list[LoginWindow]] = []
    for window in windows:
        last = groups[-1][-1] if groups else None
        if (
            last is not None
            and last.weekday == window.weekday - 1
            and (last.start, last.end) == (window.start, window.end)
        ):
            groups[-1].append(window)
        else:
            groups.append([window])
    parts = []
    for group in groups:
        first, last = group[0], group[-1]
        days = Weekday(first.weekday).label
        if len(group) > 1:
            days += f" to {Weekday(last.weekday).label}"
        overnight = " (into the next day)" if first.end < first.start else ""
        parts.append(f"{days} {first.start:%H:%M}–{first.end:%H:%M}{overnight}")
    return ", ".join(parts)


def login_times_differ(user: User, *, restricted: bool, windows: dict) -> bool:
    """Whether saving these windows would change the user's login times."""
    before = {w.weekday: (w.start, w.end) for w in _windows(user)}
    after = {day: pair for day, pair in windows.items() if pair is not None}
    return restricted != user.login_times_restricted or before != after


@transaction.atomic
def login_windows_set(
    *,
    user: User,
    actor: User | None,
    restricted: bool,
    windows: dict[int, tuple[time, time] | None],
    request=None,
) -> None:
    """Replace the user's weekly windows. `windows` maps weekday (0 = Monday) to (start, end).

    Days missing from `windows` or mapped to None have no window.
    """
    errors = []
    for day, pair in windows.items():
        if day not in Weekday.values:
            errors.append(ValidationError("Unknown weekday %(day)s.", params={"day": day}))
        elif pair is not None and pair[0] == pair[1]:
            errors.append(
                ValidationError(
                    "%(day)s: the start and end are the same; leave both empty for no sign-in "
                    "that day.",
                    code="login_window_empty",
                    params={"day": Weekday(day).label},
                )
            )
    if errors:
        raise ValidationError(errors)
    after = {day: pair for day, pair in windows.items() if pair is not None}
    if not login_times_differ(user, restricted=restricted, windows=windows):
        return
    LoginWindow.objects.filter(user=user).delete()
    LoginWindow.objects.bulk_create(
        LoginWindow(user=user, weekday=day, start=start, end=end)
        for day, (start, end) in sorted(after.items())
    )
    user.login_times_restricted = restricted
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
                Weekday(day).label: f"{start:%H:%M}-{end:%H:%M}"
                for day, (start, end) in sorted(after.items())
            },
        },
    )
