"""Text and voice codes, reached through settings.PHONE_CODES_MODULE.

accounts never imports mfa (dependencies point one way): the module that sends and checks codes
is named in settings, as the sign-in stages are. It provides
`phone_code_send(*, user, number, channel, purpose, request=None)`, raising its `PhoneCodeError`
(with `.message` and `.code`) when it cannot send, and
`phone_code_verify(*, user, purpose, code, request=None) -> bool` and
`phone_codes_available() -> bool` (False when the server cannot text or call at all).
"""

from importlib import import_module

from django.conf import settings
from django.core.exceptions import ValidationError

CHANNELS = ("sms", "voice")


def _module():
    return import_module(settings.PHONE_CODES_MODULE)


def phone_code_send(*, user, number: str, channel: str, purpose: str, request=None) -> None:
    """Send a code to `number`; a refusal (rate limit, bad number) is a ValidationError."""
    if channel not in CHANNELS:
        raise ValidationError("Choose a text message or a call.", code="invalid_channel")
    module = _module()
    try:
        module.phone_code_send(
            user=user, number=number, channel=channel, purpose=purpose, request=request
        )
    except module.PhoneCodeError as exc:
        raise ValidationError(exc.message, code=exc.code) from None


def phone_codes_available() -> bool:
    return _module().phone_codes_available()


def phone_code_verify(*, user, purpose: str, code: str, request=None) -> bool:
    return _module().phone_code_verify(user=user, purpose=purpose, code=code, request=request)
