"""Titles: the action in words with what it already says from the details, which are then not
repeated as fields. Each answers None when its details do not say enough (the label then)."""

from zoneinfo import ZoneInfo

from practice.audit_words.labels import (
    LOCK_WORDS,
    action_label,
    label_of,
    lower_first,
    reason_words,
)
from practice.audit_words.values import plain
from practice.vocabulary import (
    ApplicationRefusal,
    AuditAction,
    SessionEndReason,
    SignInFailure,
    Zone,
)

Title = tuple[str, tuple[str, ...]]


def _reason(details: dict) -> str:
    reason = details.get("reason")
    return reason if isinstance(reason, str) else ""


def _signed_in(action: str, details: dict, zone: ZoneInfo) -> Title | None:
    where = [plain(details["zone"], zone, key="zone")] if details.get("zone") else []
    if details.get("emergency"):
        where.append("emergency")
    return (f"Signed in ({', '.join(where)})" if where else "Signed in"), ("zone",)


# A wrong password or code that was not typed to sign in: what it was typed for.
_NOT_A_SIGNIN = {
    SignInFailure.CURRENT_PASSWORD: "Password change refused: wrong current password",
    SignInFailure.REAUTH_PASSWORD: "Password confirmation refused: wrong password",
}


def _signin_refused(action: str, details: dict, zone: ZoneInfo) -> Title | None:
    if not (reason := _reason(details)):
        return None
    if reason in _NOT_A_SIGNIN:
        return _NOT_A_SIGNIN[reason], ("reason",)
    if reason == SignInFailure.PHONE_CODE and details.get("during") == "password_reset":
        return "Password reset refused: wrong code sent to the phone", ("reason", "during")
    return f"Sign-in refused: {reason_words(reason, action).lower()}", ("reason",)


def _sessions_ended(action: str, details: dict, zone: ZoneInfo) -> Title | None:
    if not (reason := _reason(details)):
        return None
    count = details.get("count")
    sessions = f"{count} sessions" if isinstance(count, int) and count != 1 else "Session"
    what = lower_first(reason_words(reason, action))
    return f"{sessions} ended: {what}", ("reason", "count")


def _remote_access_granted(action: str, details: dict, zone: ZoneInfo) -> Title | None:
    if until := details.get("until"):
        words = plain(until, zone, key="until", short=True)
        return f"Remote access granted until {words}", ("until",)
    return "Remote access granted", ("until",)


def _remote_access_removed(action: str, details: dict, zone: ZoneInfo) -> Title | None:
    if reason := _reason(details):
        return f"Remote access removed: {lower_first(reason_words(reason, action))}", ("reason",)
    return None


def _lock_changed(action: str, details: dict, zone: ZoneInfo) -> Title | None:
    if not (reason := _reason(details)):
        return None
    said = LOCK_WORDS.get((action, reason))
    if said is None:
        said = f"{action_label(action)} ({lower_first(reason_words(reason, action))})"
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


def _role_changed(action: str, details: dict, zone: ZoneInfo) -> Title | None:
    after = details.get("after")
    name = after.get("name") if isinstance(after, dict) else None
    if isinstance(name, str) and name:
        # A role just made had nothing before: no "Before: none".
        return f"{action_label(action)}: {name}", () if details.get("before") else ("before",)
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
            why = lower_first(label_of(SessionEndReason, reason))
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
    AuditAction.ROLE_CREATED: _role_changed,
    AuditAction.ROLE_CHANGED: _role_changed,
    AuditAction.ROLE_COPIED: _role_changed,
    **dict.fromkeys(_CODE_WORDS, _code_sent),
    **dict.fromkeys(
        [*_APPLICATION_WORDS, AuditAction.APP_REFUSED, AuditAction.APP_SIGNED_OUT], _application
    ),
}


def title(action: str, details: dict, zone: ZoneInfo) -> Title:
    """The action in words, with what it already says from the details (not repeated)."""
    words = _TITLES.get(action)
    said = words(action, details, zone) if words is not None else None
    return said if said is not None else (action_label(action), ())
