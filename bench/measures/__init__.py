"""The bench's figures: what is measured, on what, and how.

Requests go through Django's test client in this process (the whole middleware chain, URL
resolution, views and templates; no sockets), except the CSV export, which is also streamed
through a real gunicorn to see its speed, the worker's memory and gunicorn's timeout.

- Ratios: `timing.paired` (a warm-up, then interleaved pairs, the median of the per-pair ratios).
- Times in ms: medians after the same warm-up.
- Queries: every statement sent to the database server, transaction control and Django's
  per-request connection health check included (`statements`); the `_django` figures are what
  `django_assert_num_queries` sees, for comparison with the tests.

One module a measure, named for what it measures; `base` is what they share and says what a
measure module holds. MEASURES is the table: adding a measure is one module and one line there.
"""

import os
import time
from collections.abc import Callable

from django.db import connection

from bench.measures import audit, export, oidc, plans, request_checks, rush, signin, user_list
from bench.measures.base import MAIN_PRACTICE, Bench, Options, scale_label

# In the order they run and their rows show. A measure with `wanted(options)` runs only when
# that says so (the rush, with --rush).
MEASURES = [signin, user_list, audit, export, request_checks, oidc, rush]


def measures_wanted(options: Options) -> list:
    return [m for m in MEASURES if getattr(m, "wanted", lambda options: True)(options)]


def run(options: Options, say: Callable[[str], None]) -> tuple[dict, dict, dict]:
    """Seed, run every measure, then the list at each of --scales: the figures, the sizes of
    the run, and the detail (statements, plans)."""
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    bench = Bench(options, say)
    bench.seed()
    for measure in measures_wanted(options):
        measure.measure(bench)
    if options.explain:
        plans.explain(bench, MAIN_PRACTICE)
    for users in options.scales:
        code = user_list.at_scale(bench, users)
        if options.explain:
            plans.explain(bench, code)
    sizes = {
        "users": options.users,
        "events": options.events,
        "repeat": options.repeat,
        "warmup": options.warmup,
        "scales": options.scales,
        "rush_seconds": options.rush,
        "database": connection.vendor,
        "database_version": ".".join(map(str, connection.get_database_version())),
        "seed_seconds": round(bench.seed_seconds, 1),
        # How busy the machine was (1-minute load average) at the start and at the end.
        "cpus": os.cpu_count(),
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    return bench.results, sizes, bench.detail


def table_keys(options: Options) -> list[tuple[str, str, str]]:
    """The table's rows, (key, unit, what it is): every measure's that runs, then the list's
    again for each of --scales."""
    rows = [row for measure in measures_wanted(options) for row in measure.KEYS]
    for users in options.scales:
        label = scale_label(users)
        rows += [
            (f"{key}_{label}", unit, f"{text}, {users:,} users")
            for key, unit, text in user_list.SCALE_KEYS
        ]
    return rows
