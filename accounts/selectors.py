"""Reading a user's own account activity for My Account: sessions and recent sign-ins."""

import re
from dataclasses import dataclass
from datetime import datetime

from accounts.models import User
from accounts.sessions import sessions_open
from practice.audit_words import audit_describe
from practice.models import AuditEvent
from practice.vocabulary import AuditAction, Zone

SIGNIN_ACTIVITY_LIMIT = 20
SIGNIN_ACTIONS = (AuditAction.SIGNIN_SUCCEEDED, AuditAction.SIGNIN_FAILED, AuditAction.USER_LOCKED)


def _label(choices, value: str, default: str) -> str:
    """The label of `value` in a vocabulary; `default` for a value it does not (or no longer)
    know, which old audit rows may hold."""
    return choices(value).label if value in choices.values else default


# Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari".
_BROWSERS = [
    ("Edge", r"Edg(e|A|iOS)?/"),
    ("Opera", r"OPR/|Opera"),
    ("Firefox", r"Firefox/|FxiOS/"),
    ("Chrome", r"Chrome/|CriOS/|Chromium/"),
    ("Safari", r"Safari/"),
]
_SYSTEMS = [
    ("iOS", r"iPhone|iPad|iPod"),
    ("Android", r"Android"),
    ("Windows", r"Windows"),
    ("macOS", r"Mac OS X|Macintosh"),
    ("ChromeOS", r"CrOS"),
    ("Linux", r"Linux"),
]


def browser_label(user_agent: str) -> str:
    """ "Chrome on Windows" from a User-Agent header; "Unknown browser" when it says nothing."""
    browser = next((name for name, pattern in _BROWSERS if re.search(pattern, user_agent)), "")
    system = next((name for name, pattern in _SYSTEMS if re.search(pattern, user_agent)), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown browser"


@dataclass(frozen=True)
class SessionRow:
    id: int
    browser: str
    address: str
    zone: str
    signed_in_at: datetime
    last_activity: datetime
    is_current: bool


def sessions_active(user: User, *, current_key: str | None = None) -> list[SessionRow]:
    """The user's sessions that can still be used (sessions_open): this browser's first, then
    the most recent."""
    sessions = sessions_open(user).order_by("-last_activity", "-id")
    rows = [
        SessionRow(
            id=session.pk,
            browser=browser_label(session.user_agent),
            address=session.ip_address or "Unknown",
            zone=_label(Zone, session.zone, session.zone.title()),
            signed_in_at=session.created_at,
            last_activity=session.last_activity,
            is_current=bool(current_key) and session.session_key == current_key,
        )
        for session in sessions
    ]
    return sorted(rows, key=lambda row: not row.is_current)


@dataclass(frozen=True)
class SigninRow:
    at: datetime
    address: str
    result: str
    succeeded: bool


def _result(event: AuditEvent, time_zone: str) -> tuple[str, bool]:
    """The event in the audit log's words, and whether it was a successful sign-in."""
    said = audit_describe(event.action, event.details, time_zone=time_zone).action
    return said, event.action == AuditAction.SIGNIN_SUCCEEDED


def signin_activity(user: User, *, limit: int = SIGNIN_ACTIVITY_LIMIT) -> list[SigninRow]:
    """The user's last sign-in events (succeeded, failed, locked), newest first."""
    events = AuditEvent.objects.filter(target=user, action__in=SIGNIN_ACTIONS).order_by(
        "-created_at", "-id"
    )[:limit]
    # The times of the words ("expires 4 Dec, 13:02") in the zone the page shows its own in.
    time_zone = user.reading_time_zone
    rows = []
    for event in events:
        result, succeeded = _result(event, time_zone)
        rows.append(
            SigninRow(
                at=event.created_at,
                address=event.ip_address or "Unknown",
                result=result,
                succeeded=succeeded,
            )
        )
    return rows
