"""`manage.py bench` runs end to end on tiny sizes and writes every figure as a number.

The gunicorn part runs here too (on SQLite the bench's database is a file the server can open).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from bench.statements import Statements, _postgres_statements
from bench.timing import paired

# DESIGN.md's keys, then the ones added with them.
REQUIRED = [
    "signin_ratio",
    "signin_queries",
    "list_queries",
    "list_vs_admin_ratio",
    "audit_page_ms",
    "csv_rows_per_second",
    "request_checks_extra_queries",
    "request_checks_throughput_ratio",
    "signin_ms",
    "verify_ms",
    "signin_transaction_statements",
    "list_manager_vs_admin_ratio",
    "csv_rows_per_second_gunicorn",
    "csv_peak_mib",
    "csv_complete_gunicorn",
    "csv_1m_within_timeout",
    "auth_verify_ratio_windows",
    "auth_verify_ratio_plain",
    "page_checks_ratio",
    "list_vs_admin_ratio_60",
    "list_queries_60",
    "list_growth_60",
    "signin_overhead_cpu_ms",
    "audit_search_user_ms",
    "audit_search_none_ms",
    "rush_signins_per_second",
    "rush_ceiling_per_second",
    "rush_ratio",
    "rush_p95_ms",
    "rush_errors",
    "oidc_token_ms",
    "oidc_token_queries",
    "oidc_userinfo_ms",
    "oidc_userinfo_queries",
]


def run_bench(tmp_path, *arguments) -> subprocess.CompletedProcess:
    # Its own process: the bench creates (and drops) a database of its own, which must not
    # happen inside the test run's connection. manage.py runs it on bench.settings (the
    # project's settings and the bench's app), as `make bench` does.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "bench", *arguments],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )


def test_bench_writes_every_figure_as_a_number(tmp_path):
    out = tmp_path / "bench.json"
    result = run_bench(
        tmp_path,
        *("--users", "40", "--events", "300", "--repeat", "2", "--warmup", "1"),
        *("--scales", "60", "--rush", "4", "--json", str(out)),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    figures = json.loads(out.read_text())
    sizes, detail = figures.pop("sizes"), figures.pop("detail")
    for key in REQUIRED:
        assert key in figures, key
    for key, value in figures.items():
        assert isinstance(value, int | float) and not isinstance(value, bool), key
        assert key in result.stdout, key
    assert sizes["users"] == 40
    assert sizes["scales"] == [60]
    assert figures["signin_ratio"] > 0
    assert figures["list_queries"] > 0
    # The rush: whole sign-ins through two servers, none failed, none without its audit row
    # and session, and not faster than what the same cores can hash.
    assert figures["rush_signins_per_second"] > 0 and figures["rush_errors"] == 0
    assert figures["rush_lost"] == 0
    assert 0 < figures["rush_ratio"] < 1.5
    assert [level["clients"] for level in detail["rush"]["levels"]][:2] == [1, 2]
    # The stream through gunicorn carried every event, and the transaction control was counted.
    assert figures["csv_complete_gunicorn"] == 1
    assert figures["csv_rows_gunicorn"] >= 300
    assert figures["csv_peak_mib"] > 0
    assert figures["signin_transaction_statements"] >= 2
    assert figures["signin_queries"] > figures["signin_transaction_statements"]
    assert any(text.startswith("COMMIT") for text in detail["signin_statements"])
    # Login windows are read by the guard; a user without them costs no query.
    assert figures["auth_verify_extra_queries_plain"] == 0


@pytest.mark.parametrize(
    "argument", ["--users=0", "--repeat=0", "--warmup=-1", "--scales=ten", "--scales=0"]
)
def test_bench_refuses_nonsense_sizes(argument):
    with pytest.raises(CommandError):
        call_command("bench", argument)


@pytest.mark.skipif(
    connection.vendor == "postgresql",
    reason="--postgres refuses only a database that is not PostgreSQL",
)
def test_bench_postgres_flag_refuses_another_database():
    with pytest.raises(CommandError, match="postgres"):
        call_command("bench", "--postgres")


def test_paired_ratio_is_the_median_of_pairs_after_a_warm_up():
    calls = []
    pair = paired(lambda: calls.append("a"), lambda: calls.append("b"), pairs=4, warmup=2)
    # Warm-up pairs first, then each pair with its order alternating.
    assert calls == ["a", "b", "a", "b", "a", "b", "b", "a", "a", "b", "b", "a"]
    assert pair.ratio > 0


def test_statement_kinds_count_transaction_control_and_health_checks():
    statements = Statements(
        ["SELECT 1", "BEGIN", "SELECT * FROM t", "SAVEPOINT s1", "RELEASE SAVEPOINT s1", "COMMIT"]
    )
    assert statements.total == 6
    assert statements.by_kind == {"health check": 1, "transaction": 4, "select": 1}


def test_postgres_trace_is_read_as_statements():
    # As libpq writes it: quotes inside a string are not escaped; a prepared statement is
    # parsed once and counted at each Execute.
    trace = "\n".join(
        [
            'F\t10\tQuery\t "BEGIN"',
            'B\t10\tCommandComplete\t "BEGIN"',
            "F\t30\tQuery\t \"SELECT \"a\" FROM t WHERE b = 'it''s'\"",
            'F\t39\tParse\t "_pg3_0" "select 1 as "a b", $1" 1 NNNN',
            "F\t4\tSync",
            'F\t29\tBind\t "" "_pg3_0" 1 0 1 3 \'x\' 1 0',
            'F\t6\tDescribe\t P ""',
            'F\t9\tExecute\t "" 0',
            "F\t4\tSync",
            'F\t11\tQuery\t "COMMIT"',
        ]
    )
    assert _postgres_statements(trace) == [
        "BEGIN",
        "SELECT \"a\" FROM t WHERE b = 'it''s'",
        'select 1 as "a b", $1',
        "COMMIT",
    ]
