"""Email codes (django-otp's EmailDevice): a fallback at sign-in, and the remote-setup check."""

from datetime import datetime

from django.utils import timezone
from django_otp.models import GenerateNotAllowed
from django_otp.plugins.otp_email.models import EmailDevice

from accounts.models import User


class EmailCodeError(Exception):
    def __init__(self, message: str, *, seconds_left: int | None = None):
        super().__init__(message)
        self.message = message
        self.seconds_left = seconds_left


def email_device(user: User) -> EmailDevice | None:
    """The user's email-code device, made on first use; None without an address on file.

    Codes go to the address on file (user.email), never to one typed at sign-in.
    """
    if not user.email:
        return None
    device, _ = EmailDevice.objects.get_or_create(
        user=user, defaults={"name": "Email", "confirmed": True}
    )
    return device


def email_code_send(*, user: User) -> datetime:
    """Email a new code (10 minutes; it replaces the last one); returns when it expires."""
    device = email_device(user)
    if device is None:
        raise EmailCodeError("There is no email address on file for your account.")
    allowed, data = device.generate_is_allowed()
    if not allowed:
        seconds = 0
        if data and data.get("reason") == GenerateNotAllowed.COOLDOWN_DURATION_PENDING:
            seconds = int((data["next_generation_at"] - timezone.now()).total_seconds()) + 1
        raise EmailCodeError(
            f"A code was emailed a moment ago. You can ask for a new one in {seconds} seconds.",
            seconds_left=seconds,
        )
    try:
        device.generate_challenge()
    except OSError as exc:
        raise EmailCodeError(
            "We could not send the email. Try again in a minute, or choose another method."
        ) from exc
    return device.valid_until
