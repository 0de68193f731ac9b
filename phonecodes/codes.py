"""Codes sent to a phone by text message or voice call, and checking them.

The one door for every phone code, below both accounts and mfa: the text/voice second factor, its
enrollment, the remote first-setup check, the registration phone step, password reset and the
profile's phone change all send with `phone_code_send` (the pages that send a code as they open
through phonecodes.steps, which remembers what was sent or why nothing was) and check with
`phone_code_verify`. Callers bind a code to what asked for it with `purpose`, made by
`code_purpose` from a CodePurpose and a nonce ("signin:<nonce>", "password-reset:<nonce>", ...):
a code only verifies for the purpose it was sent for.

Rules:
- 6 digits, valid 10 minutes, single use; a new code for the same purpose replaces the old one
  and inherits its count of wrong tries (asking again does not buy more guesses);
- at most MAX_WRONG_CODES wrong tries per purpose;
- toll-fraud limits per user and per number (5 in 15 minutes, 10 a day), a 30-second
  cooldown between sends, and a cap on the whole practice's codes an hour
  (policy.sms_hourly_limit);
- only E.164 numbers of the countries the practice allows (policy.sms_regions: countries, not
  calling codes: +1 876 is Jamaica, not the US), and only a mobile for a text (a landline too
  for a call): never a premium-rate, shared-cost, toll-free or other such number;
- Twilio error 21610 (the number replied STOP) gets its own plain message and audit event, and
  counts neither towards the limits nor as a failed attempt.
"""

import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django_otp.util import random_number_token

from phonecodes.models import (
    CODE_VALID_SECONDS,
    RESEND_COOLDOWN_SECONDS,
    PhoneChannel,
    PhoneCode,
    PhoneCodeStatus,
)
from phonecodes.numbers import (
    CALL_TYPES,
    TEXT_TYPES,
    display_number,
    mask_number,
    normalize_phone,
    number_ending,
    number_region,
    number_type,
    region_name,
    type_words,
)
from phonecodes.senders import SendError, SmsMessage, VoiceMessage, send_message, sms_enabled
from practice import ratelimit
from practice.audit import audit_record
from practice.policy import effective_policy
from practice.vocabulary import AuditAction, CodePurpose, CodeRefusal

CODE_DIGITS = 6
MAX_WRONG_CODES = 5
# (window, most codes in it), for each user and for each number.
SEND_LIMITS = ((timedelta(minutes=15), 5), (timedelta(days=1), 10))
# The practice-wide cap (policy.sms_hourly_limit) counts in windows of an hour.
PRACTICE_WINDOW_SECONDS = 60 * 60
# Rows the limits count: an opted-out number was not texted (and cost nothing).
_COUNTED = [PhoneCodeStatus.SENDING, PhoneCodeStatus.SENT, PhoneCodeStatus.FAILED]

OPTED_OUT_MESSAGE = (
    "This number has opted out of text messages. Text START to {sender} from that phone, "
    "then try again, or choose another method."
)
SEND_FAILED_MESSAGE = "We could not send the code. Try again in a minute, or choose another method."
RATE_LIMITED_MESSAGE = (
    "Too many codes were sent to this phone recently. Try again later, or choose another method."
)
COOLDOWN_MESSAGE = "A code was sent a moment ago. You can ask for a new one in {seconds} seconds."
INVALID_NUMBER_MESSAGE = "Enter the phone number with its country code, such as +1 202 555 0143."
PRACTICE_LIMIT_MESSAGE = (
    "Your practice has sent as many text and voice codes as it may in an hour. You can ask for "
    "a new one in {wait}, or choose another method."
)
NUMBER_REFUSED_MESSAGE = "This number is not accepted: {why}. {accepted}"
TEXTS_ACCEPTED = "Text codes can only go to mobile numbers in {places}."
CALLS_ACCEPTED = "Voice codes can only go to mobile or landline numbers in {places}."
NO_COUNTRY_MESSAGE = "Your practice does not allow text or voice codes. Choose another method."


def opted_out_message() -> str:
    """What to do after a STOP, naming the number our texts come from (the one to text)."""
    sender = settings.TWILIO_FROM_NUMBER
    return OPTED_OUT_MESSAGE.format(
        sender=display_number(sender) if sender else "the number our codes come from"
    )


class PhoneCodeError(Exception):
    """A code was not sent. `message` is for the user; `code` says why:

    "invalid_number", "country_not_allowed", "number_type_not_allowed", "cooldown" (see
    `seconds_left`), "rate_limited", "practice_limit", "opted_out", "send_failed".
    """

    def __init__(self, code: str, message: str, *, seconds_left: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.seconds_left = seconds_left


@dataclass(frozen=True)
class SentCode:
    """What was sent: the page says it, and counts down to `expires_at`."""

    channel: str
    number: str
    expires_at: datetime

    @property
    def message(self) -> str:
        return sent_message(self.channel, self.number)


def sent_message(channel: str, number: str) -> str:
    ending = number_ending(number)
    if channel == PhoneChannel.VOICE:
        return f"We are calling your phone ending in {ending} with a code."
    return f"We texted a code to your phone ending in {ending}."


def phone_codes_available() -> bool:
    """Whether this server can text or call at all (SMS_BACKEND is not "none")."""
    return sms_enabled()


def number_check(*, user, number: str, channel: str = PhoneChannel.SMS) -> str:
    """The number in E.164 if codes may be sent to it this way for this user; else PhoneCodeError.

    SECURITY: the country is the number's own (Jamaica's +1 876 is not the US), and its type
    must be a phone's: premium-rate and the like are how toll fraud earns from our codes.
    """
    try:
        normalized = normalize_phone(number)
    except ValidationError:
        normalized = ""
    if not normalized or not number.strip().startswith("+"):
        raise PhoneCodeError("invalid_number", INVALID_NUMBER_MESSAGE)
    allowed = effective_policy(user).sms_regions
    if not allowed:
        raise PhoneCodeError("country_not_allowed", NO_COUNTRY_MESSAGE)
    accepted = (CALLS_ACCEPTED if channel == PhoneChannel.VOICE else TEXTS_ACCEPTED).format(
        places=_places(allowed)
    )
    region = number_region(normalized)
    if region not in allowed:
        why = f"its country is {region_name(region)}" if region else "it has no country"
        raise PhoneCodeError(
            "country_not_allowed", NUMBER_REFUSED_MESSAGE.format(why=why, accepted=accepted)
        )
    kind = number_type(normalized)
    if kind not in (CALL_TYPES if channel == PhoneChannel.VOICE else TEXT_TYPES):
        raise PhoneCodeError(
            "number_type_not_allowed",
            NUMBER_REFUSED_MESSAGE.format(why=f"it is {type_words(kind)}", accepted=accepted),
        )
    return normalized


def _places(regions: tuple[str, ...]) -> str:
    names = ", ".join(region_name(region) for region in regions)
    return f"these countries: {names}" if len(regions) > 1 else f"this country: {names}"


def code_purpose(purpose: CodePurpose, nonce: str | int | None = None) -> str:
    """The purpose a code is bound to: what asked for it and which one ("signin:<nonce>").

    Without a nonce, a fresh random one: the codes of one opening of a page verify for it only.
    """
    if nonce is None:
        nonce = secrets.token_urlsafe(12)
    return f"{CodePurpose(purpose).value}:{nonce}"


def phone_code_send(
    *, user, number: str, channel: str = PhoneChannel.SMS, purpose: str, request=None
) -> SentCode:
    """Send a new code for `purpose` to `number` by text ("sms") or call ("voice").

    Raises PhoneCodeError (with a message for the user) when nothing was sent.
    """
    if channel not in PhoneChannel.values:
        raise ValueError(f"Unknown channel {channel!r}")
    if not purpose or len(purpose) > PhoneCode._meta.get_field("purpose").max_length:
        raise ValueError("purpose must be 1 to 100 characters")
    number = number_check(user=user, number=number, channel=channel)
    code = random_number_token(CODE_DIGITS)
    row = _reserve(
        user=user, number=number, channel=channel, purpose=purpose, code=code, request=request
    )
    if isinstance(row, PhoneCodeError):
        raise row
    try:
        # Sent outside any transaction: no row stays locked while Twilio answers.
        send_message(_message(channel=channel, number=number, code=code))
    except SendError as exc:
        _record_failure(row=row, error=exc, request=request)
        if exc.reason == SendError.OPTED_OUT:
            raise PhoneCodeError("opted_out", opted_out_message()) from exc
        raise PhoneCodeError("send_failed", SEND_FAILED_MESSAGE) from exc
    _record_sent(row=row, request=request)
    return SentCode(channel=channel, number=number, expires_at=row.expires_at)


def phone_code_verify(*, user, purpose: str, code: str, request=None) -> bool:
    """True once for the right, unexpired code of this purpose; a wrong code uses up a try."""
    code = re.sub(r"[\s-]", "", code or "")
    now = timezone.now()
    with transaction.atomic():
        # SECURITY: the row is locked, and used_at is set by a conditional UPDATE, so the same
        # code sent twice at once verifies once.
        row = (
            PhoneCode.objects.select_for_update()
            .filter(
                user=user,
                purpose=purpose,
                status=PhoneCodeStatus.SENT,
                used_at__isnull=True,
                superseded_at__isnull=True,
            )
            .order_by("-created_at", "-id")
            .first()
        )
        if row is None or now >= row.expires_at or row.failed_attempts >= MAX_WRONG_CODES:
            return False
        if not constant_time_compare(row.code_hash, _code_hash(user.pk, purpose, code)):
            PhoneCode.objects.filter(pk=row.pk).update(failed_attempts=F("failed_attempts") + 1)
            return False
        return PhoneCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now) == 1


def _code_hash(user_id: int, purpose: str, code: str) -> str:
    # The salt keeps the name the module had when the first codes were stored.
    return salted_hmac(
        "mfa.phone_code", f"{user_id}:{purpose}:{code}", algorithm="sha256"
    ).hexdigest()


def _message(*, channel: str, number: str, code: str) -> SmsMessage | VoiceMessage:
    if channel == PhoneChannel.VOICE:
        # Read slowly (one digit a sentence) and twice: the listener is writing it down.
        digits = " ".join(f"{digit}." for digit in code)
        return VoiceMessage(
            to=number,
            sentences=(
                "Hello. This is PracticeGate with your verification code.",
                digits,
                "Again, your code is:",
                digits,
                "Goodbye.",
            ),
        )
    return SmsMessage(
        to=number,
        body=(
            f"Your PracticeGate verification code is {code}. It expires in 10 minutes. "
            "Do not share it with anyone."
        ),
    )


def cooldown_refusal(last_sent: datetime | None, *, now: datetime) -> PhoneCodeError | None:
    """The "wait N seconds" refusal while a code sent at `last_sent` is too recent, else None."""
    if last_sent is None:
        return None
    wait = RESEND_COOLDOWN_SECONDS - (now - last_sent).total_seconds()
    if wait <= 0:
        return None
    seconds = math.ceil(wait)
    return PhoneCodeError(
        "cooldown", COOLDOWN_MESSAGE.format(seconds=seconds), seconds_left=seconds
    )


def _reserve(
    *, user, number: str, channel: str, purpose: str, code: str, request
) -> PhoneCode | PhoneCodeError:
    """Check the cooldown and the limits, and record the attempt, as one step per user.

    A refusal is returned, not raised, so that its audit row commits.
    """
    with transaction.atomic():
        # SECURITY: lock the user's row so that parallel requests cannot each pass the limits.
        # (Another user's requests for the same number are not serialised; the per-number limit
        # may then let one or two extra codes through, which the daily limit still bounds.)
        get_user_model().objects.select_for_update().filter(pk=user.pk).values_list(
            "pk", flat=True
        ).get()
        # After the lock: a request that waited for it measures the cooldown from now.
        now = timezone.now()
        last = (
            PhoneCode.objects.filter(user=user)
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        if (refusal := cooldown_refusal(last, now=now)) is not None:
            return refusal
        counted = PhoneCode.objects.filter(status__in=_COUNTED)
        for window, most in SEND_LIMITS:
            since = now - window
            by_user = counted.filter(user=user, created_at__gt=since).count()
            by_number = counted.filter(number=number, created_at__gt=since).count()
            if by_user >= most or by_number >= most:
                _refusal_record(
                    user=user,
                    number=number,
                    channel=channel,
                    reason=CodeRefusal.RATE_LIMITED,
                    request=request,
                )
                return PhoneCodeError("rate_limited", RATE_LIMITED_MESSAGE)
        if refusal := _practice_cap(user=user, number=number, channel=channel, request=request):
            return refusal
        return PhoneCode.objects.create(
            user=user,
            purpose=purpose,
            number=number,
            channel=channel,
            status=PhoneCodeStatus.SENDING,
            code_hash=_code_hash(user.pk, purpose, code),
            created_at=now,
            expires_at=now + timedelta(seconds=CODE_VALID_SECONDS),
        )


def _practice_cap(*, user, number: str, channel: str, request) -> PhoneCodeError | None:
    """Count this code against the whole practice's hour; past the cap, a refusal.

    SECURITY: the limits above are per user and per number. Many users' passwords (or many
    invited users' phone steps) could still send a code each, every 30 seconds: the cap bounds
    what one practice can cost in an hour. Counted in the shared cache, as every other limit
    across users is (practice.ratelimit).
    """
    key = f"phonecodes:practice:{user.practice_id or 'none'}"
    limit = effective_policy(user).sms_hourly_limit
    sent = ratelimit.count(key, window_seconds=PRACTICE_WINDOW_SECONDS)
    if sent <= limit:
        return None
    if sent == limit + 1:
        # Once an hour, not at every refusal: the administrators see in the audit log that the
        # practice reached its cap (and whose code was the first refused).
        _refusal_record(
            user=user,
            number=number,
            channel=channel,
            reason=CodeRefusal.PRACTICE_LIMIT,
            request=request,
            limit=limit,
        )
    wait = ratelimit.wait_words(ratelimit.seconds_left(key))
    return PhoneCodeError("practice_limit", PRACTICE_LIMIT_MESSAGE.format(wait=wait))


def _refusal_record(*, user, number: str, channel: str, reason: str, request, **details) -> None:
    audit_record(
        action=AuditAction.MFA_CODE_REFUSED,
        target=user,
        request=request,
        details={"reason": reason, "channel": channel, "number": mask_number(number), **details},
    )


@transaction.atomic
def _record_sent(*, row: PhoneCode, request) -> None:
    now = timezone.now()
    older = list(
        PhoneCode.objects.select_for_update()
        .filter(
            user_id=row.user_id,
            purpose=row.purpose,
            status=PhoneCodeStatus.SENT,
            used_at__isnull=True,
            superseded_at__isnull=True,
        )
        .exclude(pk=row.pk)
    )
    # A new code does not reset the count of wrong tries for this purpose.
    row.failed_attempts = max([old.failed_attempts for old in older], default=0)
    row.status = PhoneCodeStatus.SENT
    row.save(update_fields=["status", "failed_attempts"])
    PhoneCode.objects.filter(pk__in=[old.pk for old in older]).update(superseded_at=now)
    audit_record(
        action=AuditAction.MFA_CODE_SENT,
        target=row.user,
        request=request,
        details=_audit_details(row),
    )


@transaction.atomic
def _record_failure(*, row: PhoneCode, error: SendError, request) -> None:
    opted_out = error.reason == SendError.OPTED_OUT
    row.status = PhoneCodeStatus.OPTED_OUT if opted_out else PhoneCodeStatus.FAILED
    row.save(update_fields=["status"])
    audit_record(
        action=AuditAction.MFA_CODE_OPTED_OUT if opted_out else AuditAction.MFA_CODE_SEND_FAILED,
        target=row.user,
        request=request,
        details={**_audit_details(row), "provider_code": error.provider_code},
    )


def _audit_details(row: PhoneCode) -> dict:
    # The purpose's prefix (a CodePurpose) says what asked; the rest is a nonce.
    return {
        "channel": row.channel,
        "number": mask_number(row.number),
        "purpose": row.purpose.split(":", 1)[0],
    }
