"""The audit log: its newest page, a page deep down, the free-text search, and the CSV export
in the bench's own process."""

from bench import seed
from bench.measures.base import AUDIT_URL, EXPORT_URL, Bench, expect_ok
from bench.timing import median_ms, timed
from practice.console.selectors.audit import cursor_encode
from practice.models import AuditEvent

KEYS = [
    ("audit_page_ms", "ms", "console audit log, newest page"),
    ("audit_deep_page_ms", "ms", "console audit log, a page 90% down"),
    ("audit_search_ms", "ms", 'audit log search, a common word ("locked")'),
    ("audit_search_user_ms", "ms", "audit log search, one user's name (few events)"),
    ("audit_search_none_ms", "ms", "audit log search matching nothing (every event read)"),
    ("csv_rows_per_second", "rows/s", "CSV export of the whole log, in process"),
]


def measure(bench: Bench) -> None:
    bench.say("Audit log…")
    admin = bench.signed_in_client(seed.ADMIN)
    events = AuditEvent.objects.filter(practice=bench.practice)
    deep = events.order_by("-created_at", "-id")[int(bench.options.events * 0.9)]
    deep_url = f"{AUDIT_URL}?before={cursor_encode(deep)}"
    runs, warmup = bench.options.repeat, bench.options.warmup
    first_page = median_ms(lambda: expect_ok(admin.get(AUDIT_URL)), runs=runs, warmup=warmup)
    deep_page = median_ms(lambda: expect_ok(admin.get(deep_url)), runs=runs, warmup=warmup)
    rows = 0

    def export():
        nonlocal rows
        response = admin.get(EXPORT_URL)
        rows = sum(chunk.count(b"\n") for chunk in response.streaming_content) - 1

    elapsed = timed(export)
    # The free-text search: a common word (an action of two in five events), a user's
    # name (one event in a few thousand: the page is the whole practice's log walked), and
    # words nothing matches (the worst case: every event of the practice looked at).
    searches = {
        key: median_ms(
            lambda query=query: expect_ok(admin.get(f"{AUDIT_URL}?q={query}")),
            runs=runs,
            warmup=warmup,
        )
        for key, query in (
            ("audit_search_ms", "locked"),
            ("audit_search_user_ms", seed.PLAIN),
            ("audit_search_none_ms", "no+such+words"),
        )
    }
    bench.figures(
        audit_page_ms=first_page,
        audit_deep_page_ms=deep_page,
        csv_rows_per_second=rows / elapsed,
        **searches,
    )
