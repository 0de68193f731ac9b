"""The CSV export through a real gunicorn as deployed (gunicorn.conf.py: threaded workers, 2 of
them here, a 30-second timeout; production settings) on the bench's database, by a signed-in
administrator: rows per second, whether the stream completed, and the peak resident memory
(VmHWM) of the worker that served it, next to what that worker held before the export."""

import http.client
import secrets
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection

from bench import seed, server
from bench.database import database_url
from bench.measures.base import EXPORT_URL, MAIN_PRACTICE, Bench
from practice.models import AuditEvent

MILLION = 1_000_000

KEYS = [
    ("csv_rows_per_second_gunicorn", "rows/s", "CSV export of the whole log through gunicorn"),
    ("csv_rows_gunicorn", "rows", "rows it streamed"),
    ("csv_seconds_gunicorn", "s", "how long it took"),
    ("csv_mib_gunicorn", "MiB", "how much it sent"),
    ("csv_complete_gunicorn", "", "1 if every row arrived"),
    ("csv_peak_mib", "MiB", "peak resident memory of the worker that served it (VmHWM)"),
    ("csv_worker_before_mib", "MiB", "what that worker held before the export (VmRSS)"),
    ("csv_worker_killed", "", "1 if gunicorn killed a worker during the export"),
    ("csv_1m_seconds", "s", "a 1,000,000-row export (measured, or at the measured rate)"),
    ("csv_1m_measured", "", "1 if the log had a million rows (else projected from the rate)"),
    ("csv_1m_within_timeout", "", "1 if that finishes within gunicorn's timeout"),
    ("gunicorn_timeout_seconds", "s", "gunicorn's worker timeout (its default)"),
]


def measure(bench: Bench) -> None:
    bench.say("CSV export through gunicorn…")
    env = server.server_environment(
        database_url=database_url(connection.settings_dict),
        secret_key=secrets.token_urlsafe(50),
        redis_url=getattr(settings, "REDIS_URL", ""),
    )
    with (
        tempfile.TemporaryDirectory(prefix="bench-gunicorn-") as logs,
        server.gunicorn(env=env, log_dir=Path(logs), workers=2) as app,
    ):
        browser = server.HttpClient(app.port, timeout=600)
        signed_in = browser.sign_in(MAIN_PRACTICE, seed.ADMIN, seed.PASSWORD)
        if signed_in.status != 302 or "/login" in signed_in.header("Location"):
            raise CommandError(
                f"Signing in through gunicorn answered {signed_in.status}:\n{app.log_tail()}"
            )
        # Each worker's peak starts again from what it holds now: the sign-in's Argon2 hash
        # (100 MiB of memory for a moment) would otherwise be the peak.
        workers = app.worker_pids()
        before = {pid: server.peak_reset(pid) for pid in workers}
        peaks = dict(before)
        rows = size = 0
        complete = False
        start = last_look = time.perf_counter()
        try:
            with browser.stream(EXPORT_URL) as (status, body):
                if status != 200:
                    raise CommandError(f"The export through gunicorn answered {status}.")
                for chunk in body:
                    rows += chunk.count(b"\n")
                    size += len(chunk)
                    if time.perf_counter() - last_look > 0.25:
                        # Looked at while it runs: a worker killed mid-way takes its own
                        # numbers with it.
                        peaks.update(server.peaks(workers))
                        last_look = time.perf_counter()
                complete = True
        except (OSError, http.client.HTTPException) as exc:
            bench.say(f"  the export stopped early: {exc!r}")
        elapsed = time.perf_counter() - start
        peaks.update(server.peaks(workers))
        expected = AuditEvent.objects.filter(practice=bench.practice).count()
        killed = app.workers_gone(workers, wait=0 if rows - 1 == expected else 5)
        if killed:
            bench.say(f"  gunicorn killed worker(s) {killed}:\n{app.log_tail(5)}")
    rows -= 1  # the header
    # Complete: a line for every event (over HTTP/1.0 a killed worker's stream just ends).
    complete = complete and rows == expected and not killed
    served_by = max(workers, key=lambda pid: peaks[pid] - before[pid])
    rate = rows / elapsed if elapsed else 0.0
    # A million rows: measured when the log had them and they all came, otherwise at the
    # rate measured here (a stream cut at the timeout projects past it).
    if complete and rows >= MILLION:
        million_seconds = elapsed * MILLION / rows
    else:
        million_seconds = MILLION / rate if rate else float("inf")
    within = million_seconds < server.GUNICORN_TIMEOUT_SECONDS and (complete or expected < MILLION)
    bench.figures(
        csv_rows_per_second_gunicorn=rate,
        csv_rows_gunicorn=rows,
        csv_seconds_gunicorn=elapsed,
        csv_mib_gunicorn=size / 2**20,
        csv_complete_gunicorn=int(complete),
        csv_peak_mib=peaks[served_by] / 1024,
        csv_worker_before_mib=before[served_by] / 1024,
        csv_worker_killed=int(bool(killed)),
        csv_1m_seconds=million_seconds,
        csv_1m_measured=int(expected >= MILLION),
        csv_1m_within_timeout=int(within),
        gunicorn_timeout_seconds=server.GUNICORN_TIMEOUT_SECONDS,
    )
