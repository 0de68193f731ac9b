"""The second factor during sign-in: which methods a user has, sending their codes, checking
them (wrong codes count on the sign-in failure counter, which only a completed sign-in clears),
and finishing the stage.

The stage's working state lives in the pending sign-in under STATE_KEY; when the stage passes it
is replaced by {"device": <persistent id>, "kind": <FactorKind>}: signin_complete hands the device
to django-otp, and records the kind in the session's stamp and the audit.
"""

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from django_otp.models import Device

from accounts.lockout import attempts_left, failure_record, lock_refresh
from accounts.models import User
from accounts.signin import SECOND_FACTOR_STAGE, SignIn, signin_continue
from mfa.email.flows import EmailCodeError, email_code_send, email_device
from mfa.models import PhoneDevice, RecoveryCodeDevice
from mfa.recovery_codes.flows import recovery_code_used_notice
from mfa.selectors import PRIMARY_KINDS, factor_kind, user_factors
from phonecodes.codes import PhoneCodeError, code_purpose
from phonecodes.numbers import mask_number, number_ending
from practice.audit import audit_record
from practice.vocabulary import AuditAction, CodePurpose, FactorKind, SignInFailure

STATE_KEY = SECOND_FACTOR_STAGE  # the stage keeps its working state under its own key
# The keys of the methods that are not one device: all of the user's keys, email, recovery codes.
KEY_METHOD = FactorKind.KEY.value
EMAIL_METHOD = FactorKind.EMAIL.value
RECOVERY_METHOD = FactorKind.RECOVERY.value

WRONG_CODE_MESSAGE = "Invalid code. Check the code and try again."
USED_CODE_MESSAGES = {
    FactorKind.APP: "Invalid code: that code was already used. Wait for the next code in your app.",
    FactorKind.RECOVERY: "Invalid code: that recovery code was already used. Each one works once.",
}
# From this many tries left, a wrong code says how many remain before the account locks.
FEW_TRIES_LEFT = 2
THROTTLED_MESSAGE = "{count} wrong codes in a row. Wait {seconds}, then try again."
# After one wrong code django-otp checks the next only after a moment (longer after each).
WAIT_MESSAGE = (
    "Wait {seconds} before you enter a code again: after a wrong code, the next one is checked "
    "only after a moment."
)


@dataclass(frozen=True)
class Method:
    """One way to pass the second factor: an app, a phone, the keys, recovery codes, email."""

    key: str  # a device's persistent id, or KEY_METHOD / EMAIL_METHOD / RECOVERY_METHOD
    kind: FactorKind
    label: str
    device: Device | None = None

    @property
    def sends_code(self) -> bool:
        return self.kind in (FactorKind.TEXT, FactorKind.VOICE, FactorKind.EMAIL)

    @property
    def takes_code(self) -> bool:
        return self.kind != FactorKind.KEY


def methods_for(user: User) -> list[Method]:
    """The user's methods, best first: apps, phones, keys; then recovery codes and email."""
    methods: list[Method] = []
    factors = user_factors(user)
    apps = [f for f in factors if f.kind == FactorKind.APP]
    for factor in apps:
        label = FactorKind.APP.label
        if len(apps) > 1:
            label += f" ({factor.name})"
        methods.append(Method(factor.persistent_id, FactorKind.APP, label, factor.device))
    for factor in factors:
        if factor.kind in (FactorKind.TEXT, FactorKind.VOICE):
            label = f"{factor.kind.label} to {mask_number(factor.device.number)}"
            methods.append(Method(factor.persistent_id, factor.kind, label, factor.device))
    if any(f.kind == FactorKind.KEY for f in factors):
        methods.append(Method(KEY_METHOD, FactorKind.KEY, FactorKind.KEY.label))
    recovery = RecoveryCodeDevice.objects.filter(user=user, confirmed=True).first()
    if recovery is not None and recovery.codes_left:
        kind = FactorKind.RECOVERY
        methods.append(Method(RECOVERY_METHOD, kind, kind.label, recovery))
    if user.email and methods:
        label = f"Email to {mask_email(user.email)}"
        methods.append(Method(EMAIL_METHOD, FactorKind.EMAIL, label))
    return methods


def method_for(user: User, key: str) -> Method | None:
    """SECURITY: only among the user's own methods, so a posted id of another account is None."""
    return next((m for m in methods_for(user) if m.key == key), None)


def default_method(user: User) -> Method:
    """The primary method used last (what this user is used to), else the first one."""
    methods = methods_for(user)
    primary = [m for m in methods if m.kind in PRIMARY_KINDS]

    def last_used(method: Method):
        if method.kind == FactorKind.KEY:
            keys = [f for f in user_factors(user) if f.kind == FactorKind.KEY]
            return max((f.last_used_at for f in keys if f.last_used_at), default=None)
        return getattr(method.device, "last_used_at", None)

    used = [(last_used(m), m) for m in primary]
    used = [(at, m) for at, m in used if at is not None]
    if used:
        return max(used, key=lambda pair: pair[0])[1]
    return (primary or methods)[0]


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}"


def signin_purpose(signin: SignIn, purpose: CodePurpose = CodePurpose.SIGNIN) -> str:
    """What this sign-in's phone codes are bound to: its own nonce (another sign-in's code,
    sent to the same phone, does not work here)."""
    return code_purpose(purpose, signin.state[STATE_KEY]["nonce"])


def method_start(signin: SignIn, method: Method) -> None:
    """Make `method` the current one; for text, voice and email, send a code now.

    The page then says what happened (code_status): the code this sign-in was sent, or when a
    new one can be asked for; a failure to send is told with a message.
    """
    state = signin.state[STATE_KEY]
    state["method"] = method.key
    state.pop("expires_at", None)
    if method.sends_code:
        code_send(signin, method)


# Under STATE_KEY, for each method that sends codes (by its key): [sent at, expires at] of the
# code sent for this sign-in, and when a new one may be asked for (after a cooldown refusal).
SENT_KEY = "sent"
WAIT_KEY = "wait_until"


def code_send(signin: SignIn, method: Method) -> bool:
    """Send a new code for the current method, and remember it as this sign-in's.

    A cooldown refusal (a code went out less than 30 seconds ago, maybe for another sign-in) is
    not a message: the page says when a new code can be asked for, and does not ask for a code
    this sign-in was never sent. Other failures (limits, opted out, not delivered) are told.
    """
    request, user = signin.request, signin.user
    state = signin.state[STATE_KEY]
    now = timezone.now().timestamp()
    try:
        if method.kind == FactorKind.EMAIL:
            expires_at = email_code_send(user=user, request=request)
            email_code_ours(signin, expires_at)
        else:
            expires_at = method.device.generate_challenge(
                purpose=signin_purpose(signin), request=request
            ).expires_at
    except (PhoneCodeError, EmailCodeError) as exc:
        if exc.seconds_left:
            state.setdefault(WAIT_KEY, {})[method.key] = now + exc.seconds_left
        else:
            messages.error(request, exc.message)
        return False
    state["expires_at"] = expires_at.timestamp()
    state.setdefault(SENT_KEY, {})[method.key] = [now, expires_at.timestamp()]
    state.get(WAIT_KEY, {}).pop(method.key, None)
    return True


@dataclass(frozen=True)
class CodeStatus:
    """What the verify page says about the code of a text, voice or email method.

    `sent_at`/`expires_at`: the code sent for this sign-in (None when there is none);
    `wait_seconds`: how long until a new code can be asked for (0: now).
    """

    kind: FactorKind
    destination: str
    sent_at: datetime | None
    expires_at: datetime | None
    wait_seconds: int
    now: datetime
    zone: str = "UTC"  # the zone the times are said in
    replaced: bool = False  # an email code another sign-in's request replaced

    @property
    def valid(self) -> bool:
        return self.expires_at is not None and self.expires_at > self.now

    @property
    def seconds_valid(self) -> int:
        return max(0, math.ceil((self.expires_at - self.now).total_seconds())) if self.valid else 0

    @property
    def text(self) -> str:
        """ "We sent a code to ••0177 at 13:02; it is still valid for 9 minutes." """
        if self.sent_at is None and self.wait_seconds:
            # The wait comes from a code sent for something else (another sign-in, another
            # browser): it would be refused here, so the page must not ask for it.
            return (
                f"No code has been sent for this sign-in yet: the code that went to "
                f"{self.destination} a moment ago was for another sign-in and does not work here."
            )
        if self.sent_at is None:
            return "No code has been sent for this sign-in yet."
        at = self.sent_at.astimezone(ZoneInfo(self.zone)).strftime("%H:%M")
        if self.replaced:
            return f"The code we emailed at {at} was replaced by one sent for another sign-in."
        if not self.valid:
            return f"The code we sent at {at} has expired."
        minutes = self.seconds_valid // 60
        still = f"{minutes} minute{'' if minutes == 1 else 's'}" if minutes else "under a minute"
        if self.kind == FactorKind.VOICE:
            return (
                f"We called {self.destination} with a code at {at}; it is still valid for {still}."
            )
        verb = "emailed" if self.kind == FactorKind.EMAIL else "sent"
        return f"We {verb} a code to {self.destination} at {at}; it is still valid for {still}."

    @property
    def wait_for(self) -> str:
        """ "23 seconds": how long until a new code can be asked for."""
        return seconds_text(self.wait_seconds)


def code_status(signin: SignIn, method: Method) -> CodeStatus:
    """The code this sign-in was sent for `method` (never another sign-in's), and the wait."""
    state = signin.state.get(STATE_KEY) or {}
    now = timezone.now()
    sent_at = expires_at = None
    replaced = False
    sent = (state.get(SENT_KEY) or {}).get(method.key)
    if sent is not None:
        sent_at = datetime.fromtimestamp(sent[0], tz=UTC)
        expires_at = datetime.fromtimestamp(sent[1], tz=UTC)
        email = method.kind == FactorKind.EMAIL
        if email and not email_code_is_ours(signin, email_device(signin.user)):
            # Another sign-in asked for an email code since: ours was replaced.
            expires_at, replaced = now, True
    wait_until = (state.get(WAIT_KEY) or {}).get(method.key)
    wait = max(0, math.ceil(wait_until - now.timestamp())) if wait_until else 0
    if method.kind == FactorKind.EMAIL:
        destination = mask_email(signin.user.email)
    else:
        destination = f"••{number_ending(method.device.number)}"
    user = signin.user
    return CodeStatus(
        kind=method.kind,
        destination=destination,
        sent_at=sent_at,
        expires_at=expires_at,
        wait_seconds=wait,
        now=now,
        zone=user.time_zone or (user.practice.time_zone if user.practice_id else "UTC"),
        replaced=replaced,
    )


EMAIL_CODE_KEY = "email_code"


def email_code_ours(signin: SignIn, expires_at) -> None:
    """Remember which email code this sign-in asked for (by when it expires)."""
    signin.state[STATE_KEY][EMAIL_CODE_KEY] = expires_at.timestamp()


def email_code_is_ours(signin: SignIn, device) -> bool:
    """SECURITY: django-otp keeps one email code per user. It is this sign-in's only if this
    sign-in asked for it (another sign-in's request replaces it, with another expiry), so a code
    mailed to one browser's sign-in does not serve another's."""
    ours = (signin.state.get(STATE_KEY) or {}).get(EMAIL_CODE_KEY)
    return (
        ours is not None
        and device.valid_until is not None
        and abs(device.valid_until.timestamp() - ours) < 0.001
    )


def seconds_left(signin: SignIn) -> int | None:
    """Seconds until the code sent for this sign-in expires (None when none was sent)."""
    expires_at = signin.state.get(STATE_KEY, {}).get("expires_at")
    if expires_at is None:
        return None
    return max(0, math.ceil(expires_at - timezone.now().timestamp()))


def seconds_text(seconds: int) -> str:
    return f"{seconds} second{'' if seconds == 1 else 's'}"


def throttle_seconds(device: Device) -> int:
    """Seconds until django-otp's throttling lets this device check a code again (0: now)."""
    allowed, data = device.verify_is_allowed()
    if allowed:
        return 0
    wait = (data or {}).get("locked_until")
    return max(1, math.ceil((wait - timezone.now()).total_seconds())) if wait else 1


def throttled_message(device: Device, seconds: int) -> str:
    """Why a code is not checked now, and for how long: after one wrong code, a short wait (not
    "too many"); after several, how many."""
    count = getattr(device, "throttling_failure_count", 0) or 0
    if count <= 1:
        return WAIT_MESSAGE.format(seconds=seconds_text(seconds))
    return THROTTLED_MESSAGE.format(count=count, seconds=seconds_text(seconds))


def countdown(signin: SignIn) -> dict | None:
    """What the page shows as "Time left" (the script counts it down)."""
    seconds = seconds_left(signin)
    if seconds is None:
        return None
    return countdown_of(seconds)


def countdown_of(seconds: int) -> dict:
    return {"seconds": seconds, "text": f"{seconds // 60}:{seconds % 60:02d}"}


@dataclass(frozen=True)
class CheckResult:
    ok: bool = False
    locked: bool = False
    message: str = ""
    device: Device | None = None


def code_check(signin: SignIn, method: Method, code: str) -> CheckResult:
    """Check a code for `method`. A wrong code counts on the sign-in failure counter."""
    request, user = signin.request, signin.user
    if lock_refresh(user=user, request=request):
        return CheckResult(locked=True)
    email = method.kind == FactorKind.EMAIL
    device = email_device(user) if email else method.device
    seconds = throttle_seconds(device)
    if seconds:
        # Not counted as a failure: the code was not even looked at.
        return CheckResult(message=throttled_message(device, seconds))
    checked = device
    if email and not email_code_is_ours(signin, device):
        device = None
    else:
        device = device_code_verify(device, code, purpose=signin_purpose(signin))
    if device is None:
        return second_factor_failed(signin, used=_already_used(checked, code))
    if method.kind == FactorKind.RECOVERY:
        audit_record(
            action=AuditAction.MFA_RECOVERY_CODE_USED,
            actor=user,
            target=user,
            request=request,
            details={"codes_left": device.codes_left},
        )
        recovery_code_used_notice(user=user, codes_left=device.codes_left)
    return CheckResult(ok=True, device=device)


def second_factor_failed(
    signin: SignIn, *, reason: SignInFailure = SignInFailure.SECOND_FACTOR, used: str = ""
) -> CheckResult:
    """A wrong code, or a security key's answer that does not check out: one more failure on
    the sign-in failure counter, which locks the account at the practice's threshold (and only
    a completed sign-in clears). Locked now (by this failure, or by another meanwhile), or what
    to tell the user (`used`: the kind of code already used, when it was one)."""
    request, user = signin.request, signin.user
    locked = failure_record(user=user, request=request, reason=reason)
    if locked or lock_refresh(user=user, request=request):
        return CheckResult(locked=True)
    return CheckResult(message=wrong_code_message(user, used=used))


def _already_used(device: Device, code: str) -> str:
    """What the code was, if it is one the device already accepted ("" otherwise): a code an
    app showed for a step already used, or a recovery code already spent. Asked only after the
    code failed, and counted as failed all the same; it only changes the words."""
    used = getattr(device, "code_already_used", None)
    return used(code) if used is not None else ""


def wrong_code_message(user: User, *, used: str = "") -> str:
    """ "Invalid code" (why, when it is a code already used), and how many tries are left when
    few are."""
    said = USED_CODE_MESSAGES.get(used, WRONG_CODE_MESSAGE)
    left = attempts_left(user=user)
    if left > FEW_TRIES_LEFT:
        return said
    tries = "1 try" if left == 1 else f"{left} tries"
    return f"{said} {tries} left before your account is locked."


def device_code_verify(device: Device, code: str, *, purpose: str) -> Device | None:
    """The device, if the code is right; verified with its row locked (one use wins)."""
    code = (code or "").strip()
    with transaction.atomic():
        locked = type(device).objects.select_for_update().get(pk=device.pk)
        if isinstance(locked, PhoneDevice):
            ok = locked.verify_token(code, purpose=purpose)
        else:
            ok = locked.verify_token(code)
    return locked if ok else None


def second_factor_mark(signin: SignIn, device: Device) -> None:
    """The stage is done: remember the device, for django-otp once the sign-in completes, and
    its kind, for the session's stamp and the audit of the sign-in.

    The count of failed attempts is not cleared here: only a completed sign-in clears it.
    """
    signin.state[STATE_KEY] = {"device": device.persistent_id, "kind": factor_kind(device) or ""}
    signin.pending.mark_passed(STATE_KEY)
    signin.save()


def second_factor_passed(signin: SignIn, device: Device) -> HttpResponse:
    """The stage is done: go on with the sign-in."""
    second_factor_mark(signin, device)
    return signin_continue(signin)


def second_factor_skipped(signin: SignIn) -> HttpResponse:
    """ "Not now" on an optional setup (policy "prompt"): go on without a second factor."""
    user = signin.user
    audit_record(
        action=AuditAction.MFA_SETUP_SKIPPED, actor=user, target=user, request=signin.request
    )
    signin.state[STATE_KEY] = {}
    signin.pending.mark_passed(STATE_KEY)
    signin.save()
    return signin_continue(signin)
