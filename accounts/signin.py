"""The sign-in pipeline: stages named in settings.SIGNIN_STAGES, run in order.

A sign-in in progress (a "pending sign-in") lives in the session under one key. Each stage
passes, refuses with a message (the pending sign-in ends), or sends the user to a step page
(a second-factor code, a forced password change). A step page is decorated with
`signin_step(key)`, which lets it open only when every stage before its own has passed; once its
step is done it calls `signin_continue(request)`, which runs the stages that have not passed yet
(a stage that cannot see for itself that its step is done is marked first with
`pending.mark_passed(stage.key)`). Only `signin_complete` calls django.contrib.auth.login(),
which rotates the session key, so nothing a visitor did before signing in survives into the
signed-in session; and it checks again that every stage passed and that a sign-in that needed a
second factor had one.

accounts never imports mfa: the second factor is a stage listed in settings, and a system check
(accounts.checks) refuses a list that leaves out a required stage or puts them out of order.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache, cached_property, wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.views.decorators.debug import sensitive_variables
from django_otp.models import Device

from accounts.lockout import attempt_refund, lock_refresh
from accounts.models import User
from accounts.pending import (
    SECOND_FACTOR_DEMAND_KEY,
    PendingSignIn,
    pending_clear,
    pending_get,
    pending_save,
    second_factor_demanded,
)
from accounts.sessions import (
    session_end_current,
    session_key_rotate,
    session_record,
    session_stamp,
    sessions_end,
)
from practice.audit import audit_record, typed_name_details
from practice.models import Practice
from practice.network import client_ip
from practice.policy import Policy, effective_policy
from practice.vocabulary import AuditAction, SessionEndReason, SignInFailure

logger = logging.getLogger(__name__)

SIGNIN_TIMED_OUT = "Your sign-in timed out. Please sign in again."
INVALID = "Invalid username or password."

# The stages every sign-in must pass, in this order (settings.SIGNIN_STAGES names the classes;
# the system check in accounts.checks holds the setting to this list).
REQUIRED_STAGES = ("credentials", "login_times", "network", "second_factor", "required_actions")
SECOND_FACTOR_STAGE = "second_factor"
# Where an emergency declared during this sign-in is kept (accounts.emergency).
EMERGENCY_STATE = "emergency"
# Set when the network stage let this sign-in in to set up its practice (accounts.setup_access).
SETUP_ACCESS_STATE = "setup_access"
# An application that asks for a second factor even where the practice would not marks the
# browser's next sign-in (accounts.pending.second_factor_demand); then the pending sign-in's
# state says so.
SECOND_FACTOR_DEMANDED = "second_factor_demanded"


class SignIn:
    """One request's view of a pending sign-in: the request, the pending state, and its user and
    effective policy, each loaded once however many stages and helpers ask."""

    def __init__(self, request: HttpRequest, pending: PendingSignIn):
        self.request = request
        self.pending = pending
        # The credentials stage's reserved attempt (lockout.attempt_reserve), when the password
        # was right: given back at the end of this request, unless the sign-in completes, whose
        # own UPDATE clears the count anyway.
        self.attempt_to_refund: User | None = None

    @cached_property
    def user(self) -> User:
        return User.objects.select_related("practice").get(pk=self.pending.user_id)

    @cached_property
    def policy(self) -> Policy:
        return effective_policy(self.user)

    def identify(self, user: User) -> None:
        """The credentials stage found the user and the password was right: remember them for
        the steps that follow, under a session key of this sign-in's own."""
        if self.request.session.session_key is not None:
            # SECURITY: a key the browser brought may have been planted (any host under
            # SESSION_COOKIE_DOMAIN can set the cookie). The steps that follow (the code step, a
            # first authenticator's key) live under a new one, which only this response hands
            # out; login() changes it again at the end. A browser without a session gets a new
            # key anyway.
            session_key_rotate(self.request)
        self.pending.user_id = user.pk
        self.__dict__["user"] = user

    def save(self) -> None:
        pending_save(self.request, self.pending)

    @property
    def state(self) -> dict:
        return self.pending.state

    @property
    def emergency_reason(self) -> str | None:
        """The reason of an emergency declared during this sign-in; None without one."""
        state = self.state.get(EMERGENCY_STATE) or {}
        return state.get("reason", "") if state.get("declared") else None

    @property
    def second_factor_required(self) -> bool:
        """Must this sign-in pass a second factor? The one answer, for the second-factor stage
        and for signin_complete: the policy's for the zone, and always in an emergency or when
        an application asked for one (second_factor_demand)."""
        return (
            self.emergency_reason is not None
            or bool(self.state.get(SECOND_FACTOR_DEMANDED))
            or self.policy.second_factor_required(self.pending.zone)
        )


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
    `run` receives the SignIn and, for the first request only, the password in `credentials`
    (never stored). It returns Passed, Refused or Step; it may update the pending sign-in (the
    zone, its own state) and must write the audit event for a refusal it decides (signin_refusal).
    """

    key: str = ""

    def run(self, signin: SignIn, credentials: dict | None) -> StageOutcome:
        raise NotImplementedError


@cache
def stage_classes() -> tuple[type[SignInStage], ...]:
    return tuple(import_string(path) for path in settings.SIGNIN_STAGES)


def stage_keys() -> list[str]:
    return [cls.key for cls in stage_classes()]


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


def signin_refusal(
    signin: SignIn, *, reason: SignInFailure, message: str, user: User | None = None
) -> Refused:
    """Audit a refused sign-in and say so: about `user`, or, for a name that matches nobody, about
    the name as typed_name_details keeps it (never the text: it may be a password)."""
    pending = signin.pending
    practice = user.practice if user else Practice.objects.filter(pk=pending.practice_id).first()
    details = {"reason": reason}
    if user is None:
        details.update(typed_name_details(pending.username))
    audit_record(
        action=AuditAction.SIGNIN_FAILED,
        target=user,
        practice=practice,
        request=signin.request,
        details=details,
    )
    return Refused(message=message, code=reason)


def signin_step(stage_key: str, *, done: bool = False, json: bool = False):
    """Decorate a step page of stage `stage_key`: it opens only while a sign-in is pending and
    every stage before `stage_key` has passed, and (with `done`) `stage_key` too, else not yet.
    Anything else stops the sign-in ("timed out"; a JSON 403 with `json`). The view receives
    the SignIn after the request.

    SECURITY: this is what keeps a step page from being reached out of order, for example the
    forced password change before the second factor.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            pending = pending_get(request)
            if not at_step(pending, stage_key, done=done):
                if pending is not None and pending.user_id is not None:
                    # A step page asked for out of order (by hand, or by a script trying to
                    # skip a stage): refused below, and worth a line in the security log.
                    logger.warning(
                        "Sign-in step %s opened out of order by user %s from %s",
                        request.path,
                        pending.user_id,
                        client_ip(request),
                    )
                if json:
                    return signin_timed_out_json()
                return signin_stop(request, pending, SIGNIN_TIMED_OUT)
            signin = SignIn(request, pending)
            request.practice = signin.user.practice
            return view(request, signin, *args, **kwargs)

        return wrapper

    return decorator


def signin_timed_out_json() -> JsonResponse:
    """ "Timed out" for a step's JSON call (a security key's) that is not at its step."""
    return JsonResponse({"detail": SIGNIN_TIMED_OUT, "code": "timed_out"}, status=403)


def at_step(pending: PendingSignIn | None, stage_key: str, *, done: bool = False) -> bool:
    """Whether the pending sign-in has reached a step of `stage_key` (see signin_step)."""
    keys = stage_keys()
    if pending is None or pending.user_id is None or stage_key not in keys:
        return False
    position = keys.index(stage_key)
    before = keys[: position + 1] if done else keys[:position]
    if not all(pending.has_passed(key) for key in before):
        return False
    return done or not pending.has_passed(stage_key)


@sensitive_variables("username", "password", "pending", "credentials")
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
    if second_factor_demanded(request):
        pending.state[SECOND_FACTOR_DEMANDED] = True
    credentials = {"practice": practice, "password": password, "staff": staff}
    return _run(SignIn(request, pending), credentials)


def signin_continue(signin: SignIn) -> HttpResponse:
    """Resume the pending sign-in after a step page; a refusal goes back to the sign-in page."""
    outcome = _run(signin, None)
    if isinstance(outcome, Refused):
        return signin_stop(signin.request, signin.pending, outcome.message)
    return outcome


@sensitive_variables("credentials")
def _run(signin: SignIn, credentials: dict | None) -> HttpResponse | Refused:
    try:
        for stage_class in stage_classes():
            if signin.pending.has_passed(stage_class.key):
                continue
            outcome = stage_class().run(signin, credentials)
            if isinstance(outcome, Refused):
                pending_clear(signin.request)
                return outcome
            if isinstance(outcome, Step):
                signin.save()
                return redirect(outcome.url)
            signin.pending.mark_passed(stage_class.key)
        return signin_complete(signin)
    finally:
        if signin.attempt_to_refund is not None:
            attempt_refund(user=signin.attempt_to_refund)


def signin_complete(signin: SignIn) -> HttpResponse | Refused:
    """Every stage passed: sign the user in, stamp and record the session, audit it."""
    request, pending, user = signin.request, signin.pending, signin.user
    pending_clear(request)
    request.session.pop(SECOND_FACTOR_DEMAND_KEY, None)
    device = _verified_device(signin)
    # SECURITY: whatever the list of stages says, a sign-in that needed a second factor does not
    # complete without one, and none completes with a stage left out.
    if not all(pending.has_passed(key) for key in REQUIRED_STAGES) or (
        device is None and signin.second_factor_required
    ):
        return signin_refusal(
            signin, reason=SignInFailure.SECOND_FACTOR_MISSING, message=INVALID, user=user
        )
    # A step page may have taken minutes: the account may have been locked or deactivated since
    # (the user was loaded by this request).
    if not user.is_active or lock_refresh(user=user, request=request):
        return signin_refusal(
            signin, reason=SignInFailure.CHANGED_DURING_SIGNIN, message=INVALID, user=user
        )
    if device is not None:
        # django-otp's login signal marks the session verified for this device.
        user.otp_device = device
    if request.user.is_authenticated:
        # Signing in over a signed-in session (someone else, or the same user again, say with a
        # second factor for the gateway): that session ends first, recorded and audited, so
        # login() starts a new one under a new key (for the same user, login() would keep the
        # key, and the new session's record would collide with the old one's).
        session_end_current(request, reason=SessionEndReason.SIGNED_OUT)
    with transaction.atomic():
        login(request, user, backend="accounts.backends.PracticeBackend")
        # Every factor passed: the failure count starts again (and the last sign-in is now).
        user.last_login = timezone.now()
        User.objects.filter(pk=user.pk).update(last_login=user.last_login, failed_logins=0)
        user.failed_logins = 0
        signin.attempt_to_refund = None
        # login() has saved the session under its new key; session_record() needs that key.
        device_id = device.persistent_id if device is not None else ""
        # The device's FactorKind, as the second-factor stage recorded it (for a sign-in pending
        # since before the stage did, the device's model: the audit's words still read that).
        stage = signin.state.get(SECOND_FACTOR_STAGE) or {}
        kind = (stage.get("kind") or device_id.split("/")[0]) if device is not None else ""
        emergency = signin.emergency_reason
        session_stamp(
            request,
            zone=pending.zone,
            second_factor=device_id,
            second_factor_kind=kind,
            emergency=emergency is not None,
            ip=client_ip(request),
            setup=bool(signin.state.get(SETUP_ACCESS_STATE)),
        )
        session_record(user=user, request=request, zone=pending.zone, emergency_reason=emergency)
        details = {"zone": pending.zone, "second_factor": kind}
        if emergency is not None:
            details["emergency"] = emergency
        audit_record(
            action=AuditAction.SIGNIN_SUCCEEDED,
            actor=user,
            target=user,
            request=request,
            details=details,
        )
        if signin.policy.one_session_per_user:
            sessions_end(
                user=user,
                reason=SessionEndReason.SIGNED_IN_ELSEWHERE,
                actor=user,
                request=request,
                except_key=request.session.session_key,
            )
    return redirect(pending.next_url or default_landing(user))


def _verified_device(signin: SignIn) -> Device | None:
    """The user's own device the second-factor stage verified, if any."""
    device_id = (signin.state.get(SECOND_FACTOR_STAGE) or {}).get("device", "")
    device = Device.from_persistent_id(device_id) if device_id else None
    # SECURITY: a device must belong to the user signing in.
    if device is None or device.user_id != signin.user.pk:
        return None
    return device


def default_landing(user) -> str:
    """Where a signed-in user goes when nothing asked for a page: support staff to Django
    admin; the user SIGNIN_LANDING names a page for (the console for its administrators) there;
    everyone else to My Account."""
    if user.practice_id is None:
        return reverse("admin:index")
    landing = getattr(settings, "SIGNIN_LANDING", "")
    path = import_string(landing)(user) if landing else None
    return path or settings.LOGIN_REDIRECT_URL
