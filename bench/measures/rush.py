"""The morning rush (`--rush SECONDS`): whole sign-ins through two gunicorn servers as deployed,
against what the same cores can hash.

A vendor's 1,000 practices x 50 users sign in between 7:30 and 8:00, about 28 a second. A whole
sign-in is what a browser does: the sign-in page (GET, for its CSRF token), the password (POST)
and the page it lands on (GET). The load goes to two servers (gunicorn with gunicorn.conf.py, as
deployed: threaded workers, production settings, the bench's database, Redis when REDIS_URL is
set), alternating as a load balancer would, from clients in this process.

- The ceiling: bare Argon2 verifies of the same hash a second, one process per core, measured
  in the same run. Nothing a sign-in does can go faster than its hash.
- The knee: the load is raised (more clients at once) until sign-ins a second stop rising; the
  knee is the fewest clients that get 95% of the best. More clients after it only queue.
- The rush: SECONDS at the knee, with its p95, its errors, the workers' memory and the database
  connections looked at every few seconds, sign-ins a second per slice, and at the end a count
  of what was written: every sign-in must have its audit row and its session.
"""

import itertools
import os
import secrets
import statistics
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.management.base import CommandError
from django.db import connection

from accounts.models import User, UserSession
from bench import seed, server
from bench.database import database_url
from bench.measures.base import MAIN_PRACTICE, Bench
from practice.models import AuditEvent
from practice.vocabulary import AuditAction

KEYS = [
    ("rush_signins_per_second", "/s", "whole sign-ins (page, password, landing), 2 servers"),
    ("rush_ceiling_per_second", "/s", "bare Argon2 verifies a second on all cores, same run"),
    ("rush_ratio", "x", "the first / the second"),
    ("rush_p95_ms", "ms", "95th percentile of a whole sign-in at the knee"),
    ("rush_p50_ms", "ms", "median of a whole sign-in at the knee"),
    ("rush_concurrency", "", "the knee: clients signing in at once"),
    ("rush_errors", "", "sign-ins that failed or answered wrongly"),
    ("rush_lost", "", "sign-ins without their audit row or session"),
    ("rush_worker_growth_mib", "MiB", "most any worker's memory grew during the rush"),
    ("rush_db_connections_max", "", "most database connections open at once"),
]

SERVERS = 2
LEVELS = [1, 2, 3, 4, 6, 8, 12, 16]
KNEE_SHARE = 0.95
LOOK_EVERY_SECONDS = 5
SLICE_SECONDS = 300


def wanted(options) -> bool:
    return options.rush > 0


@dataclass
class Attempt:
    ended: float  # time.monotonic()
    seconds: float
    ok: bool


def _verifies(encoded: str, seconds: float) -> float:
    """Verifies a second in this process: as many as start within `seconds`, over the time
    until the last one ends."""
    done, start = 0, time.monotonic()
    while time.monotonic() - start < seconds:
        check_password(seed.PASSWORD, encoded)
        done += 1
    return done / (time.monotonic() - start)


def ceiling(encoded: str, seconds: float) -> float:
    """Bare verifies of `encoded` a second with every core busy (one process a core)."""
    cores = os.cpu_count() or 1
    with ProcessPoolExecutor(max_workers=cores) as pool:
        return sum(pool.map(_verifies, [encoded] * cores, [seconds] * cores))


def rush_users(practice) -> list[str]:
    """Plain users of the bench practice who sign in with the password alone and land on My
    Account: active, registered, not locked, no second factor, a password not near expiry
    (seed._user's patterns)."""
    names = []
    for user in User.objects.filter(practice=practice).order_by("pk").only("username"):
        if not user.username.startswith("user"):
            continue
        i = int(user.username[4:])
        if i % 100 and i % 25 and i % 50 and i % 3 != 2 and i % 100 < 80:
            names.append(user.username)
    if not names:
        raise CommandError("The rush needs more bench users: --users 200 at least.")
    return names


def whole_sign_in(port: int, username: str) -> bool:
    """A browser's whole sign-in on one server: the page, the password, the landing page."""
    browser = server.HttpClient(port, timeout=60)
    path = f"/p/{MAIN_PRACTICE}/login/"
    answer = browser.post_form(path, {"username": username, "password": seed.PASSWORD})
    landing = answer.header("Location")
    if answer.status != 302 or not landing.startswith("/") or "/login" in landing:
        return False
    return browser.get(landing).status == 200


@dataclass
class Load:
    attempts: list[Attempt]
    seconds: float  # from the start until the last attempt ended

    @property
    def per_second(self) -> float:
        return sum(a.ok for a in self.attempts) / self.seconds if self.seconds else 0.0


def load(ports: list[int], names: list[str], clients: int, seconds: float) -> Load:
    """`clients` browsers signing in one after another, starting new sign-ins for `seconds`,
    alternating servers. Sign-ins a second count every one made, over the time until the last
    of them ended (counting only those done by the deadline would miss the ones in flight)."""
    counter = itertools.count()
    lock = threading.Lock()
    attempts: list[Attempt] = []
    start = time.monotonic()
    deadline = start + seconds

    def client():
        while time.monotonic() < deadline:
            with lock:
                n = next(counter)
            started = time.monotonic()
            try:
                ok = whole_sign_in(ports[n % len(ports)], names[n % len(names)])
            except OSError:
                ok = False
            ended = time.monotonic()
            with lock:
                attempts.append(Attempt(ended, ended - started, ok))

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Load(attempts, time.monotonic() - start)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class Watcher:
    """Looks at the servers' workers and the database every few seconds while the rush runs."""

    def __init__(self, apps):
        self.apps = apps
        self.samples: list[dict] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self):
        # Its own connection: Django's are per thread.
        try:
            while not self._stop.is_set():
                self.samples.append(self.look())
                self._stop.wait(LOOK_EVERY_SECONDS)
        finally:
            connection.close()

    def look(self) -> dict:
        memory = {}
        for app in self.apps:
            for pid in app.worker_pids():
                try:
                    memory[pid] = server.memory_kib(pid, "VmRSS")
                except (OSError, LookupError):
                    continue
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                )
                connections = cursor.fetchone()[0]
            else:
                connections = 0
        return {"at": time.monotonic(), "rss_kib": memory, "connections": connections}


def knee_find(ports: list[int], names: list[str], step: float, say) -> tuple[dict, list, list]:
    """Each of LEVELS clients at once for `step` seconds: the knee, every level, and every
    attempt made."""
    levels, made = [], []
    for clients in LEVELS:
        found = load(ports, names, clients, step)
        made += found.attempts
        levels.append(
            {
                "clients": clients,
                "per_second": found.per_second,
                "p95_ms": percentile([a.seconds for a in found.attempts], 0.95) * 1000,
                "errors": sum(not a.ok for a in found.attempts),
            }
        )
        level = levels[-1]
        say(f"  {clients:>2} at once: {level['per_second']:.2f}/s, p95 {level['p95_ms']:.0f} ms")
    best = max(level["per_second"] for level in levels)
    knee = next(level for level in levels if level["per_second"] >= KNEE_SHARE * best)
    return knee, levels, made


def measure(bench: Bench) -> None:
    seconds = bench.options.rush
    bench.say(f"The morning rush: the ceiling, the knee, then {seconds} s at the knee…")
    names = rush_users(bench.practice)
    env = server.server_environment(
        database_url=database_url(connection.settings_dict),
        secret_key=secrets.token_urlsafe(50),
        redis_url=getattr(settings, "REDIS_URL", ""),
    )
    workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
    began = datetime.now(tz=UTC)
    # Each level of the knee's search, and each look at the ceiling, is as long as a rush of
    # this length can afford (a long rush: 20 s a level, 10 s a ceiling).
    step = max(2.0, min(20.0, seconds / 6))
    look = max(2.0, min(10.0, seconds / 4))
    ceiling_before = ceiling(bench.encoded, look)
    with (
        tempfile.TemporaryDirectory(prefix="bench-rush-") as logs,
        server.gunicorn(env=env, log_dir=Path(logs), workers=workers, deployed=True) as one,
        server.gunicorn(env=env, log_dir=Path(logs), workers=workers, deployed=True) as two,
    ):
        apps = [one, two]
        ports = [app.port for app in apps]
        # Warm: each worker's first requests import and connect.
        everything = load(ports, names, 2, 3).attempts
        knee, levels, made = knee_find(ports, names, step, bench.say)
        everything += made
        bench.say(f"  the knee: {knee['clients']} at once; {seconds} s there…")
        start = time.monotonic()
        with Watcher(apps) as watcher:
            rush = load(ports, names, knee["clients"], seconds)
        attempts = rush.attempts
        everything += attempts
        killed = [pid for app in apps for pid in app.workers_gone(app.worker_pids())]
    ceiling_rate = (ceiling_before + ceiling(bench.encoded, look)) / 2
    signins = rush.per_second
    times = [a.seconds * 1000 for a in attempts if a.ok]
    bench.figures(
        rush_signins_per_second=signins,
        rush_ceiling_per_second=ceiling_rate,
        rush_ratio=signins / ceiling_rate if ceiling_rate else 0.0,
        rush_p95_ms=percentile(times, 0.95),
        rush_p50_ms=statistics.median(times) if times else 0.0,
        rush_concurrency=knee["clients"],
        rush_errors=sum(not a.ok for a in everything) + len(killed),
        rush_lost=_lost(names, since=began, signed_in=sum(a.ok for a in everything)),
        rush_worker_growth_mib=_growth(watcher.samples),
        rush_db_connections_max=max((s["connections"] for s in watcher.samples), default=0),
    )
    bench.detail["rush"] = {
        "levels": levels,
        "ceiling_before": ceiling_before,
        "ceiling_per_second": ceiling_rate,
        "servers": SERVERS,
        "workers_per_server": workers,
        "slices": _slices(attempts, start, rush.seconds),
        "samples": [
            {
                "seconds": round(sample["at"] - start, 1),
                "connections": sample["connections"],
                "rss_mib": {pid: round(kib / 1024, 1) for pid, kib in sample["rss_kib"].items()},
            }
            for sample in watcher.samples
        ],
    }


def _lost(names: list[str], *, since: datetime, signed_in: int) -> int:
    """Of the `signed_in` whole sign-ins the clients saw succeed since `since` (warm-up, knee
    and rush alike), how many left no audit row or no session behind."""
    users = User.objects.filter(username__in=names, practice__code=MAIN_PRACTICE)
    audited = AuditEvent.objects.filter(
        action=AuditAction.SIGNIN_SUCCEEDED, target__in=users, created_at__gte=since
    ).count()
    sessions = UserSession.objects.filter(user__in=users, created_at__gte=since).count()
    return max(0, signed_in - min(audited, sessions))


def _growth(samples: list[dict]) -> float:
    """The most any worker's resident memory grew from its first look to its last, in MiB."""
    first, last = {}, {}
    for sample in samples:
        for pid, kib in sample["rss_kib"].items():
            first.setdefault(pid, kib)
            last[pid] = kib
    return max((last[pid] - first[pid]) / 1024 for pid in last) if last else 0.0


def _slices(attempts: list[Attempt], start: float, seconds: float) -> list[dict]:
    """Sign-ins a second, p95 and errors in each SLICE_SECONDS of the rush (a quarter of it
    when it is shorter than two slices)."""
    width = SLICE_SECONDS if seconds >= 2 * SLICE_SECONDS else max(seconds / 4, 1)
    found = []
    for n in range(int(seconds // width)):
        low, high = start + n * width, start + (n + 1) * width
        part = [a for a in attempts if low <= a.ended < high]
        found.append(
            {
                "from_seconds": round(n * width),
                "per_second": round(sum(a.ok for a in part) / width, 2),
                "p95_ms": round(percentile([a.seconds for a in part], 0.95) * 1000, 1),
                "errors": sum(not a.ok for a in part),
            }
        )
    return found
