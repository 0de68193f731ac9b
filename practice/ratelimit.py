"""Counting uses of something in a time window, in the shared cache (Redis when REDIS_URL is set).

One place for every limit: sign-in failures per address, password reset requests, wrong reset
codes, email-change confirmations.
"""

from django.core.cache import cache


def hit(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one use of `key`; False once `limit` uses were already counted in the window."""
    # add() then incr(): atomic on Redis and on the local-memory cache alike.
    cache.add(key, 0, timeout=window_seconds)
    try:
        count = cache.incr(key)
    except ValueError:
        # The key expired between add() and incr().
        cache.set(key, 1, timeout=window_seconds)
        count = 1
    return count <= limit


def used(key: str) -> int:
    """How many uses of `key` the current window has counted."""
    return cache.get(key, 0)


def forget(key: str) -> None:
    cache.delete(key)
