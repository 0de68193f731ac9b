"""Stored detail values in words: `plain()`, the one guarded place a stored value becomes text,
and the labelled fields of an event built from it."""

import json
import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.core.exceptions import FieldDoesNotExist

from practice.audit_words.labels import (
    CHANNELS,
    KEY_LABELS,
    PERMISSION_KEYS,
    PROFILE_FIELD_NAMES,
    TWO_FACTOR_SETUP,
    VOCABULARY_OF_KEY,
    key_name,
    kind_words,
    label_of,
    lower_first,
    permission_words,
    purpose_words,
    reason_words,
)
from practice.days import last_day
from practice.models import Practice
from practice.time_zones import time_zone_words
from practice.vocabulary import ApplicationRefusal, AuditAction, GatewayRefusal, SignInFailure, Zone

_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
SETTINGS_CHANGED = AuditAction.PRACTICE_SETTINGS_CHANGED.value
_TWO_FACTOR_SETUP_CHANGED = AuditAction.USER_TWO_FACTOR_SETUP_CHANGED.value
# How deep a nested detail is spelled out; deeper, it is "…" (and the recursion stays bounded).
_MAX_DEPTH = 3


def plain(value, zone: ZoneInfo, *, key: str = "", action: str = "", short: bool = False) -> str:
    """One stored detail value in words: the one place a stored value becomes text. Whatever
    the value (any JSON, a date that is not one, a number too long to print), it never raises."""
    try:
        return _words(value, zone, key=key, action=action, short=short, depth=0)
    except Exception:  # any at all: stored text must never break a page
        return as_stored(value)


def as_stored(value) -> str:
    # As the database keeps it (JSON), or a placeholder when even that fails.
    try:
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    except (ValueError, TypeError, RecursionError):
        return "(unreadable)"


def _words(value, zone: ZoneInfo, *, key: str, action: str, short: bool, depth: int) -> str:
    if _is_two_factor_setup(value, key=key, action=action):
        # A user's own setting: "" is not "none" but the practice's default.
        return lower_first(TWO_FACTOR_SETUP[value])
    if value is None or value == "":
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | dict):
        return _many(value, zone, key=key, action=action, short=short, depth=depth)
    if not isinstance(value, str):
        return str(value)
    return _text(value, zone, key=key, action=action, short=short)


def _is_two_factor_setup(value, *, key: str, action: str) -> bool:
    return (
        action == _TWO_FACTOR_SETUP_CHANGED
        and key in ("before", "after")
        and isinstance(value, str)
        and value in TWO_FACTOR_SETUP
    )


def _many(value, zone: ZoneInfo, *, key: str, action: str, short: bool, depth: int) -> str:
    if depth >= _MAX_DEPTH:
        return "…"
    deeper = {"zone": zone, "short": short, "depth": depth + 1}
    if isinstance(value, dict):
        if key == "roles":
            # A practice's roles as created: each role's name (as typed), its permissions.
            items = (
                f"{name}: {_words(held, key='permissions', action=action, **deeper)}"
                for name, held in value.items()
            )
        else:
            items = (
                f"{lower_first(key_name(name))}: "
                f"{_words(inner, key=str(name), action=action, **deeper)}"
                for name, inner in value.items()
            )
        return "; ".join(items) or "none"
    item_key = "kind" if key == "kinds" else key
    return ", ".join(_words(item, key=item_key, action=action, **deeper) for item in value) or (
        "none"
    )


def _text(value: str, zone: ZoneInfo, *, key: str, action: str, short: bool) -> str:
    if key == "reason":
        return reason_words(value, action)
    if key == "refused":
        return label_of(
            SignInFailure,
            value,
            label_of(GatewayRefusal, value, label_of(ApplicationRefusal, value)),
        )
    if key == "zone":
        return label_of(Zone, value).lower()
    if key in ("second_factor", "kind"):
        return kind_words(value)
    if key in PERMISSION_KEYS:
        return permission_words(value)
    if key in VOCABULARY_OF_KEY:
        return lower_first(label_of(VOCABULARY_OF_KEY[key], value))
    if key == "channel":
        return CHANNELS.get(value, value)
    if key in ("purpose", "during"):
        return purpose_words(value)
    if key == "fields":
        return PROFILE_FIELD_NAMES.get(value, value.replace("_", " "))
    if key == "until":
        return _until(value, zone, short=short)
    if key == "time_zone":
        return time_zone_words(value)
    return when(value, zone, short=short)


def when(value, zone: ZoneInfo, *, short: bool = False) -> str:
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


def _until(value: str, zone: ZoneInfo, *, short: bool) -> str:
    """A grant's end as its last day, the day typed: it is stored as the midnight after it
    (practice.days)."""
    if _ISO_DATETIME.match(value):
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is not None and moment.astimezone(zone).time() == time.min:
            return when(last_day(moment, zone), zone, short=short)
    return when(value, zone, short=short)


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


def fields(details: dict, zone: ZoneInfo, action: str, *, skip=()) -> tuple:
    """The details as (name, words) pairs. An id ("role_id") is for machines: the CSV keeps it
    in its details column, and the words say the thing itself (the role's name)."""
    before, after = details.get("before"), details.get("after")  # settings' maps, or any JSON
    settings_changed = action == SETTINGS_CHANGED and all(
        isinstance(side, dict | None) for side in (before, after)
    )
    out = []
    for key, value in details.items():
        if key in skip or (settings_changed and key in ("before", "after")):
            continue
        if str(key).endswith("_id"):
            continue
        out.append((key_name(key), plain(value, zone, key=key, action=action)))
    if settings_changed:
        before, after = before or {}, after or {}
        for name in sorted(set(before) | set(after)):
            was, now = _setting_value(name, before.get(name)), _setting_value(name, after.get(name))
            words = f"{plain(was, zone, key=name)} → {plain(now, zone, key=name)}"
            out.append((_setting_name(name), words))
    return tuple(out)
