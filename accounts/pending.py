"""The sign-in in progress on a browser (a "pending sign-in"): what the session keeps between
the steps of one sign-in, under one key, until it completes, is refused or goes stale; and an
application's demand that the browser's next sign-in pass a second factor."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

from django.http import HttpRequest

SESSION_KEY = "_pg_signin"
# A pending sign-in older than this is dropped: the user starts again from the password.
PENDING_MAX_AGE_SECONDS = 15 * 60
# An application that asks for a second factor even where the practice would not (an OpenID
# Connect application's "Always ask for a second factor") marks the browser's next sign-in:
# when it was asked, in the session.
SECOND_FACTOR_DEMAND_KEY = "_pg_second_factor_demanded"


@dataclass
class PendingSignIn:
    """What the session remembers between the steps of one sign-in. JSON-serialisable."""

    practice_id: int | None
    username: str
    user_id: int | None = None
    zone: str = ""  # a Zone, set by the network stage
    started_at: float = field(default_factory=time.time)
    next_url: str = ""
    passed: list[str] = field(default_factory=list)
    # Per-stage state, keyed by stage key (for example the second factor's chosen device).
    state: dict = field(default_factory=dict)

    def mark_passed(self, key: str) -> None:
        if key not in self.passed:
            self.passed.append(key)

    def has_passed(self, key: str) -> bool:
        return key in self.passed

    @property
    def expired(self) -> bool:
        return time.time() - self.started_at > PENDING_MAX_AGE_SECONDS


def second_factor_demand(request: HttpRequest) -> None:
    """The next sign-in begun in this browser (within PENDING_MAX_AGE_SECONDS) must pass a
    second factor, whatever the zone and the practice's policy say."""
    request.session[SECOND_FACTOR_DEMAND_KEY] = time.time()


def second_factor_demanded(request: HttpRequest) -> bool:
    # Kept until a sign-in completes (signin_complete): a mistyped password does not lose it.
    asked_at = request.session.get(SECOND_FACTOR_DEMAND_KEY)
    return isinstance(asked_at, int | float) and time.time() - asked_at <= PENDING_MAX_AGE_SECONDS


def pending_get(request: HttpRequest) -> PendingSignIn | None:
    """The sign-in in progress on this browser, or None (also when it has gone stale)."""
    raw = request.session.get(SESSION_KEY)
    if not raw:
        return None
    pending = PendingSignIn(**raw)
    if pending.expired:
        pending_clear(request)
        return None
    return pending


def pending_save(request: HttpRequest, pending: PendingSignIn) -> None:
    request.session[SESSION_KEY] = asdict(pending)


def pending_clear(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)
