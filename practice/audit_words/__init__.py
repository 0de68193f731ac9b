"""An audit event in plain words: the one description the audit log, the console's user page,
My Account's sign-in history and the CSV export all show.

`audit_describe(action, details, time_zone=...)` answers the action as a person would say it
("Signed in (office)", "Remote access granted until 6 Dec") and the details as labelled fields
("Reason: Too many failed attempts", "Expires: 4 Dec 2026, 13:02"), with every time in the
practice's zone. It takes the stored code and details, not a model, so the CSV export can call
it on the rows it streams. The codes stay in the database, the JSON log line and the CSV's
"action" and "details" columns, for machines; a person reads words only: a permission's label,
not "users.unlock", a reason's, not "rate_limited", a role's name, not its id. Nothing stored
may make a page fail: details hold any JSON, and text anyone typed (a username tried, a reason)
may look like a date and not be one ("2024-13-45"). Every stored value becomes words in
`plain()` (values.py), whose guard shows it as stored when it cannot be read; `audit_describe`
guards the rest.

labels.py names things (detail keys, the codes' words), values.py says a value, titles.py the
action.
"""

import json
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo

from practice.audit_words.labels import KEY_LABELS, action_label, label_of
from practice.audit_words.titles import title
from practice.audit_words.values import as_stored, fields, plain

__all__ = [
    "KEY_LABELS",
    "AuditDescription",
    "action_label",
    "actor_words",
    "audit_describe",
    "details_parse",
    "event_describe",
    "label_of",
    "plain",
    "who_words",
]


@dataclass(frozen=True)
class AuditDescription:
    action: str  # "Signed in (office)"
    fields: tuple[tuple[str, str], ...]  # (("Second factor", "Authenticator app"), ...)

    @property
    def details(self) -> str:
        """The fields as one line: "Second factor: Authenticator app; Address: …"."""
        return "; ".join(f"{name}: {value}" for name, value in self.fields)

    @property
    def text(self) -> str:
        """The action and its details, as one sentence (for search results and the CSV)."""
        return f"{self.action}. {self.details}" if self.fields else self.action


def audit_describe(action: str, details, *, time_zone: str) -> AuditDescription:
    """The event in plain words, times in `time_zone` (the practice's). `details` as stored,
    any JSON; never raises (what the titles make of an odd shape is guarded here)."""
    zone = _zone(time_zone or "UTC")
    details = details if isinstance(details, dict) else {}
    try:
        said, shown = title(action, details, zone)
        return AuditDescription(action=said, fields=fields(details, zone, action, skip=shown))
    except Exception:  # any at all: stored text must never break a page
        plain_fields = tuple((str(key), as_stored(value)) for key, value in details.items())
        return AuditDescription(action=action_label(action), fields=plain_fields)


def details_parse(stored: str | None):
    """Details kept as JSON text (the CSV reads them so), parsed; what cannot be stays text."""
    if not stored:
        return None
    try:
        return json.loads(stored)
    except (ValueError, RecursionError):
        return stored


@cache
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        return ZoneInfo("UTC")


def event_describe(event, *, time_zone: str) -> AuditDescription:
    """audit_describe for an AuditEvent."""
    return audit_describe(event.action, event.details, time_zone=time_zone)


def who_words(username: str | None, *, support: bool, name: str = "") -> str:
    """Who acted, as the log says it: "system" for nobody, the vendor's support staff as such
    (by their username, whatever it is), a practice's user by name (else username)."""
    if username is None:
        return "system"
    if support:
        return f"PracticeGate support ({username})"
    return name or username


def actor_words(user) -> str:
    """who_words for a user (or None: nobody, the system)."""
    if user is None:
        return who_words(None, support=False)
    return who_words(user.username, support=user.practice_id is None, name=user.get_full_name())
