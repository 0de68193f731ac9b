"""Every statement a piece of work sends to the database server, transaction control included.

Django's CaptureQueriesContext (and so `django_assert_num_queries`) records what goes through
Django's cursors: SELECT, INSERT, UPDATE, DELETE, and the SAVEPOINT / RELEASE SAVEPOINT of nested
atomic blocks. It does not see these, each a round trip to the server all the same:
- BEGIN and COMMIT (or ROLLBACK) of an outermost atomic block: psycopg sends BEGIN by itself
  before the first statement once Django turns autocommit off, and COMMIT from
  connection.commit() (on SQLite, Django's own BEGIN IMMEDIATE goes through a cursor and is
  seen; the COMMIT is not);
- the health check (`SELECT 1`) Django sends on a reused connection at the start of each request
  when CONN_HEALTH_CHECKS is on, as our settings have it.
So the count is taken below Django, from what the database library itself sends:
- PostgreSQL: libpq's protocol trace of the connection (PQtrace): one statement per Query
  message of the simple protocol (what Django's client-side binding cursors use), and one per
  Execute of the extended protocol (server-side binding, prepared statements), if any.
- SQLite: sqlite3's trace callback, which sees every statement the library runs.
"""

import re
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from psycopg import pq

TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "END"}
HEALTH_CHECK = "SELECT 1"
# How libpq's trace shows the messages that carry SQL (see _postgres_statements).
_QUERY = re.compile(r'^\s*"(.*)"\s*$')
_PARSE = re.compile(r'^\s*"([^"]*)" "(.*)" \d+')
_BIND = re.compile(r'^\s*"([^"]*)" "([^"]*)"')


@dataclass
class Statements:
    """What was sent, in order. `texts` are the statements (parameters inlined or not)."""

    texts: list[str] = field(default_factory=list)

    @staticmethod
    def kind(text: str) -> str:
        words = text.strip().split(None, 1)
        first = words[0].upper().rstrip(";") if words else ""
        if first in TRANSACTION_CONTROL:
            return "transaction"
        if text.strip().rstrip(";").upper() == HEALTH_CHECK:
            return "health check"
        return first.lower() or "other"

    @property
    def total(self) -> int:
        return len(self.texts)

    @property
    def by_kind(self) -> Counter:
        return Counter(self.kind(text) for text in self.texts)


def _postgres_statements(trace: str) -> list[str]:
    """The statements in a libpq trace, from the messages the client sent ("F" lines).

    libpq writes a message's strings between double quotes without escaping the quotes inside
    them, so a query is everything between the first quote and the last.
    """
    texts, prepared, bound = [], {}, ""
    for line in trace.splitlines():
        parts = line.split("\t", 3)
        if len(parts) < 3 or parts[0] != "F":
            continue
        message, rest = parts[2], parts[3] if len(parts) > 3 else ""
        if message == "Query" and (found := _QUERY.match(rest)):
            texts.append(found.group(1))
        elif message == "Parse" and (found := _PARSE.match(rest)):
            prepared[found.group(1)] = found.group(2)
        elif message == "Bind" and (found := _BIND.match(rest)):
            bound = found.group(2)
        elif message == "Execute":
            texts.append(prepared.get(bound, "(prepared statement)"))
    return texts


@contextmanager
def statements_sent(connection) -> Iterator[Statements]:
    """Count what `connection` sends to the server inside the block (see the module docstring).

    The connection must stay open through the block: a statement sent on a connection opened
    inside it would not be seen, so the block fails instead of undercounting.
    """
    connection.ensure_connection()
    raw = connection.connection
    found = Statements()
    if connection.vendor == "postgresql":
        with tempfile.TemporaryFile() as trace:
            raw.pgconn.trace(trace.fileno())
            raw.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
            try:
                yield found
            finally:
                raw.pgconn.untrace()
                trace.seek(0)
                found.texts.extend(_postgres_statements(trace.read().decode(errors="replace")))
    elif connection.vendor == "sqlite":
        raw.set_trace_callback(found.texts.append)
        try:
            yield found
        finally:
            raw.set_trace_callback(None)
    else:
        raise NotImplementedError(f"Counting statements on {connection.vendor} is not supported.")
    if connection.connection is not raw:
        raise RuntimeError(
            "The database connection was replaced while its statements were counted."
        )
