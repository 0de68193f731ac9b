"""The sign-in pipeline: stages named in settings.SIGNIN_STAGES, run in order.

A sign-in in progress (a "pending sign-in") lives in the session under one key. Each stage
passes, refuses with a message (the pending sign-in ends), or sends the user to a step page
(a second-factor code, a forced password change). A step page's view, once its step is done,
calls `pending.mark_passed(stage.key)` and `signin_continue(request)`, which runs the stages
that have not passed yet. Only `signin_complete` calls django.contrib.auth.login(), which rotates
the session key, so nothing a visitor did before signing in survives into the signed-in session.

accounts never imports mfa: the second factor is a stage listed in settings.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from functools import cache

from django.conf import settings
from django.http import HttpRequest
from django.utils.module_loading import import_string

SESSION_KEY = "_pg_signin"
# A pending sign-in older than this is dropped: the user starts again from the password.
PENDING_MAX_AGE_SECONDS = 15 * 60


@dataclass
class PendingSignIn:
    """What the session remembers between the steps of one sign-in. JSON-serialisable."""

    practice_id: int | None
    username: str
    user_id: int | None = None
    zone: str = ""  # "office" or "remote", set by the network stage
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


@dataclass(frozen=True)
class Passed:
    """The stage is satisfied; go on to the next."""


@dataclass(frozen=True)
class Refused:
    """Stop: the sign-in ends and the sign-in page shows `message`."""

    message: str
    code: str


@dataclass(frozen=True)
class Step:
    """The user must complete a step page first (its view resumes the pipeline)."""

    url: str


StageOutcome = Passed | Refused | Step


class SignInStage:
    """One step of the sign-in.

    Subclasses set `key` (unique, stable: it is stored in sessions) and implement `run`.
    `run` receives the pending sign-in and, for the first request only, the password in
    `credentials` (never stored). It returns Passed, Refused or Step; it may update
    `pending` (for example set `user_id` or `zone`) and must write the audit event for a
    refusal it decides.
    """

    key: str = ""

    def run(
        self, request: HttpRequest, pending: PendingSignIn, credentials: dict | None
    ) -> StageOutcome:
        raise NotImplementedError


@cache
def _stage_classes() -> tuple[type[SignInStage], ...]:
    return tuple(import_string(path) for path in settings.SIGNIN_STAGES)


def stages() -> list[SignInStage]:
    return [cls() for cls in _stage_classes()]


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


# --- The signed-in session's stamp --------------------------------------------------------
# Written by signin_complete() right after login(); read by SessionGuardMiddleware and by pages
# that care how this session signed in. A signed-in session without it did not come through
# the pipeline (for example a login() elsewhere) and is ended by the middleware.
AUTH_SESSION_KEY = "_pg_auth"
# Last activity (epoch seconds), refreshed by the middleware at most once a minute.
ACTIVITY_SESSION_KEY = "_pg_seen"


def session_stamp(request: HttpRequest, *, zone: str, second_factor: str = "") -> None:
    """Mark the session as signed in through the pipeline: zone, time, and the factor used."""
    now = time.time()
    request.session[AUTH_SESSION_KEY] = {
        "zone": zone,
        "at": now,
        "second_factor": second_factor,
    }
    request.session[ACTIVITY_SESSION_KEY] = now


def session_zone(request: HttpRequest) -> str:
    """ "office" or "remote" for a signed-in session; "" otherwise."""
    return (request.session.get(AUTH_SESSION_KEY) or {}).get("zone", "")
