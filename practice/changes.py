"""A counter per practice that every audited change bumps, once its transaction commits.

Pages that cache a practice's figures (the console's security overview, the user list's count)
key them on it: any change to the practice's users or their access makes the cached figures
old (sign-ins and sign-outs do not: UNCOUNTED_ACTIONS).
It lives in the shared cache (Redis with REDIS_URL); without one, each process keeps its own,
and readers also let their figures expire after a short while.
"""

from django.core.cache import cache

from practice.vocabulary import AuditAction

# Events that change none of the figures kept under the counter (who is active, locked, has
# remote access or a second factor...): a busy practice signs in all day, and bumping the
# counter for each sign-in would leave those figures old at every look. The overview's
# sign-in counts, which these do change, are kept for a minute at most.
UNCOUNTED_ACTIONS = frozenset(
    {
        AuditAction.SIGNIN_SUCCEEDED,
        AuditAction.SIGNIN_FAILED,
        AuditAction.SIGNED_OUT,
        AuditAction.SESSIONS_ENDED,
        AuditAction.APP_SIGNED_IN,
        AuditAction.APP_REFUSED,
        AuditAction.APP_SIGNED_OUT,
        AuditAction.APP_LOGOUT_SENT,
        AuditAction.APP_LOGOUT_FAILED,
    }
)


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
