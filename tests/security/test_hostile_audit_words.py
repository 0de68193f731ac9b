"""Issue 21, item 3, as a property: nothing stored in an audit event makes a page fail.

Every action, with any JSON as its details (nested objects and lists, numbers of any size, nulls,
text that looks like a date, a time, an id or a vocabulary code and is not, control characters,
markup), goes through the words, the console's audit log and its search, the CSV export, the
user page's activity and My Account's sign-ins: no exception, and what was stored shows escaped.
"""

import csv
import io
import json
from urllib.parse import urlencode

import pytest
from django.db import transaction
from django.db.models import JSONField, Value
from django.test import Client
from django.utils import timezone
from hypothesis import example, given, settings
from hypothesis import strategies as st

from practice.audit_words import KEY_LABELS, audit_describe, details_parse
from practice.models import AuditEvent
from practice.vocabulary import AuditAction, SessionEndReason, SignInFailure, Zone
from tests.factories import AdminFactory, PracticeFactory, UserFactory
from tests.security.fuzzing import EDGE_STRINGS, FUZZ
from tests.signin_helpers import sign_in

MARKUP = '<script>alert("audit")</script>'
ACTIONS = [*AuditAction.values, "user.renamed"]  # and one the vocabulary no longer knows

# Text that looks like something the words read (a date, a time, a code) and is not, or is.
LOOKALIKES = [
    "2024-13-45",
    "2024-02-30",
    "0000-00-00",
    "9999-12-31",
    "2024-13-45T10:00",
    "2024-01-01T25:61:00",
    "9999-12-31T23:59:59-23:59",
    "0001-01-01T00:00:00+23:59",
    "2026-12-04T18:02:00+00:00",
    "2026-12-04T18:02",
    "otp_totp.totpdevice/3",
    "mfa.phonedevice",
    "+1••••••0143",
    '=HYPERLINK("http://x")',
    "-2+3",
    "@SUM(A1)",
    "%s %(x)s {0} {{ x }}",
    MARKUP,
    "a\r\nb",
    "\u2028\u202e\ufeff",
    *SignInFailure.values,
    *SessionEndReason.values,
    *Zone.values,
]
KEYS = [*KEY_LABELS, "before", "after", "office_networks", "two_factor_policy", "lockout_threshold"]

# PostgreSQL's jsonb refuses a NUL character in text; no other character is left out.
TEXT = st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=40)
STRINGS = st.one_of(
    st.sampled_from(LOOKALIKES),
    st.sampled_from([text for text in EDGE_STRINGS if "\x00" not in text]),
    TEXT,
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**200), max_value=2**200),
    st.floats(allow_nan=False, allow_infinity=False),
    STRINGS,
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), TEXT), inner, max_size=5),
    ),
    max_leaves=20,
)
# Details as the services write them (an object of known keys), and any JSON at all.
DETAILS = st.one_of(st.dictionaries(st.sampled_from(KEYS), JSON, max_size=8), JSON)


def _nested(depth: int):
    value = "2024-13-45"
    for _ in range(depth):
        value = [value]
    return value


# What broke the pages, or would have: always tried, besides what Hypothesis draws.
KNOWN_BAD = [
    {"reason": "unknown_user", "username": "2024-13-45"},
    dict.fromkeys(KEYS, "2024-13-45"),
    {"until": "9999-12-31T23:59:59-23:59", "expires_at": "0001-01-01T00:00:00+23:59"},
    {"before": [{"a": 1}, ["b"]], "after": "2024-13-45"},
    {"before": {"two_factor_policy": ["x"]}, "after": {"office_networks": {"a": None}}},
    {"zone": ["office"], "number": {"n": 1}, "channel": 5, "count": 10**60, "kinds": "app"},
    {"items": _nested(400)},
]


def known_bad(**others):
    def tried_first(test):
        for details in KNOWN_BAD:
            test = example(details=details, **others)(test)
        return test

    return tried_first


@settings(FUZZ, max_examples=150)
@given(details=DETAILS, time_zone=st.sampled_from(["America/New_York", "Pacific/Kiritimati"]))
@known_bad(time_zone="America/New_York")
def test_item3_the_words_of_every_action_never_raise_on_any_details(details, time_zone):
    for action in ACTIONS:
        said = audit_describe(action, details, time_zone=time_zone)
        assert said.action and isinstance(said.action, str)
        assert all(isinstance(name, str) and isinstance(value, str) for name, value in said.fields)
        assert isinstance(said.text, str)
        # The CSV reads the details as the JSON text the database keeps.
        stored = json.dumps(details)
        assert audit_describe(action, details_parse(stored), time_zone=time_zone) == said


def _practice_with_events(details):
    practice = PracticeFactory()
    admin = AdminFactory(practice=practice)
    member = UserFactory(practice=practice)
    # Python's None would be SQL NULL, which the column refuses: JSON's null is a value.
    stored = Value(None, JSONField()) if details is None else details
    for action in ACTIONS:
        AuditEvent.objects.create(
            practice=practice,
            actor=admin,
            target=member,
            action=action,
            details=stored,
            created_at=timezone.now(),
        )
    # And one row whose free text is markup, in the fields a sign-in attempt fills.
    AuditEvent.objects.create(
        practice=practice,
        target=member,
        action=AuditAction.SIGNIN_FAILED,
        details={"reason": MARKUP, "username": MARKUP, "zone": MARKUP},
        created_at=timezone.now(),
    )
    return practice, admin, member


def _page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    body = response.content.decode()
    assert MARKUP not in body, url
    return body


@pytest.mark.django_db
@settings(FUZZ, max_examples=15)  # each example is a practice, 80 events and 5 pages
@given(details=DETAILS, search=STRINGS)
@known_bad(search="2024-13-45")
def test_item3_every_page_of_the_log_answers_whatever_the_details_hold(details, search):
    # Each example in a savepoint of its own, rolled back: the log is append-only (a trigger
    # refuses deletes), and each example's pages then show only its own events.
    with transaction.atomic():
        _every_page_answers(details, search)
        transaction.set_rollback(True)


def _every_page_answers(details, search):
    practice, admin, member = _practice_with_events(details)
    console = Client()
    sign_in(console, admin)
    # The markup row is on the first page (the newest), and shows as text.
    assert "&lt;script&gt;" in _page(console, "/console/audit/")
    _page(console, "/console/audit/?" + urlencode({"q": search[:100].strip() or "x"}))
    _page(console, f"/console/users/{member.pk}/")
    own = Client()
    sign_in(own, member)
    _page(own, "/account/")

    response = console.get("/console/audit/export.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 1 + AuditEvent.objects.filter(practice=practice).count()
    for row in rows:
        assert len(row) == 9
        assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in row), row
