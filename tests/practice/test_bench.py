"""`manage.py bench` runs end to end on tiny sizes and writes every figure as a number."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

REQUIRED = [
    "signin_ratio",
    "signin_queries",
    "list_queries",
    "list_vs_admin_ratio",
    "audit_page_ms",
    "csv_rows_per_second",
    "request_checks_extra_queries",
    "request_checks_throughput_ratio",
]


def test_bench_writes_every_figure_as_a_number(tmp_path):
    # Its own process: the bench creates (and drops) a database of its own, which must not
    # happen inside the test run's connection.
    out = tmp_path / "bench.json"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test"}
    result = subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [
            sys.executable,
            str(Path(settings.BASE_DIR) / "manage.py"),
            "bench",
            "--users",
            "40",
            "--events",
            "300",
            "--repeat",
            "2",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(out.read_text())
    for key in REQUIRED:
        assert isinstance(figures[key], int | float) and not isinstance(figures[key], bool), key
        assert key in result.stdout
    assert figures["signin_ratio"] > 0
    assert figures["list_queries"] > 0
    assert figures["sizes"]["users"] == 40


@pytest.mark.parametrize("argument", ["--users=0", "--repeat=0"])
def test_bench_refuses_nonsense_sizes(argument):
    with pytest.raises(CommandError):
        call_command("bench", argument)
