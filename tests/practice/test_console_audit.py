"""The audit log: keyset pages, filters, a constant query count, and the streamed CSV export."""

import csv
import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from practice.audit import audit_record
from practice.console.selectors.audit import csv_safe, cursor_decode
from practice.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
START = datetime(2026, 3, 1, 12, 0, tzinfo=NY)


def seed_events(practice, target, count: int, *, actions=("signin.succeeded", "signin.failed")):
    """`count` events, several sharing each timestamp, so the keyset's tie-break matters."""
    AuditEvent.objects.bulk_create(
        AuditEvent(
            practice=practice,
            target=target,
            action=actions[i % len(actions)],
            details={"n": i},
            created_at=START + timedelta(minutes=i // 3),
        )
        for i in range(count)
    )


def numbers(body: str) -> list[int]:
    return [int(n) for n in re.findall(r"N:</span> (\d+)</li>", body)]


def table(body: str) -> str:
    return body.split("<tbody>")[1].split("</tbody>")[0]


def walk(console, url: str) -> list[int]:
    """Follow "Older" from the first page to the last; the event numbers seen, in order."""
    seen = []
    while url:
        body = console.get(url).content.decode()
        seen += numbers(body)
        older = re.search(r'<a href="(\?[^"]*)" rel="next">Older</a>', body)
        url = "/console/audit/" + older.group(1).replace("&amp;", "&") if older else ""
    return seen


def test_keyset_pages_cover_every_event_once_newest_first(console, practice, member):
    seed_events(practice, member, 130)
    seen = walk(console, "/console/audit/?action=")
    assert seen == sorted(range(130), reverse=True)


def test_newer_goes_back_a_page(console, practice, member):
    seed_events(practice, member, 120)
    first = console.get("/console/audit/").content.decode()
    older = re.search(r'href="(\?[^"]*)" rel="next">Older', first).group(1).replace("&amp;", "&")
    second = console.get("/console/audit/" + older).content.decode()
    assert numbers(second) == list(range(69, 19, -1))
    newer = re.search(r'href="(\?[^"]*)" rel="prev">Newer', second).group(1).replace("&amp;", "&")
    back = console.get("/console/audit/" + newer).content.decode()
    assert numbers(back) == numbers(first)
    assert 'rel="prev">Newer' not in back


def test_filters_by_user_action_and_date_range(console, practice, member, admin_user):
    other = UserFactory(practice=practice, username="otto")
    seed_events(practice, member, 6, actions=("user.locked", "user.unlocked"))
    audit_record(action="user.locked", target=other, actor=admin_user)

    by_user = console.get(f"/console/audit/?user={other.pk}").content.decode()
    assert "otto" in table(by_user) and "nina" not in table(by_user)
    by_name = console.get("/console/audit/?username=OTTO").content.decode()
    assert table(by_name) == table(by_user)
    by_action = console.get("/console/audit/?action=user.unlocked").content.decode()
    assert numbers(by_action) == [5, 3, 1]
    in_range = console.get("/console/audit/?date_from=2026-03-01&date_to=2026-03-01").content
    assert numbers(in_range.decode()) == [5, 4, 3, 2, 1, 0]
    before_range = console.get("/console/audit/?date_to=2026-02-28").content.decode()
    assert numbers(before_range) == []


@pytest.mark.parametrize(
    "query",
    [
        "before=garbage",
        "before=99999999999999999999.1",
        "after=-5.-5",
        "date_from=yesterday",
        "date_from=2026-03-05&date_to=2026-03-01",
        "username=nobody",
        "action=" + "x" * 500,
    ],
)
def test_bad_filters_and_cursors_never_500(console, practice, member, query):
    seed_events(practice, member, 3)
    response = console.get(f"/console/audit/?{query}")
    assert response.status_code in (200, 400)


def test_cursor_decoding_refuses_anything_malformed():
    assert cursor_decode("") is None
    assert cursor_decode("1.2.3") is None
    assert cursor_decode("abc.1") is None
    assert cursor_decode("1772384400000000.42")[1] == 42


def test_another_practices_events_never_show(console, practice, member, stranger):
    audit_record(action="user.locked", target=stranger)
    audit_record(action="user.unlocked", target=member)
    body = table(console.get("/console/audit/").content.decode())
    assert "Unlocked" in body and "Locked" not in body
    export = b"".join(console.get("/console/audit/export.csv").streaming_content).decode()
    assert "stranger" not in export


def test_a_page_costs_the_same_queries_on_page_1_and_deep_in_the_log(
    console, practice, member, django_assert_num_queries
):
    seed_events(practice, member, 600)
    with CaptureQueriesContext(connection) as first:
        body = console.get("/console/audit/").content.decode()
    # Read now: the next request resets the connection's query log.
    first_count = len(first)
    page_queries = [q["sql"] for q in first.captured_queries if "practice_auditevent" in q["sql"]]
    url = "/console/audit/"
    for _ in range(8):
        older = re.search(r'href="(\?[^"]*)" rel="next">Older', body).group(1)
        url = "/console/audit/" + older.replace("&amp;", "&")
        body = console.get(url).content.decode()
    with django_assert_num_queries(first_count):
        console.get(url)
    # No COUNT(*) over the log, and one query for the page with its users joined.
    assert len(page_queries) == 1
    assert "COUNT(" not in page_queries[0].upper()


def test_csv_export_is_streamed_with_every_matching_event(console, practice, member, admin_user):
    locked = audit_record(
        action="user.locked",
        actor=admin_user,
        target=member,
        details={"reason": "administrator"},
    )
    seed_events(practice, member, 2500)
    response = console.get("/console/audit/export.csv?action=user.locked")
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert "audit-valley-" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == [
        "time",
        "action",
        "action label",
        "actor",
        "target",
        "client address",
        "user agent",
        "description",
        "details",
    ]
    assert len(rows) == 2
    # The code for machines, and beside it the words the audit page shows.
    assert rows[1][1:5] == ["user.locked", "Locked by an administrator", "avery", "nina"]
    assert rows[1][8] == '{"reason": "administrator"}'
    # The very moment it was written, to the microsecond, told in the practice's zone.
    exported_at = datetime.fromisoformat(rows[1][0])
    assert exported_at == locked.created_at
    assert (
        exported_at.utcoffset()
        == locked.created_at.astimezone(ZoneInfo(practice.time_zone)).utcoffset()
    )

    everything = console.get("/console/audit/export.csv")
    rows = list(csv.reader(io.StringIO(b"".join(everything.streaming_content).decode())))
    assert len(rows) == 1 + 2501
    assert rows[1][0].endswith("-05:00") or rows[1][0].endswith("-04:00")  # practice's zone


def test_csv_cells_that_a_spreadsheet_would_run_are_defused(console, practice, admin_user):
    sneaky = UserFactory(practice=practice, username="=cmd|'/c calc'!A1")
    audit_record(
        action="user.locked",
        actor=admin_user,
        target=sneaky,
        details={"reason": "x"},
        request=None,
    )
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                practice=practice,
                target=sneaky,
                action="+SUM(1,1)",
                user_agent="@evil",
                created_at=START,
            ),
            AuditEvent(practice=practice, action="-2+3", user_agent="\tTAB", created_at=START),
        ]
    )
    body = b"".join(console.get("/console/audit/export.csv").streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body)))
    cells = [cell for row in rows[1:] for cell in row]
    assert "'=cmd|'/c calc'!A1" in cells
    assert "'+SUM(1,1)" in cells and "'@evil" in cells and "'-2+3" in cells and "'\tTAB" in cells
    assert not any(cell[:1] in "=+-@\t" for cell in cells if cell)


def test_csv_safe():
    assert csv_safe("=1+1") == "'=1+1"
    assert csv_safe("plain") == "plain"
    assert csv_safe(None) == ""
    assert csv_safe(-3) == "'-3"


def test_the_export_is_written_a_thousand_rows_at_a_time(console, practice, member):
    now = timezone.now()
    AuditEvent.objects.bulk_create(
        AuditEvent(practice=practice, target=member, action="signin.failed", created_at=now)
        for _ in range(2_500)
    )
    response = console.get("/console/audit/export.csv")
    chunks = [chunk.decode() for chunk in response.streaming_content]
    # The header and 999 events, then 1,000, then the rest: three writes, not 2,501.
    assert [chunk.count("\r\n") for chunk in chunks] == [1000, 1000, 501]
    assert sum(chunk.count("signin.failed") for chunk in chunks) == 2_500
