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
from accounts.notices import acted_on_notify, takeover_watch
from accounts.permissions import may_act_on
from mfa.models import AuthenticatorApp, PhoneDevice
from mfa.phone.flows import phone_setup_start, setup_purpose
from mfa.selectors import has_second_factor
from mfa.totp.flows import default_title, totp_setup_start
from phonecodes.models import PhoneChannel
from practice.audit import audit_record
from practice.vocabulary import ActedOn, AuditAction, FactorKind


def in_person_refusal(*, user: User, actor: User) -> ValidationError | None:
    """Why `actor` may not set up a second factor for `user` here, or None."""
    if actor.pk == user.pk:
        return ValidationError(
            "Set up your own two-factor authentication from My Account.", code="self"
        )
    # SECURITY: an administrator sets up devices for users of their own practice only, and for
    # nobody who holds more than they do (with a temporary password too, they could sign in as
    # that user and hold it all).
    if not actor.is_staff and actor.practice_id != user.practice_id:
        return ValidationError("Not a user of your practice.", code="practice")
    if not may_act_on(actor, user):
        return ValidationError(
            "%(user)s holds permissions you do not have: only someone who holds everything "
            "their role holds can set up their second factor.",
            code="outside_authority",
            params={"user": user},
        )
    if not user.is_active:
        return ValidationError(
            "%(user)s is not active: activate them first.", code="inactive", params={"user": user}
        )
    # SECURITY: a second factor added at the desk beside the user's own would let whoever holds
    # it pass their sign-in unseen; resetting the pairing first tells the user.
    if has_second_factor(user):
        return ValidationError(
            "%(user)s already has a second factor. If they lost it, use Reset 2FA pairing "
            "first (they are told by email), then set up the new one here.",
            code="has_second_factor",
            params={"user": user},
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
    with transaction.atomic():
        device = type(device).objects.select_for_update().get(pk=device.pk)
        if device.confirmed:
            return False
        # Asked again at the code: the user may have added a factor of their own since.
        _refuse(user=user, actor=actor)
        if isinstance(device, PhoneDevice):
            ok = device.verify_token(code, purpose=setup_purpose(device))
            kind = FactorKind.TEXT
        else:
            ok = device.verify_token(code)
            kind = FactorKind.APP
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
        # The user is told who set it up and when; if this was not expected, they call.
        acted_on_notify(
            user=user,
            actor=actor,
            what=ActedOn.SECOND_FACTOR_IN_PERSON,
            kind_label=kind.label,
            name=device.name,
        )
        takeover_watch(user=user, actor=actor, done=AuditAction.MFA_DEVICE_SET_UP_IN_PERSON)
    return True
