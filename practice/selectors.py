"""Reads for the console: the user list and its statuses, the security overview, the audit log.

Every function takes the practice (or a queryset already scoped to it) and costs a fixed number
of queries, however many users or events the practice has.
"""

import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Lower, TruncDate
from django.utils import timezone
from django_otp import device_classes

from accounts.models import Invitation, User, UserSession, Weekday
from mfa.selectors import KIND_BY_MODEL, KIND_FIELD_BY_MODEL, second_factor_kinds
from practice.models import AuditEvent, Practice
from practice.policy import EXPIRY_WARNING_DAYS, Policy, effective_policy, practice_policy

PAGE_SIZE = 50
AUDIT_PAGE_SIZE = 50
OVERVIEW_DAYS = 14
FAILED_SIGNIN_DAYS = 7

SIGNIN_SUCCEEDED = "signin.succeeded"
SIGNIN_FAILED = "signin.failed"

# Offered as suggestions in the audit filter; any action name can be typed.
KNOWN_ACTIONS = [
    "signin.succeeded",
    "signin.failed",
    "user.created",
    "user.invited",
    "user.registered",
    "user.copied",
    "user.activated",
    "user.deactivated",
    "user.locked",
    "user.unlocked",
    "user.role_changed",
    "user.pm_username_changed",
    "user.two_factor_setup_changed",
    "user.provider_changed",
    "user.contact_corrected",
    "remote_access.granted",
    "remote_access.removed",
    "password.changed",
    "password.temporary_set",
    "login_times.changed",
    "mfa.pairing_reset",
    "sessions.ended",
    "practice.settings_changed",
]


# --- Second factors -----------------------------------------------------------------------


def _has_second_factor() -> Q:
    """A confirmed device of a kind second_factor_kinds() counts (app, text, voice, key)."""
    counted = set(KIND_BY_MODEL) | set(KIND_FIELD_BY_MODEL)
    condition = Q(pk__in=[])
    for model in device_classes():
        if model._meta.label_lower in counted:
            condition |= Q(Exists(model.objects.filter(user_id=OuterRef("pk"), confirmed=True)))
    return condition


# --- The user list ------------------------------------------------------------------------

SORTS = {
    "name": (Lower("last_name").asc(), Lower("first_name").asc(), Lower("username").asc()),
    "username": (Lower("username").asc(),),
    "role": (F("role").asc(), Lower("last_name").asc(), Lower("first_name").asc()),
    "last_sign_in": (F("last_login").desc(nulls_last=True),),
}
# The list's columns in order; those in SORTS can be sorted by.
LIST_COLUMNS = [
    ("name", "Name"),
    ("username", "Username"),
    ("role", "Role"),
    ("status", "Status"),
    ("second_factor", "Second factor"),
    ("registration", "Registration"),
    ("password", "Password"),
    ("last_sign_in", "Last sign-in"),
]


@dataclass(frozen=True)
class UserListFilters:
    q: str = ""
    active_only: bool = True
    locked: bool = False
    remote: bool = False
    without_2fa: bool = False
    sort: str = "name"  # a key of SORTS, "-" in front for the reverse order


def _remote_access_now(now: datetime) -> Q:
    return Q(remote_access=True) & (
        Q(remote_access_until__isnull=True) | Q(remote_access_until__gt=now)
    )


def _open_invitation() -> Exists:
    return Exists(
        Invitation.objects.filter(
            user_id=OuterRef("pk"),
            used_at__isnull=True,
            voided_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
    )


def user_list(*, practice: Practice, filters: UserListFilters) -> QuerySet:
    now = timezone.now()
    users = User.objects.filter(practice=practice).select_related("practice")
    for word in filters.q.split()[:5]:
        users = users.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(username__icontains=word)
            | Q(email__icontains=word)
        )
    if filters.active_only:
        users = users.filter(is_active=True)
    if filters.locked:
        users = users.filter(locked_at__isnull=False)
    if filters.remote:
        users = users.filter(_remote_access_now(now))
    if filters.without_2fa:
        users = users.exclude(_has_second_factor())
    key = filters.sort.lstrip("-")
    order = SORTS.get(key, SORTS["name"])
    if filters.sort.startswith("-") and key in SORTS:
        order = tuple(expr.copy().reverse_ordering() for expr in order)
    return users.annotate(has_open_invitation=_open_invitation()).order_by(*order, "pk")


@dataclass(frozen=True)
class Badge:
    text: str
    tone: str = ""  # "", "ok", "warn", "danger": a CSS modifier


@dataclass
class UserRow:
    user: User
    name: str
    status: list[Badge]
    second_factor: str
    registration: Badge
    password: Badge
    last_sign_in: datetime | None
    url: str = ""  # where the name links to, set by the view for the viewer's role


def _local_date(value: datetime, zone: str) -> date:
    return value.astimezone(ZoneInfo(zone)).date()


def remote_access_badge(user: User, now: datetime) -> Badge | None:
    if not user.remote_access:
        return None
    if user.remote_access_until is None:
        return Badge("remote access", "ok")
    if user.remote_access_until <= now:
        return Badge("remote access ended", "warn")
    # "until" is the moment access ends: midnight after the last allowed day.
    last_day = _local_date(
        user.remote_access_until - timedelta(microseconds=1), user.practice.time_zone
    )
    return Badge(f"remote access until {last_day:%b %-d, %Y}", "ok")


def registration_status(user: User) -> Badge:
    if not user.has_usable_password():
        if getattr(user, "has_open_invitation", False):
            return Badge("invited", "warn")
        return Badge("invitation expired", "danger")
    if user.verify_phone_at_registration and user.mobile_phone_verified_at is None:
        return Badge("phone not verified", "warn")
    return Badge("registered", "ok")


def user_registration(user: User) -> Badge:
    """registration_status() for one user, looking up their open invitation."""
    user.has_open_invitation = Invitation.objects.filter(
        user=user, used_at__isnull=True, voided_at__isnull=True, expires_at__gt=timezone.now()
    ).exists()
    return registration_status(user)


def password_status(user: User, policy: Policy, now: datetime) -> Badge:
    if not user.has_usable_password():
        return Badge("not set")
    if user.must_change_password:
        expires = user.temporary_password_expires_at
        if expires is not None and expires <= now:
            return Badge("temporary, expired", "danger")
        return Badge("temporary", "warn")
    if policy.password_expiry_days and user.password_changed_at:
        expires = user.password_changed_at + timedelta(days=policy.password_expiry_days)
        if expires <= now:
            return Badge("expired", "danger")
        days_left = math.ceil((expires - now) / timedelta(days=1))
        if days_left <= EXPIRY_WARNING_DAYS:
            unit = "day" if days_left == 1 else "days"
            return Badge(f"expires in {days_left} {unit}", "warn")
    return Badge("current", "ok")


def user_status(user: User, now: datetime) -> list[Badge]:
    badges = [Badge("active", "ok") if user.is_active else Badge("inactive", "danger")]
    if user.is_locked:
        badges.append(Badge("locked", "danger"))
    remote = remote_access_badge(user, now)
    if remote is not None:
        badges.append(remote)
    return badges


def second_factor_text(kinds: list[str]) -> str:
    return ", ".join(kinds) if kinds else "none"


def user_second_factor(user: User) -> str:
    return second_factor_text(second_factor_kinds([user.pk]).get(user.pk, []))


def user_rows(users: Iterable[User]) -> list[UserRow]:
    """The list's rows: one query for the second factors of the whole page, whatever its size."""
    users = list(users)
    now = timezone.now()
    kinds = second_factor_kinds(u.pk for u in users)
    return [
        UserRow(
            user=user,
            name=user.get_full_name() or user.username,
            status=user_status(user, now),
            second_factor=second_factor_text(kinds.get(user.pk, [])),
            registration=registration_status(user),
            password=password_status(user, effective_policy(user), now),
            last_sign_in=user.last_login,
        )
        for user in users
    ]


# --- One user's page ----------------------------------------------------------------------


def user_recent_events(user: User, limit: int = 20) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(practice_id=user.practice_id, target=user)
        .select_related("actor")
        .order_by("-created_at", "-id")[:limit]
    )


def user_active_sessions(user: User) -> list[UserSession]:
    return list(UserSession.objects.filter(user=user, ended_at__isnull=True))


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    title: str
    overnight: bool = False


@dataclass(frozen=True)
class WeekRow:
    label: str
    y: float
    text_y: float
    segments: list[Segment]
    text: str  # the day's windows in words, for readers who do not see the picture


@dataclass(frozen=True)
class WeekPicture:
    rows: list[WeekRow]
    ticks: list[dict]
    height: float
    width: float = 332
    bar_x: float = 80
    bar_width: float = 240


ROW_HEIGHT = 22
HOUR_WIDTH = 10  # 24 hours = 240 units


def _hours(value: time) -> float:
    return value.hour + value.minute / 60


def _segment(start: float, end: float, title: str, *, overnight: bool = False) -> Segment:
    return Segment(
        x=round(80 + start * HOUR_WIDTH, 2),
        width=round((end - start) * HOUR_WIDTH, 2),
        title=title,
        overnight=overnight,
    )


def week_picture(user: User) -> WeekPicture:
    """A bar per day (Monday first) of when the user may sign in, for a server-rendered SVG.

    A window that ends before it starts runs past midnight: it is drawn to the end of its day
    and from 00:00 on the next day.
    """
    windows = {w.weekday: w for w in user.login_windows.all()}
    pieces: dict[int, list[Segment]] = {day: [] for day in Weekday.values}
    for day, window in windows.items():
        label = f"{Weekday(day).label} {window.start:%H:%M}–{window.end:%H:%M}"
        start, end = _hours(window.start), _hours(window.end)
        if start < end:
            pieces[day].append(_segment(start, end, label))
        else:
            pieces[day].append(_segment(start, 24, label))
            if end > 0:
                pieces[(day + 1) % 7].append(
                    _segment(0, end, f"{label} (next day)", overnight=True)
                )
    rows = []
    for index, day in enumerate(Weekday.values):
        window = windows.get(day)
        text = (
            f"{window.start:%H:%M}–{window.end:%H:%M}"
            + (" (ends next day)" if window.end < window.start else "")
            if window
            else "no sign-in"
        )
        y = 18 + index * ROW_HEIGHT
        rows.append(
            WeekRow(
                label=Weekday(day).label,
                y=y,
                text_y=y + 11,
                segments=sorted(pieces[day], key=lambda s: s.x),
                text=text,
            )
        )
    ticks = [{"x": 80 + h * HOUR_WIDTH, "label": f"{h:02d}:00"} for h in (0, 6, 12, 18, 24)]
    return WeekPicture(rows=rows, ticks=ticks, height=18 + 7 * ROW_HEIGHT + 4)


# --- The security overview ----------------------------------------------------------------


@dataclass(frozen=True)
class ChartBar:
    x: float
    label_x: float
    success_y: float
    success_height: float
    failed_y: float
    failed_height: float
    label: str
    title: str
    day: date
    succeeded: int
    failed: int


@dataclass
class Overview:
    locked: int
    remote_access: int
    without_2fa: int
    temporary_passwords: int
    expiring: int
    failed_signins: int
    days: list[ChartBar] = field(default_factory=list)
    chart_height: int = 120
    chart_width: int = 14 * 22
    label_y: int = 114
    peak: int = 0


def security_overview(*, practice: Practice) -> Overview:
    """Counts over the practice's active users and 14 days of sign-ins: three queries."""
    now = timezone.now()
    policy = practice_policy(practice)
    expiring = Q(pk__in=[])
    if policy.password_expiry_days:
        warn_from = now - timedelta(days=policy.password_expiry_days - EXPIRY_WARNING_DAYS)
        expiring = Q(password_changed_at__lte=warn_from, must_change_password=False) & ~Q(
            password__startswith=UNUSABLE_PASSWORD_PREFIX
        )
    counts = User.objects.filter(practice=practice, is_active=True).aggregate(
        locked=Count("pk", filter=Q(locked_at__isnull=False)),
        remote_access=Count("pk", filter=_remote_access_now(now)),
        without_2fa=Count("pk", filter=~_has_second_factor()),
        temporary_passwords=Count("pk", filter=Q(must_change_password=True)),
        expiring=Count("pk", filter=expiring),
    )
    zone = ZoneInfo(practice.time_zone)
    today = now.astimezone(zone).date()
    first_day = today - timedelta(days=OVERVIEW_DAYS - 1)
    since = datetime.combine(first_day, time.min, tzinfo=zone)
    per_day = (
        AuditEvent.objects.filter(
            practice=practice,
            action__in=[SIGNIN_SUCCEEDED, SIGNIN_FAILED],
            created_at__gte=since,
        )
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("day", "action")
        .annotate(n=Count("id"))
        .order_by()
    )
    tally: dict[tuple[date, str], int] = {}
    for row in per_day:
        tally[(row["day"], row["action"])] = row["n"]
    week_ago = now - timedelta(days=FAILED_SIGNIN_DAYS)
    failed_recent = AuditEvent.objects.filter(
        practice=practice, action=SIGNIN_FAILED, created_at__gte=week_ago
    ).count()
    overview = Overview(**counts, failed_signins=failed_recent)
    days = [first_day + timedelta(days=i) for i in range(OVERVIEW_DAYS)]
    peak = max(
        [tally.get((d, SIGNIN_SUCCEEDED), 0) + tally.get((d, SIGNIN_FAILED), 0) for d in days] + [1]
    )
    overview.peak = peak
    plot = overview.chart_height - 20  # room below for the day labels
    for index, day in enumerate(days):
        succeeded = tally.get((day, SIGNIN_SUCCEEDED), 0)
        failed = tally.get((day, SIGNIN_FAILED), 0)
        success_height = plot * succeeded / peak
        failed_height = plot * failed / peak
        overview.days.append(
            ChartBar(
                x=index * 22 + 3,
                label_x=index * 22 + 11,
                success_y=round(plot - success_height, 1),
                success_height=round(success_height, 1),
                failed_y=round(plot - success_height - failed_height, 1),
                failed_height=round(failed_height, 1),
                label=f"{day:%-d}",
                title=f"{day:%a %b %-d}: {succeeded} signed in, {failed} failed",
                day=day,
                succeeded=succeeded,
                failed=failed,
            )
        )
    return overview


# --- The audit log ------------------------------------------------------------------------

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def cursor_encode(event: AuditEvent) -> str:
    """Where a page ends: the event's time (microseconds since 1970) and id, "<us>.<id>"."""
    return f"{(event.created_at - EPOCH) // timedelta(microseconds=1)}.{event.pk}"


def cursor_decode(value: str) -> tuple[datetime, int] | None:
    """The (created_at, id) of a cursor, or None for anything malformed."""
    micros, _, pk = (value or "").partition(".")
    if not (micros.isdigit() and pk.isdigit()) or len(micros) > 18 or len(pk) > 18:
        return None
    try:
        return EPOCH + timedelta(microseconds=int(micros)), int(pk)
    except OverflowError:
        return None


@dataclass(frozen=True)
class AuditFilters:
    user: User | None = None
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None


def audit_events(*, practice: Practice, filters: AuditFilters) -> QuerySet:
    """The practice's events matching the filters (no order yet: the page and CSV choose)."""
    events = AuditEvent.objects.filter(practice=practice)
    if filters.user is not None:
        # Events about the user (their sign-ins, and every change made to them): the
        # (target, -created_at) index answers this at any size of log.
        events = events.filter(target=filters.user)
    if filters.action:
        events = events.filter(action=filters.action)
    zone = ZoneInfo(practice.time_zone)
    if filters.date_from:
        events = events.filter(
            created_at__gte=datetime.combine(filters.date_from, time.min, tzinfo=zone)
        )
    if filters.date_to:
        events = events.filter(
            created_at__lt=datetime.combine(
                filters.date_to + timedelta(days=1), time.min, tzinfo=zone
            )
        )
    return events


@dataclass
class AuditRow:
    event: AuditEvent
    actor: str
    target: User | None
    summary: str


@dataclass
class AuditPage:
    rows: list[AuditRow]
    older: str = ""  # cursor of the next older page, "" at the end
    newer: str = ""  # cursor of the next newer page, "" at the newest


def _person(user: User | None) -> str:
    if user is None:
        return "system"
    if user.practice_id is None:
        return f"support: {user.username}"
    return user.get_full_name() or user.username


def details_summary(details: dict) -> str:
    parts = []
    for key, value in (details or {}).items():
        text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
        parts.append(f"{key}: {text}")
    summary = "; ".join(parts)
    return summary if len(summary) <= 300 else summary[:299] + "…"


def audit_page(
    events: QuerySet, *, before: str = "", after: str = "", size: int = AUDIT_PAGE_SIZE
) -> AuditPage:
    """One page, newest first, by keyset on (created_at, id): the same cost on page 1 or 10,000.

    `before` asks for the events older than a cursor, `after` for those newer than it. The
    filters use `created_at <=` / `>=` so the (practice, -created_at, -id) index finds the
    starting point; the id only breaks ties between events of the same microsecond.
    """
    events = events.select_related("actor", "target")
    newer_page = False
    position = cursor_decode(before)
    if position is not None:
        at, pk = position
        events = events.filter(Q(created_at__lte=at) & (Q(created_at__lt=at) | Q(pk__lt=pk)))
    elif (position := cursor_decode(after)) is not None:
        at, pk = position
        events = events.filter(Q(created_at__gte=at) & (Q(created_at__gt=at) | Q(pk__gt=pk)))
        newer_page = True
    if newer_page:
        found = list(events.order_by("created_at", "id")[: size + 1])
        more = len(found) > size
        found = list(reversed(found[:size]))
        has_newer, has_older = more, bool(found)
    else:
        found = list(events.order_by("-created_at", "-id")[: size + 1])
        has_older = len(found) > size
        found = found[:size]
        has_newer = position is not None and bool(found)
    rows = [
        AuditRow(
            event=event,
            actor=_person(event.actor),
            target=event.target,
            summary=details_summary(event.details),
        )
        for event in found
    ]
    return AuditPage(
        rows=rows,
        older=cursor_encode(found[-1]) if has_older and found else "",
        newer=cursor_encode(found[0]) if has_newer and found else "",
    )


CSV_HEADER = ["time", "action", "actor", "target", "client address", "user agent", "details"]
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def audit_csv_rows(events: QuerySet, *, time_zone: str) -> Iterator[list[str]]:
    """The header, then every event newest first, read in chunks (the memory stays flat)."""
    zone = ZoneInfo(time_zone)
    yield CSV_HEADER
    rows = (
        events.order_by("-created_at", "-id")
        .values_list(
            "created_at",
            "action",
            "actor__username",
            "actor__practice_id",
            "target__username",
            "ip_address",
            "user_agent",
            "details",
        )
        .iterator(chunk_size=2000)
    )
    for created_at, action, actor, actor_practice, target, ip, agent, details in rows:
        if actor is None:
            actor_text = "system"
        elif actor_practice is None:
            actor_text = f"support: {actor}"
        else:
            actor_text = actor
        yield [
            csv_safe(value)
            for value in (
                created_at.astimezone(zone).isoformat(),
                action,
                actor_text,
                target or "",
                ip or "",
                agent,
                json.dumps(details, sort_keys=True, default=str) if details else "",
            )
        ]
