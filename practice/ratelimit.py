"""Counting uses of something in a time window, in the shared cache (Redis when REDIS_URL is set).

One place for every limit: sign-in failures per address, password reset requests, wrong reset
codes, email-change confirmations, email codes per user, text and voice codes per practice.
A window opens with the first use it counts and lasts `window_seconds`; its end is kept beside
the count, so a refusal can say when it is over.
"""

import math
import time

from django.core.cache import cache


def count(key: str, *, window_seconds: int) -> int:
    """Count one use of `key`; returns how many uses the window has counted, this one included."""
    cache.add(_ends_key(key), time.time() + window_seconds, timeout=window_seconds)
    # add() then incr(): atomic on Redis and on the local-memory cache alike.
    cache.add(key, 0, timeout=window_seconds)
    try:
        return cache.incr(key)
    except ValueError:
        # The key expired between add() and incr(): this use opens a new window.
        cache.set(key, 1, timeout=window_seconds)
        cache.set(_ends_key(key), time.time() + window_seconds, timeout=window_seconds)
        return 1


def hit(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one use of `key`; False once `limit` uses were already counted in the window."""
    return count(key, window_seconds=window_seconds) <= limit


def used(key: str) -> int:
    """How many uses of `key` the current window has counted."""
    return cache.get(key, 0)


def seconds_left(key: str) -> int:
    """Seconds until the window counting `key` ends (0 when none is open)."""
    ends = cache.get(_ends_key(key))
    return max(0, math.ceil(ends - time.time())) if ends is not None else 0


def wait_words(seconds: int) -> str:
    """A wait in words for a refusal: "38 minutes", rounded up, and never "0 minutes"."""
    minutes = max(1, math.ceil(seconds / 60))
    return f"{minutes} minute{'' if minutes == 1 else 's'}"


def forget(key: str) -> None:
    cache.delete_many([key, _ends_key(key)])


def _ends_key(key: str) -> str:
    return f"{key}:ends"
