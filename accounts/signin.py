"""The sign-in pipeline: stages named in settings.SIGNIN_STAGES, run in order.

A sign-in in progress (a "pending sign-in") lives in the session under one key. Each stage
passes, refuses with a message (the pending sign-in ends), or sends the user to a step page
(a second-factor code, a forced password change). A step page's view, once its step is done,
calls `signin_continue(request)`, which runs the stages that have not passed yet; a stage that
cannot see for itself that its step is done (a code was verified) is marked first with
`pending.mark_passed(stage.key)`. Only `signin_complete` calls django.contrib.auth.login(),
which rotates the session key, so nothing a visitor did before signing in survives into the
signed-in session.

accounts never imports mfa: the second factor is a stage listed in settings.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from functools import cache

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.module_loading import import_string
from django_otp.models import Device

from accounts.lockout import lock_state
from accounts.models import User
from accounts.sessions import session_record, sessions_end
from practice.audit import audit_record
from practice.models import Practice
from practice.policy import effective_policy

SESSION_KEY = "_pg_signin"
# A pending sign-in older than this is dropped: the user starts again from the password.
PENDING_MAX_AGE_SECONDS = 15 * 60
SIGNIN_TIMED_OUT = "Your sign-in timed out. Please sign in again."


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


def signin_user(request: HttpRequest, pending: PendingSignIn):
    """The user of the pending sign-in, loaded once per request."""
    user = getattr(request, "_signin_user", None)
    if user is None or user.pk != pending.user_id:
        user = User.objects.select_related("practice").get(pk=pending.user_id)
        request._signin_user = user
    return user


def login_url_for(pending: PendingSignIn | None) -> str:
    """The sign-in page to go back to: the practice's own, or the general one."""
    if pending is not None and pending.practice_id is not None:
        code = Practice.objects.filter(pk=pending.practice_id).values_list("code", flat=True)
        if code:
            return reverse("accounts:practice_login", kwargs={"code": code[0]})
    return reverse("accounts:login")


def signin_stop(request: HttpRequest, pending: PendingSignIn | None, message: str) -> HttpResponse:
    """End the pending sign-in and go back to its sign-in page, saying why."""
    pending_clear(request)
    messages.error(request, message)
    return redirect(login_url_for(pending))


def signin_start(
    request: HttpRequest,
    *,
    practice,
    username: str,
    password: str,
    next_url: str = "",
    staff: bool = False,
) -> HttpResponse | Refused:
    """Begin a sign-in from the sign-in form. Returns a redirect (a step page or, when every
    stage passed, the signed-in page) or the Refused outcome for the form to show.

    `practice` is None for an unknown practice code (refused like a wrong password) or, with
    `staff`, for support staff.
    """
    pending_clear(request)
    pending = PendingSignIn(
        practice_id=practice.pk if practice is not None else None,
        username=username,
        next_url=next_url,
    )
    credentials = {"practice": practice, "password": password, "staff": staff}
    return _run(request, pending, credentials)


def signin_continue(request: HttpRequest) -> HttpResponse:
    """Resume the pending sign-in after a step page; a refusal goes back to the sign-in page."""
    pending = pending_get(request)
    if pending is None or pending.user_id is None:
        return signin_stop(request, pending, SIGNIN_TIMED_OUT)
    outcome = _run(request, pending, None)
    if isinstance(outcome, Refused):
        return signin_stop(request, pending, outcome.message)
    return outcome


def _run(request, pending: PendingSignIn, credentials: dict | None) -> HttpResponse | Refused:
    for stage in stages():
        if pending.has_passed(stage.key):
            continue
        outcome = stage.run(request, pending, credentials)
        if isinstance(outcome, Refused):
            pending_clear(request)
            return outcome
        if isinstance(outcome, Step):
            pending_save(request, pending)
            return redirect(outcome.url)
        pending.mark_passed(stage.key)
    return signin_complete(request, pending)


def signin_complete(request: HttpRequest, pending: PendingSignIn) -> HttpResponse | Refused:
    """Every stage passed: sign the user in, stamp and record the session, audit it."""
    user = signin_user(request, pending)
    pending_clear(request)
    # A step page may have taken minutes: the account may have been locked or deactivated since.
    if not user.is_active or lock_state(user=user, request=request):
        return Refused(message="Invalid username or password.", code="changed_during_signin")
    device_id = (pending.state.get("second_factor") or {}).get("device", "")
    device = Device.from_persistent_id(device_id) if device_id else None
    if device is not None and device.user_id == user.pk:
        # django-otp's login signal marks the session verified for this device.
        user.otp_device = device
    else:
        device_id = ""
    next_url = pending.next_url
    with transaction.atomic():
        login(request, user, backend="accounts.backends.PracticeBackend")
        # login() has saved the session under its new key; session_record() needs that key.
        session_stamp(request, zone=pending.zone, second_factor=device_id)
        session_record(user=user, request=request, zone=pending.zone)
        audit_record(
            action="signin.succeeded",
            actor=user,
            target=user,
            request=request,
            details={"zone": pending.zone, "second_factor": device_id.split("/")[0]},
        )
        if effective_policy(user).one_session_per_user:
            sessions_end(
                user=user,
                reason="signed_in_elsewhere",
                actor=user,
                request=request,
                except_key=request.session.session_key,
            )
    return redirect(next_url or default_landing(user))


def default_landing(user) -> str:
    if user.practice_id is None:
        return reverse("admin:index")
    return settings.LOGIN_REDIRECT_URL


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
