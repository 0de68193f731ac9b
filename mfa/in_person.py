"""Setting up a user's second factor at the administrator's desk (OfficeEMR's "Set Two-Factor
Authentication Now").

The user sits with the administrator, scans the QR code on the administrator's screen (or
receives a text at their verified mobile) and types the code there. The device is the user's,
exactly as if they had added it on My Account; the audit row names the administrator and says
it was set up in person. The console's view guards it like a pairing reset: the administrator's
own second factor in this session, and their password typed again.
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from mfa.devices import device_added_notice
from mfa.models import AuthenticatorApp, PhoneDevice
from mfa.phone.flows import phone_setup_start, setup_purpose
from mfa.totp.flows import default_title, totp_setup_start
from phonecodes.models import PhoneChannel
from practice.audit import audit_record
from practice.vocabulary import AuditAction


def in_person_refusal(*, user: User, actor: User) -> ValidationError | None:
    """Why `actor` may not set up a second factor for `user` here, or None."""
    if actor.pk == user.pk:
        return ValidationError(
            "Set up your own two-factor authentication from My Account.", code="self"
        )
    # SECURITY: an administrator sets up devices for users of their own practice only.
    if not actor.is_staff and actor.practice_id != user.practice_id:
        return ValidationError("Not a user of your practice.", code="practice")
    if not user.is_active:
        return ValidationError(
            "%(user)s is not active: activate them first.", code="inactive", params={"user": user}
        )
    return None


def _refuse(*, user: User, actor: User) -> None:
    refusal = in_person_refusal(user=user, actor=actor)
    if refusal is not None:
        raise refusal


def text_number(user: User) -> str:
    """The verified mobile a text can go to for an in-person setup, or ""."""
    return user.mobile_phone if user.mobile_phone and user.mobile_phone_verified_at else ""


def in_person_app_start(*, user: User, actor: User) -> AuthenticatorApp:
    """A new, unconfirmed authenticator app of the user, its secret to be shown as a QR code."""
    _refuse(user=user, actor=actor)
    return totp_setup_start(user=user, title=default_title(user))


def in_person_text_start(*, user: User, actor: User, request=None) -> PhoneDevice:
    """A new, unconfirmed phone at the user's verified mobile, and a code sent to it.

    Only a number the user has already proved is theirs: a number typed at the desk could be
    anyone's. Raises PhoneCodeError when the text cannot be sent (nothing is kept).
    """
    _refuse(user=user, actor=actor)
    number = text_number(user)
    if not number:
        raise ValidationError(
            "%(user)s has no verified mobile phone: use an authenticator app.",
            code="no_verified_mobile",
            params={"user": user},
        )
    return phone_setup_start(user=user, number=number, method=PhoneChannel.SMS, request=request)


def in_person_setup_confirm(
    *, device: AuthenticatorApp | PhoneDevice, code: str, actor: User, request=None
) -> bool:
    """Confirm the user's new device with the code the user typed; False (nothing confirmed)
    for a wrong code. The device stays the user's; the audit row names the administrator."""
    user = device.user
    _refuse(user=user, actor=actor)
    with transaction.atomic():
        device = type(device).objects.select_for_update().get(pk=device.pk)
        if device.confirmed:
            return False
        if isinstance(device, PhoneDevice):
            ok = device.verify_token(code, purpose=setup_purpose(device))
            kind = "text"
        else:
            ok = device.verify_token(code)
            kind = "app"
        if not ok:
            return False
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_record(
            action=AuditAction.MFA_DEVICE_SET_UP_IN_PERSON,
            actor=actor,
            target=user,
            request=request,
            details={"kind": kind, "name": device.name},
        )
    # The user is told, as for any new sign-in method: if this was not them, they call.
    device_added_notice(user=user, kind=kind, name=device.name)
    return True
