"""Timing on a shared, noisy machine: a warm-up, then interleaved pairs.

Every ratio the bench reports comes from `paired`: after a warm-up, the two things compared run
in pairs (A then B, then B then A, ...) and the ratio is the median of the per-pair ratios.

Why the median of per-pair ratios and not the ratio of two medians: the two halves of a pair run
within milliseconds of each other, so a slow stretch of the machine (another process, a CPU that
changes speed) slows both and cancels out of that pair's ratio; the median then discards the
pairs that a burst hit on one side only. Two medians taken over the same period would do the
same on a quiet machine, but on a busy one they can each come from a different part of it. The
order alternates within pairs so that neither side always runs second (on a warm cache).
"""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


def timed(action: Callable[[], object]) -> float:
    """Seconds `action` took."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _wall_and_cpu(action: Callable[[], object]) -> tuple[float, float]:
    """Seconds `action` took, and the CPU seconds this process spent on it (all its threads:
    Argon2 hashes on several)."""
    cpu, wall = time.process_time(), time.perf_counter()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def median_ms(action: Callable[[], object], *, runs: int, warmup: int) -> float:
    """The median time of `runs` runs after `warmup` untimed ones, in milliseconds."""
    for _ in range(warmup):
        action()
    return statistics.median(timed(action) for _ in range(runs)) * 1000


@dataclass(frozen=True)
class Pair:
    """What `paired` found: the median per-pair ratio a/b of wall times, the same of the CPU
    time this process spent, and each side's median wall and CPU times.

    On a loaded machine a request that waits on the database between bursts of work waits
    again for a core after each answer, a pure computation does not: the wall-time ratio of
    the two grows with the load, their CPU-time ratio (this process's side only) does not.
    """

    ratio: float
    cpu_ratio: float
    a_ms: float
    b_ms: float
    a_cpu_ms: float
    b_cpu_ms: float
    # The median per-pair difference of CPU times, a - b: what a costs beyond b.
    overhead_cpu_ms: float


def paired(a: Callable[[], object], b: Callable[[], object], *, pairs: int, warmup: int) -> Pair:
    """Time a against b in `pairs` interleaved pairs after `warmup` untimed pairs."""
    for _ in range(warmup):
        a()
        b()
    a_times, b_times, a_cpu, b_cpu, ratios, cpu_ratios, beyond = [], [], [], [], [], [], []
    for i in range(pairs):
        if i % 2 == 0:
            ta, ca = _wall_and_cpu(a)
            tb, cb = _wall_and_cpu(b)
        else:
            tb, cb = _wall_and_cpu(b)
            ta, ca = _wall_and_cpu(a)
        a_times.append(ta)
        b_times.append(tb)
        a_cpu.append(ca)
        b_cpu.append(cb)
        ratios.append(ta / tb)
        cpu_ratios.append(ca / cb if cb else float("inf"))
        beyond.append(ca - cb)
    return Pair(
        ratio=statistics.median(ratios),
        cpu_ratio=statistics.median(cpu_ratios),
        a_ms=statistics.median(a_times) * 1000,
        b_ms=statistics.median(b_times) * 1000,
        a_cpu_ms=statistics.median(a_cpu) * 1000,
        b_cpu_ms=statistics.median(b_cpu) * 1000,
        overhead_cpu_ms=statistics.median(beyond) * 1000,
    )
