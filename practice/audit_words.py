"""An audit event in plain words: the one description the audit log, the console's user page,
My Account's sign-in history and the CSV export all show.

`audit_describe(action, details, time_zone=...)` answers the action as a person would say it
("Signed in (office)", "Remote access granted until 6 Dec") and the details as labelled fields
("Reason: Too many failed attempts", "Expires: 4 Dec 2026, 13:02"), with every time in the
practice's zone. It takes the stored code and details, not a model, so the CSV export can call it
on the rows it streams. The codes stay in the database, the JSON log line and the CSV's "action"
column, for machines. Nothing stored may make a page fail: details hold any JSON, and text anyone
typed (a username tried, a reason) may look like a date and not be one ("2024-13-45"). Every stored
value becomes words in `plain()`, whose guard shows it as stored when it cannot be read.
"""

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo

from django.core.exceptions import FieldDoesNotExist

from practice.models import Practice
from practice.vocabulary import (
    ApplicationRefusal,
    AuditAction,
    CodePurpose,
    CodeRefusal,
    FactorKind,
    GatewayRefusal,
    LockChange,
    RemoteAccessRemoval,
    SessionEndReason,
    SignInFailure,
    Zone,
)

# A second factor is stored as its FactorKind. Rows written before named the device's model
# instead (a sign-in's "second_factor", the first part of django-otp's persistent id; a pairing
# reset's "kinds"): their words. A phone's model does not say whether it took texts or calls.
STORED_DEVICE_MODELS = {
    "otp_totp.totpdevice": FactorKind.APP.label,
    "mfa.authenticatorapp": FactorKind.APP.label,
    "mfa.phonedevice": "Text or voice code",
    "django_otp_webauthn.webauthncredential": FactorKind.KEY.label,
    "mfa.recoverycodedevice": FactorKind.RECOVERY.label,
    "otp_email.emaildevice": FactorKind.EMAIL.label,
}
CHANNELS = {"sms": "text message", "voice": "voice call", "email": "email"}
# Detail keys, as field names. A key not listed is shown with its underscores as spaces.
KEY_LABELS = {
    "reason": "Reason",
    "zone": "Where",
    "second_factor": "Second factor",
    "emergency": "Emergency reason",
    "username": "Username tried",
    # A name that matched nobody, kept as its length and keyed hash (practice.audit).
    "username_length": "Username tried (characters)",
    "username_fingerprint": "Username tried (fingerprint)",
    "count": "Sessions",
    "until": "Until",
    "grant_reason": "Reason for the grant",
    "expires_at": "Expires",
    "ends_on": "Access ended on",
    "before": "Before",
    "after": "After",
    "threshold": "Failed attempts allowed",
    "role": "Role",
    "first_user": "First user of the practice",
    "from": "From",
    "to": "To",
    "days": "Days without sign-in",
    "why": "Why",
    "refused": "Refused because",
    "items": "Items",
    "due_on": "Due on",
    "kind": "Kind",
    "held": "Held",
    "decision": "Decision",
    "kept": "Kept",
    "removed": "Removed",
    "lapsed": "Not reviewed",
    "during": "During",
    "fields": "Changed",
    "new_email": "New email",
    "old_email": "Old email",
    "ending": "Number ending",
    "old": "Old number",
    "new": "New number",
    "verified": "Verified",
    "restricted": "Restricted",
    "windows": "Windows",
    "codes_left": "Recovery codes left",
    "replaced": "Replaced earlier codes",
    "kinds": "Kinds",
    "setup_required": "Must set up again",
    "name": "Name",
    "last": "Was the last one",
    "channel": "Sent by",
    "number": "Number",
    "purpose": "For",
    "provider_code": "Provider's error code",
    "limit": "Codes an hour allowed",
    "code": "Practice code",
    "office_networks": "Office networks",
    "sessions": "Sessions ended",
    "remote_access": "Remote access removed",
    "second_factors": "Second factors removed",
    "invitations": "Invitations voided",
    "reset_links": "Reset links voided",
    "provider_kept": "Provider link kept",
    "npi": "NPI",
    "application": "Application",
    "client_id": "Client ID",
    "redirect_uris": "Redirect URIs",
    "backchannel_logout_uri": "Back-channel logout URI",
    "attempt": "Attempt",
    "error": "What went wrong",
}
# The vocabulary a "reason" holds, by action.
REASONS = {
    AuditAction.SIGNIN_FAILED: SignInFailure,
    AuditAction.SIGNED_OUT: SessionEndReason,
    AuditAction.SESSIONS_ENDED: SessionEndReason,
    AuditAction.REMOTE_ACCESS_REMOVED: RemoteAccessRemoval,
    AuditAction.USER_LOCKED: LockChange,
    AuditAction.USER_UNLOCKED: LockChange,
    AuditAction.MFA_CODE_REFUSED: CodeRefusal,
    AuditAction.APP_REFUSED: ApplicationRefusal,
    AuditAction.APP_SIGNED_OUT: SessionEndReason,
}
LOCK_WORDS = {
    (AuditAction.USER_LOCKED, LockChange.ADMINISTRATOR): "Locked by an administrator",
    (AuditAction.USER_LOCKED, LockChange.SUPPORT): "Locked by support",
    (AuditAction.USER_LOCKED, LockChange.FAILED_ATTEMPTS): "Locked after too many failed attempts",
    (AuditAction.USER_UNLOCKED, LockChange.ADMINISTRATOR): "Unlocked by an administrator",
    (AuditAction.USER_UNLOCKED, LockChange.SUPPORT): "Unlocked by support",
    (AuditAction.USER_UNLOCKED, LockChange.AUTO_UNLOCK): "Unlocked automatically",
    (AuditAction.USER_UNLOCKED, LockChange.PASSWORD_RESET): "Unlocked by a password reset",
}
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


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


@cache
def _labels(choices) -> dict[str, str]:
    # Read once: TextChoices builds `.choices` anew at every access; the CSV describes every row.
    return {value: str(label) for value, label in choices.choices}


def action_label(action: str) -> str:
    """The action's label, or the code itself for an action no longer known."""
    return _labels(AuditAction).get(action, action)


def label_of(choices, value, default: str | None = None) -> str:
    label = _labels(choices).get(value) if isinstance(value, str) else None
    if label is not None:
        return label
    return str(value) if default is None else default


def _when(value, zone: ZoneInfo, *, short: bool = False) -> str:
    """An ISO time (or date) as people read it, in the practice's zone: "6 Dec 2026, 13:02";
    text that only looks like one ("2024-13-45", 9999-12-31T23:59-05:00) stays as it is."""
    try:
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, str) and _ISO_DATETIME.match(value):
            moment = datetime.fromisoformat(value)
        elif isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
            day = value if isinstance(value, date) else date.fromisoformat(value)
            return f"{day.day} {day:%b}" if short else f"{day.day} {day:%b %Y}"
        else:
            return str(value)
        if moment.tzinfo is not None:
            moment = moment.astimezone(zone)
    except (ValueError, OverflowError):
        return str(value)
    return f"{moment.day} {moment:%b}" if short else f"{moment.day} {moment:%b %Y, %H:%M}"


def _practice_field(name: str):
    try:
        return Practice._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _setting_name(name: str) -> str:
    if name in KEY_LABELS:
        return KEY_LABELS[name]
    verbose = str(getattr(_practice_field(name), "verbose_name", name)).replace("_", " ")
    return verbose[:1].upper() + verbose[1:]


def _setting_value(name: str, value):
    """A setting's stored value, as its label when the field has choices ("require" -> …)."""
    choices = getattr(_practice_field(name), "choices", None)
    if choices and isinstance(value, str):
        return str(dict(choices).get(value, value))
    return value


def plain(value, zone: ZoneInfo, *, key: str = "", action: str = "", short: bool = False) -> str:
    """One stored detail value in words: the one place a stored value becomes text. Whatever
    the value (any JSON, a date that is not one, a number too long to print), it never raises."""
    try:
        return _words(value, zone, key=key, action=action, short=short, depth=0)
    except Exception:  # any at all: stored text must never break a page
        return _as_stored(value)


def _as_stored(value) -> str:
    # As the database keeps it (JSON), or a placeholder when even that fails.
    try:
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    except (ValueError, TypeError, RecursionError):
        return "(unreadable)"


# How deep a nested detail is spelled out; deeper, it is "…" (and the recursion stays bounded).
_MAX_DEPTH = 3


def _words(value, zone: ZoneInfo, *, key: str, action: str, short: bool, depth: int) -> str:
    if value is None or value == "":
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | dict):
        if depth >= _MAX_DEPTH:
            return "…"
        deeper = {"zone": zone, "short": short, "depth": depth + 1}
        if isinstance(value, dict):
            items = (f"{k}: {_words(v, key='', action='', **deeper)}" for k, v in value.items())
        else:
            item_key = "kind" if key == "kinds" else key
            items = (_words(item, key=item_key, action=action, **deeper) for item in value)
        return ", ".join(items) or "none"
    if not isinstance(value, str):
        return str(value)
    if key == "reason" and action in REASONS:
        return label_of(REASONS[action], value)
    if key == "refused":
        return label_of(
            SignInFailure,
            value,
            label_of(GatewayRefusal, value, label_of(ApplicationRefusal, value)),
        )
    if key == "zone":
        return label_of(Zone, value).lower()
    if key in ("second_factor", "kind"):
        name = value.lower()
        return label_of(FactorKind, name, STORED_DEVICE_MODELS.get(name, value))
    if key == "channel":
        return CHANNELS.get(value, value)
    if key == "purpose":
        purpose = _labels(CodePurpose).get(value)
        return _lower_first(purpose) if purpose else value
    if key == "fields":
        return value.replace("_", " ")
    return _when(value, zone, short=short)


def _fields(details: dict, zone: ZoneInfo, action: str, *, skip=()) -> tuple:
    before, after = details.get("before"), details.get("after")  # settings' maps, or any JSON
    settings_changed = action == _SETTINGS_CHANGED and all(
        isinstance(side, dict | None) for side in (before, after)
    )
    out = []
    for key, value in details.items():
        if key in skip or (settings_changed and key in ("before", "after")):
            continue
        name = KEY_LABELS.get(key) or str(key).replace("_", " ").capitalize()
        out.append((name, plain(value, zone, key=key, action=action)))
    if settings_changed:
        before, after = before or {}, after or {}
        for name in sorted(set(before) | set(after)):
            was, now = _setting_value(name, before.get(name)), _setting_value(name, after.get(name))
            out.append((_setting_name(name), f"{plain(was, zone)} → {plain(now, zone)}"))
    return tuple(out)


# Titles: the action in words with what it already says from the details, which are then not
# repeated as fields. Each answers None when its details do not say enough (the label then).
Title = tuple[str, tuple[str, ...]]


def _reason(details: dict) -> str:
    reason = details.get("reason")
    return reason if isinstance(reason, str) else ""


def _lower_first(text: str) -> str:
    return f"{text[:1].lower()}{text[1:]}"


def _signed_in(action: str, details: dict, zone: ZoneInfo) -> Title | None:
    where = [plain(details["zone"], zone, key="zone")] if details.get("zone") else []
    if details.get("emergency"):
        where.append("emergency")
    return (f"Signed in ({', '.join(where)})" if where else "Signed in"), ("zone",)


def _signin_refused(action: str, details: dict, zone: ZoneInfo) -> Title | None:
    if reason := _reason(details):
        return f"Sign-in refused: {label_of(SignInFailure, reason).lower()}", ("reason",)
    return None


def _sessions_ended(action: str, details: dict, zone: ZoneInfo) -> Title | None:
    if not (reason := _reason(details)):
        return None
    count = details.get("count")
    sessions = f"{count} sessions" if isinstance(count, int) and count != 1 else "Session"
    what = _lower_first(label_of(SessionEndReason, reason))
    return f"{sessions} ended: {what}", ("reason", "count")


def _remote_access_granted(action: str, details: dict, zone: ZoneInfo) -> Title | None:
    if until := details.get("until"):
        return f"Remote access granted until {plain(until, zone, short=True)}", ("until",)
    return "Remote access granted", ("until",)


def _remote_access_removed(action: str, details: dict, zone: ZoneInfo) -> Title | None:
    if reason := _reason(details):
        what = _lower_first(label_of(RemoteAccessRemoval, reason))
        return f"Remote access removed: {what}", ("reason",)
    return None


def _lock_changed(action: str, details: dict, zone: ZoneInfo) -> Title | None:
    if not (reason := _reason(details)):
        return None
    said = LOCK_WORDS.get((action, reason))
    if said is None:
        by = _lower_first(label_of(LockChange, reason))
        said = f"{action_label(action)} ({by})"
    return said, ("reason",)


def _temporary_password(action: str, details: dict, zone: ZoneInfo) -> Title | None:
    if expires_at := details.get("expires_at"):
        return f"{action_label(action)} (expires {plain(expires_at, zone)})", ("expires_at",)
    return None


def _access_end_changed(action: str, details: dict, zone: ZoneInfo) -> Title | None:
    after = details.get("after")
    return (f"Access ends on {plain(after, zone)}" if after else "Access end date removed"), (
        "after",
    )


def _device_changed(action: str, details: dict, zone: ZoneInfo) -> Title | None:
    if kind := details.get("kind"):
        return f"{action_label(action)}: {plain(kind, zone, key='kind')}", ("kind",)
    return None


_CODE_WORDS = {
    AuditAction.MFA_CODE_SENT: "with a code sent",
    AuditAction.MFA_CODE_SEND_FAILED: "with a code could not be sent",
    AuditAction.MFA_CODE_OPTED_OUT: "not sent: the number opted out",
}


def _code_sent(action: str, details: dict, zone: ZoneInfo) -> Title | None:
    if not (channel := details.get("channel")):
        return None
    verb = "Voice call" if channel == "voice" else "Text message"
    to = f" to {plain(details['number'], zone)}" if details.get("number") else ""
    return f"{verb} {_CODE_WORDS[action]}{to}", ("channel", "number")


_APPLICATION_WORDS = {
    AuditAction.APP_SIGNED_IN: "Signed in to {}",
    AuditAction.APP_LOGOUT_SENT: "Sign-out sent to {}",
    AuditAction.APP_LOGOUT_FAILED: "Sign-out could not be sent to {}",
    AuditAction.APP_CREATED: "Application added: {}",
    AuditAction.APP_CHANGED: "Application changed: {}",
    AuditAction.APP_SECRET_ROTATED: "New client secret for {}",
    AuditAction.APP_SWITCHED_OFF: "Application switched off: {}",
    AuditAction.APP_SWITCHED_ON: "Application switched on: {}",
}


def _application(action: str, details: dict, zone: ZoneInfo) -> Title | None:
    name = details.get("application")
    if not isinstance(name, str) or not name:
        return None
    if action == AuditAction.APP_REFUSED:
        why = label_of(ApplicationRefusal, _reason(details) or "refused").lower()
        return f"Sign-in to {name} refused: {why}", ("application", "reason")
    if action == AuditAction.APP_SIGNED_OUT:
        refused = details.get("refused")
        reason = _reason(details)
        if isinstance(refused, str) and refused:
            why = f"no longer allowed ({label_of(ApplicationRefusal, refused).lower()})"
        elif reason == "application_off":
            why = "the application was switched off"
        elif reason:
            why = _lower_first(label_of(SessionEndReason, reason))
        else:
            return f"Signed out of {name}", ("application",)
        return f"Signed out of {name}: {why}", ("application", "reason", "refused")
    title = _APPLICATION_WORDS[action].format(name)
    if action == AuditAction.APP_SIGNED_IN and details.get("zone"):
        title += f" ({label_of(Zone, details['zone']).lower()})"
    return title, ("application", "zone")


# By action: one dictionary look-up per row of a long export, not a test per kind of action.
_TITLES = {
    AuditAction.SIGNIN_SUCCEEDED: _signed_in,
    AuditAction.SIGNIN_FAILED: _signin_refused,
    AuditAction.SESSIONS_ENDED: _sessions_ended,
    AuditAction.REMOTE_ACCESS_GRANTED: _remote_access_granted,
    AuditAction.REMOTE_ACCESS_REMOVED: _remote_access_removed,
    AuditAction.USER_LOCKED: _lock_changed,
    AuditAction.USER_UNLOCKED: _lock_changed,
    AuditAction.PASSWORD_TEMPORARY_SET: _temporary_password,
    AuditAction.USER_ACCESS_END_CHANGED: _access_end_changed,
    AuditAction.MFA_DEVICE_ADDED: _device_changed,
    AuditAction.MFA_DEVICE_REMOVED: _device_changed,
    **dict.fromkeys(_CODE_WORDS, _code_sent),
    **dict.fromkeys(
        [*_APPLICATION_WORDS, AuditAction.APP_REFUSED, AuditAction.APP_SIGNED_OUT], _application
    ),
}
_SETTINGS_CHANGED = AuditAction.PRACTICE_SETTINGS_CHANGED.value


def _title(action: str, details: dict, zone: ZoneInfo) -> Title:
    """The action in words, with what it already says from the details (not repeated)."""
    words = _TITLES.get(action)
    title = words(action, details, zone) if words is not None else None
    return title if title is not None else (action_label(action), ())


def audit_describe(action: str, details, *, time_zone: str) -> AuditDescription:
    """The event in plain words, times in `time_zone` (the practice's). `details` as stored,
    any JSON; never raises (what the titles make of an odd shape is guarded here)."""
    zone = _zone(time_zone or "UTC")
    details = details if isinstance(details, dict) else {}
    try:
        title, said = _title(action, details, zone)
        return AuditDescription(action=title, fields=_fields(details, zone, action, skip=said))
    except Exception:  # any at all: stored text must never break a page
        fields = tuple((str(key), _as_stored(value)) for key, value in details.items())
        return AuditDescription(action=action_label(action), fields=fields)


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
