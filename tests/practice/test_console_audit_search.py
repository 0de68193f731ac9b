"""Issue 17, item 4: the audit log's free-text search (user, action, details), scoped to the
practice, on the same keyset pages and with a fixed number of queries; the grouped filter."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from practice.audit import audit_record
from practice.console.selectors.audit import AuditFilters, audit_events
from practice.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 1, 12, 0, tzinfo=ZoneInfo("America/New_York"))


def rows(console, query: str) -> list[str]:
    body = console.get(f"/console/audit/?{query}").content.decode()
    tbody = body.split("<tbody>")[1].split("</tbody>")[0]
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
        for row in re.findall(r"<tr>(.*?)</tr>", tbody, re.S)
    ]


@pytest.fixture
def log(practice, member, admin_user, stranger):
    kim = UserFactory(practice=practice, username="kim", first_name="Kim", last_name="Fox")
    audit_record(
        action="signin.succeeded",
        actor=member,
        target=member,
        details={"zone": "office", "second_factor": ""},
    )
    audit_record(action="signin.failed", target=kim, details={"reason": "wrong_password"})
    audit_record(
        action="user.locked", actor=admin_user, target=kim, details={"reason": "administrator"}
    )
    audit_record(
        action="mfa.code_sent",
        target=member,
        details={"channel": "sms", "number": "+1••••••0177", "purpose": "signin"},
    )
    # Another practice's events never answer, whatever matches.
    audit_record(action="user.locked", target=stranger, details={"reason": "administrator"})
    audit_record(action="signin.failed", target=stranger, details={"reason": "wrong_password"})
    return kim


def test_search_by_a_users_name_finds_events_by_and_about_them(console, log):
    found = rows(console, "q=Kim+Fox")
    assert len(found) == 2
    assert all("kim" in row for row in found)
    assert len(rows(console, "q=avery")) == 1, "the lock Avery made"


def test_search_by_an_actions_words(console, log):
    (row,) = rows(console, "q=locked")
    assert "Locked by an administrator" in row
    assert len(rows(console, "q=signed+in")) == 1


def test_search_finds_words_the_details_hold_as_codes(console, log):
    (row,) = rows(console, "q=wrong+password")
    assert "Sign-in refused: wrong password" in row


def test_search_in_the_details_text(console, log):
    (row,) = rows(console, "q=0177")
    assert "Text message with a code sent to +1••••••0177" in row


def test_search_by_address(console, practice, member):
    audit_record(action="signout", target=member)
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                practice=practice,
                target=member,
                action="signout",
                ip_address="10.20.30.40",
                created_at=START,
            )
        ]
    )
    assert len(rows(console, "q=10.20.30")) == 1


def test_search_never_crosses_practices(console, log):
    assert rows(console, "q=stranger") == ["No events match."]
    assert len(rows(console, "q=wrong+password")) == 1


def test_search_combines_with_the_other_filters(console, log):
    assert len(rows(console, "q=kim&action=user.locked")) == 1
    assert rows(console, "q=kim&action=signin.succeeded") == ["No events match."]


def test_search_pages_by_keyset_and_costs_a_fixed_number_of_queries(
    console, practice, member, django_assert_num_queries
):
    AuditEvent.objects.bulk_create(
        AuditEvent(
            practice=practice,
            target=member,
            action="signin.failed" if i % 2 else "signin.succeeded",
            details={"reason": "wrong_password", "n": i} if i % 2 else {"zone": "office"},
            created_at=START + timedelta(minutes=i),
        )
        for i in range(400)
    )
    with CaptureQueriesContext(connection) as first:
        body = console.get("/console/audit/?q=wrong+password").content.decode()
    count = len(first)
    searched = [q["sql"] for q in first.captured_queries if "practice_auditevent" in q["sql"]]
    assert len(searched) == 1, "one statement: the users and actions are in it, not extra trips"
    assert "COUNT(" not in searched[0].upper()
    seen = len(re.findall(r"Sign-in refused: wrong password", body))
    url = None
    for _ in range(3):
        older = re.search(r'href="(\?[^"]*)" rel="next">Older', body).group(1)
        url = "/console/audit/" + older.replace("&amp;", "&")
        body = console.get(url).content.decode()
        seen += len(re.findall(r"Sign-in refused: wrong password", body))
    assert seen == 200
    with django_assert_num_queries(count):
        console.get(url)


def test_the_action_filter_is_grouped_by_area(console):
    body = console.get("/console/audit/").content.decode()
    select = re.search(r'<select name="action".*?</select>', body, re.S).group(0)
    groups = re.findall(r'<optgroup label="([^"]+)">', select)
    assert groups[:3] == ["Sign-in and sessions", "Access", "Users"]
    assert '<option value="signin.succeeded">Signed in</option>' in select
    assert '<option value="remote_access.granted">Remote access granted</option>' in select


def test_every_action_shows_on_the_page_the_user_page_and_the_csv(console, practice, member):
    from practice.vocabulary import AuditAction

    AuditEvent.objects.bulk_create(
        AuditEvent(
            practice=practice,
            target=member,
            action=action,
            details={
                "reason": "administrator",
                "before": {"office_networks": ["10.0.0.0/24"], "lockout_threshold": 5},
                "after": {"office_networks": [], "lockout_threshold": 3},
                "until": "2026-12-07T04:30:00+00:00",
                "kinds": ["app", "text"],
            },
            created_at=START,
        )
        for action in AuditAction.values
    )
    assert console.get("/console/audit/").status_code == 200
    assert console.get(f"/console/users/{member.pk}/").status_code == 200
    export = b"".join(console.get("/console/audit/export.csv").streaming_content).decode()
    assert "Office networks: 10.0.0.0/24 → none" in export


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_rare_word_and_a_users_name_are_found_from_indexes_not_by_reading_every_event(
    practice, member
):
    """At a million events, reading them all for a word that is nowhere took 820-970 ms. The
    search's every branch is one an index answers: the details' trigram index (migration
    practice 0008), and the target and actor indexes for the named users' ids. (Committed and
    vacuumed, as a live log's index is: in a test's open transaction a GIN index's new entries
    wait in its pending list, and the planner prices it accordingly.)"""
    if connection.vendor != "postgresql":
        pytest.skip("the trigram index is PostgreSQL's")
    AuditEvent.objects.bulk_create(
        AuditEvent(
            practice=practice,
            target=member if i % 2000 == 0 else None,
            action="signin.failed",
            details={"reason": "wrong_password", "n": i},
            created_at=START + timedelta(seconds=i),
        )
        for i in range(20_000)
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE practice_auditevent")
    for text, index in [("no such words", "audit_details_trgm"), ("Reyes", "audit_target_time")]:
        events = audit_events(practice=practice, filters=AuditFilters(search=text))
        sql, params = events.order_by("-created_at", "-id")[:51].query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert f"Bitmap Index Scan on {index}" in plan, plan
        assert "audit_practice_time" not in plan, plan


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_users_a_search_names_and_the_pages_users_are_read_from_indexes(
    console, practice, member
):
    """At 10,000 users a search for one user's name took 63 ms against 31 for the page alone:
    every user's names were read to find the named ones (14 ms), and the page's events were
    joined to every user of the practice, twice (24 ms). Now the names' trigram indexes
    (migration accounts 0014) find the users, and only the page's rows are joined."""
    if connection.vendor != "postgresql":
        pytest.skip("the trigram indexes are PostgreSQL's")
    User = type(member)
    User.objects.bulk_create(
        User(
            practice=practice,
            practice_role=member.practice_role,
            username=f"u{i}",
            first_name=f"First{i}",
            last_name=f"Last{i}",
        )
        for i in range(5_000)
    )
    AuditEvent.objects.bulk_create(
        AuditEvent(
            practice=practice,
            target=member if i % 50 == 0 else None,
            action="signin.failed",
            details={"reason": "wrong_password", "n": i},
            created_at=START + timedelta(seconds=i),
        )
        for i in range(10_000)
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE accounts_user")
        cursor.execute("VACUUM ANALYZE practice_auditevent")
    with CaptureQueriesContext(connection) as page:
        body = console.get(f"/console/audit/?q={member.last_name}").content.decode()
    assert body.count("<tr>") > 50  # a full page of the member's events, and its header
    plans = []
    for query in page.captured_queries:
        if "LIKE" not in query["sql"] and "practice_auditevent" not in query["sql"]:
            continue
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN {query['sql']}")
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    users, events = plans[0], plans[-1]
    assert "Bitmap Index Scan on user_last_name_trgm" in users, users
    assert "Seq Scan on accounts_user" not in users, users
    assert "Seq Scan on accounts_user" not in events, events
