"""Proving who you are before a first second-factor setup from outside the office (Keycloak
21837): a code to the email or the verified mobile already on file, checked as sign-in codes
are (counted towards the lockout, throttled)."""

from django.contrib import messages

from accounts.lockout import lock_refresh
from accounts.models import User
from accounts.signin import SignIn
from mfa.email.flows import EmailCodeError, email_code_send, email_device
from mfa.verification import (
    EMAIL_METHOD,
    STATE_KEY,
    CheckResult,
    device_code_verify,
    email_code_is_ours,
    email_code_ours,
    mask_email,
    second_factor_failed,
    signin_purpose,
    throttle_seconds,
    throttled_message,
)
from phonecodes.codes import PhoneCodeError, phone_code_send, phone_code_verify
from phonecodes.models import PhoneChannel
from phonecodes.numbers import mask_number
from practice.audit import audit_record
from practice.vocabulary import AuditAction, CodePurpose, SignInFailure


def identity_channels(user: User) -> list[str]:
    """Where a confirmation code can go: the email on file, a verified mobile on file."""
    channels = []
    if user.email:
        channels.append(EMAIL_METHOD)
    if user.mobile_phone and user.mobile_phone_verified_at:
        channels.append(PhoneChannel.SMS.value)
    return channels


def identity_destination(user: User, channel: str) -> str:
    if channel == EMAIL_METHOD:
        return mask_email(user.email)
    return mask_number(user.mobile_phone)


def identity_code_send(signin: SignIn, channel: str) -> bool:
    request, user = signin.request, signin.user
    state = signin.state[STATE_KEY]
    try:
        if channel == EMAIL_METHOD:
            expires_at = email_code_send(user=user, request=request)
            email_code_ours(signin, expires_at)
        else:
            expires_at = phone_code_send(
                user=user,
                number=user.mobile_phone,
                channel=PhoneChannel.SMS,
                purpose=signin_purpose(signin, CodePurpose.SIGNIN_SETUP),
                request=request,
            ).expires_at
    except (PhoneCodeError, EmailCodeError) as exc:
        messages.error(request, exc.message)
        return False
    state["identity_channel"] = channel
    state["expires_at"] = expires_at.timestamp()
    verb = "emailed" if channel == EMAIL_METHOD else "texted"
    messages.info(request, f"We {verb} a code to {identity_destination(user, channel)}.")
    return True


def identity_code_check(signin: SignIn, code: str) -> CheckResult:
    request, user = signin.request, signin.user
    state = signin.state[STATE_KEY]
    if lock_refresh(user=user, request=request):
        return CheckResult(locked=True)
    channel = state.get("identity_channel")
    device = email_device(user) if channel == EMAIL_METHOD else None
    if device is not None:
        seconds = throttle_seconds(device)
        if seconds:
            return CheckResult(message=throttled_message(device, seconds))
        ok = (
            email_code_is_ours(signin, device)
            and device_code_verify(device, code, purpose="") is not None
        )
    elif channel:
        purpose = signin_purpose(signin, CodePurpose.SIGNIN_SETUP)
        ok = phone_code_verify(user=user, purpose=purpose, code=code)
    else:
        ok = False
    if not ok:
        return second_factor_failed(signin, reason=SignInFailure.SECOND_FACTOR_SETUP)
    state["identity_confirmed"] = True
    state.pop("expires_at", None)
    audit_record(
        action=AuditAction.MFA_SETUP_IDENTITY_CONFIRMED,
        actor=user,
        target=user,
        request=request,
        details={"channel": channel},
    )
    return CheckResult(ok=True)
