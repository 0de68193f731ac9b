"""With --explain: the query plans of the list page, the audit log's first page and the export
(EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on SQLite), for one practice. Not figures of
the table: they go to the JSON file's `detail` and are printed after it."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench import seed
from bench.measures.base import AUDIT_URL, EXPORT_URL, LIST_URL, Bench

_DECLARE_CURSOR = re.compile(r"^\s*DECLARE .+? CURSOR (?:WITH(?:OUT)? HOLD )?FOR ", re.DOTALL)


def explain(bench: Bench, code: str) -> None:
    admin = bench.signed_in_client(seed.ADMIN, code=code)
    plans = bench.detail.setdefault("plans", [])
    for url in (LIST_URL, AUDIT_URL, EXPORT_URL):
        with CaptureQueriesContext(connection) as seen:
            response = admin.get(url)
            if response.streaming:
                # The header row comes first; the second chunk needs the export's query.
                chunks = iter(response.streaming_content)
                next(chunks, None)
                next(chunks, None)
                response.close()
        for query in seen.captured_queries:
            # The export reads through a server-side cursor on PostgreSQL.
            sql = _DECLARE_CURSOR.sub("", query["sql"])
            if sql.lstrip().upper().startswith("SELECT") and "django_session" not in sql:
                plans.append(
                    {
                        "practice": code,
                        "url": url,
                        "seconds": float(query["time"]),
                        "sql": sql,
                        "plan": explain_plan(sql),
                    }
                )


def explain_plan(sql: str) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return "\n".join(" ".join(str(column) for column in row) for row in cursor.fetchall())
