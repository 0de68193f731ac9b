"""Text and voice phones: add a number, prove it with a code, then use it at sign-in."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from mfa.devices import device_added, device_added_notice
from mfa.models import PhoneDevice
from mfa.selectors import factor_kind
from phonecodes.codes import code_purpose, cooldown_refusal, number_check
from phonecodes.models import RESEND_COOLDOWN_SECONDS, PhoneChannel
from phonecodes.numbers import mask_number
from practice.vocabulary import CodePurpose


def setup_purpose(device: PhoneDevice) -> str:
    return code_purpose(CodePurpose.PHONE_SETUP, device.pk)


def phone_setup_start(*, user: User, number: str, method: str, request=None) -> PhoneDevice:
    """A new, unconfirmed phone, and a code sent to it; raises PhoneCodeError (nothing kept).

    It replaces an unfinished setup, but not one started within the resend wait: that one's
    code may still be on its way, and this one would be refused the code anyway.
    """
    if method not in PhoneChannel.values:
        raise ValueError(f"Unknown method {method!r}")
    number = number_check(user=user, number=number, channel=method)
    with transaction.atomic():
        # Two setups started at once (a double click, two tabs, the administrator's desk and
        # My Account) take turns on the user's row, so the second sees the first's phone.
        # Without this the second removed that phone while its code was going out: the first
        # answered with an error page, and the code it had sent led nowhere.
        User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).get()
        now = timezone.now()
        unfinished = PhoneDevice.objects.filter(user=user, confirmed=False)
        started = (
            unfinished.filter(created_at__gt=now - timedelta(seconds=RESEND_COOLDOWN_SECONDS))
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        if (refusal := cooldown_refusal(started, now=now)) is not None:
            raise refusal
        unfinished.delete()
        device = PhoneDevice.objects.create(
            user=user,
            number=number,
            method=method,
            name=f"{PhoneChannel(method).label} to {mask_number(number)}",
            confirmed=False,
        )
    try:
        device.generate_challenge(purpose=setup_purpose(device), request=request)
    except Exception:
        device.delete()
        raise
    return device


def phone_setup_resend(*, device: PhoneDevice, request=None) -> str:
    """Send the unconfirmed phone a new code; raises PhoneCodeError. Returns what was done."""
    return device.generate_challenge(purpose=setup_purpose(device), request=request).message


def phone_setup_confirm(
    *, device: PhoneDevice, code: str, actor: User | None, request=None
) -> bool:
    """Confirm the phone with the code it received; False (nothing changed) when wrong."""
    with transaction.atomic():
        device = PhoneDevice.objects.select_for_update().get(pk=device.pk)
        if device.confirmed or not device.verify_token(code, purpose=setup_purpose(device)):
            return False
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        kind = factor_kind(device)
        device_added(user=device.user, device=device, kind=kind, actor=actor, request=request)
    device_added_notice(user=device.user, kind=kind, name=device.name)
    return True
