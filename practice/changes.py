"""A counter per practice that every audited change bumps, once its transaction commits.

Pages that cache a practice's figures (the console's security overview) key them on it: any
change to the practice's users, their access or their sign-ins makes the cached figures old.
It lives in the shared cache (Redis with REDIS_URL); without one, each process keeps its own,
and readers also let their figures expire after a short while.
"""

from django.core.cache import cache


def _key(practice_id: int) -> str:
    return f"practice-changes:{practice_id}"


def practice_changed(practice_id: int) -> None:
    key = _key(practice_id)
    # add() then incr(): atomic on Redis and on the local-memory cache alike.
    cache.add(key, 0, timeout=None)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=None)


def practice_version(practice_id: int) -> int:
    return cache.get(_key(practice_id), 0)
