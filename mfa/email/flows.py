"""Email codes (django-otp's EmailDevice): a fallback at sign-in, and the remote-setup check."""

from datetime import datetime

from django.utils import timezone
from django_otp.models import GenerateNotAllowed
from django_otp.plugins.otp_email.models import EmailDevice

from accounts.models import User
from practice import ratelimit
from practice.audit import audit_record
from practice.vocabulary import AuditAction, CodeRefusal

# Email codes one user may be sent in an hour. Asking for one takes only the password, so
# without a cap someone who has it could have us mail the user a code a minute (django-otp's
# cooldown) and bury their inbox. Counted as the password reset counts its requests.
EMAIL_CODES_PER_HOUR = 5
EMAIL_CODE_WINDOW_SECONDS = 60 * 60
TOO_MANY_EMAIL_CODES = (
    "Too many codes were emailed to you in the last hour. You can ask for a new one in {wait}, "
    "or choose another method."
)


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


def email_code_send(*, user: User, request=None) -> datetime:
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
    _refuse_past_the_hourly_cap(user=user, request=request)
    try:
        device.generate_challenge()
    except OSError as exc:
        raise EmailCodeError(
            "We could not send the email. Try again in a minute, or choose another method."
        ) from exc
    return device.valid_until


def _refuse_past_the_hourly_cap(*, user: User, request) -> None:
    key = f"email-code:user:{user.pk}"
    sent = ratelimit.count(key, window_seconds=EMAIL_CODE_WINDOW_SECONDS)
    if sent <= EMAIL_CODES_PER_HOUR:
        return
    if sent == EMAIL_CODES_PER_HOUR + 1:
        # Once a window: a refusal asked for again and again does not flood the audit log.
        audit_record(
            action=AuditAction.MFA_CODE_REFUSED,
            target=user,
            request=request,
            details={"reason": CodeRefusal.RATE_LIMITED, "channel": "email"},
        )
    wait = ratelimit.wait_words(ratelimit.seconds_left(key))
    raise EmailCodeError(TOO_MANY_EMAIL_CODES.format(wait=wait))
