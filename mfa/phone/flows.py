"""Text and voice phones: add a number, prove it with a code, then use it at sign-in."""

from django.db import transaction

from accounts.models import User
from mfa.devices import device_added, device_added_notice
from mfa.models import PhoneDevice
from phonecodes.codes import number_check
from phonecodes.models import PhoneChannel
from phonecodes.numbers import mask_number


def setup_purpose(device: PhoneDevice) -> str:
    return f"phone-setup:{device.pk}"


def phone_setup_start(*, user: User, number: str, method: str, request=None) -> PhoneDevice:
    """A new, unconfirmed phone, and a code sent to it; raises PhoneCodeError (nothing kept)."""
    if method not in PhoneChannel.values:
        raise ValueError(f"Unknown method {method!r}")
    number = number_check(user=user, number=number)
    with transaction.atomic():
        PhoneDevice.objects.filter(user=user, confirmed=False).delete()
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
        kind = "voice" if device.method == PhoneChannel.VOICE else "text"
        device_added(user=device.user, device=device, kind=kind, actor=actor, request=request)
    device_added_notice(user=device.user, kind=kind, name=device.name)
    return True
