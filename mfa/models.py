"""Second-factor data of our own: one-time phone codes, and (below) our django-otp devices.

Authenticator apps, email codes and security keys use the models of django-otp's plugins and
django-otp-webauthn; text/voice devices and hashed recovery codes are ours.
"""

import hashlib
import math
import re
import time
from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django_otp.models import (
    CooldownMixin,
    Device,
    SideChannelDevice,
    ThrottlingMixin,
    TimestampMixin,
)
from django_otp.oath import hotp
from django_otp.plugins.otp_totp.models import TOTPDevice

# Authenticator apps: a code of the previous 30-second step is still accepted (RFC 6238 5.2).
ALLOWED_STEPS_BACK = 1
# Text/voice codes (mfa.phone_verification uses these too).
PHONE_CODE_VALID_SECONDS = 10 * 60
PHONE_RESEND_COOLDOWN_SECONDS = 30
RECOVERY_CODE_COUNT = 10
# Crockford's base32 alphabet: no I, L, O or U to misread.
RECOVERY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECOVERY_CODE_GROUPS = 3  # XXXX-XXXX-XXXX: 12 characters, 60 random bits
THROTTLE_FIELDS = ["throttling_failure_timestamp", "throttling_failure_count"]


class PhoneChannel(models.TextChoices):
    SMS = "sms", "Text message"
    VOICE = "voice", "Voice call"


class PhoneCodeStatus(models.TextChoices):
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Could not send"
    OPTED_OUT = "opted_out", "Number opted out"


class PhoneCode(models.Model):
    """One code sent (or tried) by text or voice: the code store and the sending log at once.

    SECURITY: only an HMAC of the code is kept. A code is bound to its `purpose` (which names the
    sign-in or page that asked for it), is single use, and a newer code for the same purpose
    supersedes it. The rows of the last day are also what the sending limits count.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="phone_codes"
    )
    purpose = models.CharField(max_length=100)
    number = models.CharField(max_length=16)
    channel = models.CharField(max_length=5, choices=PhoneChannel.choices)
    status = models.CharField(
        max_length=10, choices=PhoneCodeStatus.choices, default=PhoneCodeStatus.SENDING
    )
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "purpose", "-created_at"], name="phone_code_user_purpose"),
            models.Index(fields=["user", "-created_at"], name="phone_code_user_time"),
            models.Index(fields=["number", "-created_at"], name="phone_code_number_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=PhoneChannel.values), name="phone_code_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=PhoneCodeStatus.values), name="phone_code_status_valid"
            ),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} code for {self.user_id} ({self.status})"


class AuthenticatorApp(TOTPDevice):
    """An authenticator app (RFC 6238 TOTP): django-otp's TOTPDevice table, our check.

    30-second steps and 6 digits, as every phone app expects. A code is accepted for its own
    step and for the step before (typed as the step ended), never for a future step, and each
    step once: django-otp's own check accepts a step ahead and moves the window with `drift`.
    """

    class Meta:
        proxy = True
        verbose_name = "authenticator app"

    def verify_token(self, token):
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        token = str(token).strip().replace(" ", "")
        now_t = (int(time.time()) - self.t0) // self.step
        matched = None
        if token.isdigit() and len(token) == self.digits:
            for t in (now_t, now_t - ALLOWED_STEPS_BACK):
                # SECURITY: a step at or before the last accepted one is a replay.
                if t > self.last_t and constant_time_compare(
                    str(hotp(self.bin_key, t, digits=self.digits)).zfill(self.digits), token
                ):
                    matched = t
                    break
        if matched is None:
            self.throttle_increment(commit=True)
            return False
        self.last_t = matched
        self.throttle_reset(commit=False)
        self.set_last_used_timestamp(commit=False)
        self.save(update_fields=["last_t", *THROTTLE_FIELDS, "last_used_at"])
        return True


class PhoneDevice(TimestampMixin, CooldownMixin, ThrottlingMixin, SideChannelDevice):
    """A mobile number that receives codes by text message or voice call.

    Delivery and the code itself go through mfa.phone_verification, which owns the sending
    limits, the opt-out handling and the hashed, purpose-bound code: SideChannelDevice's
    plaintext `token` stays empty, and `valid_until` tells the page how long the code lasts.
    `challenge_purpose` remembers which sign-in (or enrollment) the last code was sent for.
    """

    number = models.CharField(max_length=16)
    method = models.CharField(max_length=5, choices=PhoneChannel.choices, default=PhoneChannel.SMS)
    challenge_purpose = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name = "text or voice phone"
        constraints = [
            models.CheckConstraint(
                condition=Q(method__in=PhoneChannel.values), name="phone_device_method_valid"
            ),
        ]

    def generate_challenge(self, *, purpose: str, request=None) -> str:
        """Send a new code for `purpose`; raises PhoneCodeError. Returns what was done."""
        from mfa.phone_verification import (
            COOLDOWN_MESSAGE,
            PhoneCodeError,
            mask_number,
            phone_code_send,
        )

        allowed, data = self.generate_is_allowed()
        if not allowed:
            seconds = max(
                1, math.ceil((data["next_generation_at"] - timezone.now()).total_seconds())
            )
            raise PhoneCodeError(
                "cooldown", COOLDOWN_MESSAGE.format(seconds=seconds), seconds_left=seconds
            )
        phone_code_send(
            user=self.user,
            number=self.number,
            channel=self.method,
            purpose=purpose,
            request=request,
        )
        self.challenge_purpose = purpose
        self.valid_until = timezone.now() + timedelta(seconds=PHONE_CODE_VALID_SECONDS)
        self.cooldown_set(commit=False)
        self.save(update_fields=["challenge_purpose", "valid_until", "last_generated_timestamp"])
        verb = "called" if self.method == PhoneChannel.VOICE else "texted"
        return f"We {verb} a code to {mask_number(self.number)}."

    def verify_token(self, token, purpose: str | None = None) -> bool:
        from mfa.phone_verification import phone_code_verify

        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        purpose = self.challenge_purpose if purpose is None else purpose
        if not purpose or not phone_code_verify(user=self.user, purpose=purpose, code=str(token)):
            self.throttle_increment(commit=True)
            return False
        self.throttle_reset(commit=False)
        self.cooldown_reset(commit=False)
        self.set_last_used_timestamp(commit=False)
        self.challenge_purpose = ""
        self.save(
            update_fields=[
                *THROTTLE_FIELDS,
                "last_generated_timestamp",
                "last_used_at",
                "challenge_purpose",
            ]
        )
        return True

    def get_throttle_factor(self):
        return getattr(settings, "OTP_PHONE_THROTTLE_FACTOR", 1)

    def get_cooldown_duration(self):
        return PHONE_RESEND_COOLDOWN_SECONDS


class RecoveryCodeDevice(TimestampMixin, ThrottlingMixin, Device):
    """A user's set of single-use recovery codes (for a lost phone or key).

    SECURITY: unlike django-otp's StaticToken, codes are stored hashed. Each carries 60 random
    bits, so a salted SHA-256 (fast, unlike a password hash) is enough to make a stolen
    database useless; the salt is per set.
    """

    salt = models.CharField(max_length=32)

    class Meta:
        verbose_name = "recovery codes"
        verbose_name_plural = "recovery codes"

    def verify_token(self, token) -> bool:
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        digest = self.code_hash(str(token))
        with transaction.atomic():
            # SECURITY: the conditional UPDATE lets one of two simultaneous uses win.
            used = (
                self.codes.filter(code_hash=digest, used_at__isnull=True).update(
                    used_at=timezone.now()
                )
                == 1
            )
        if not used:
            self.throttle_increment(commit=True)
            return False
        self.throttle_reset(commit=False)
        self.set_last_used_timestamp(commit=False)
        self.save(update_fields=[*THROTTLE_FIELDS, "last_used_at"])
        return True

    def code_hash(self, code: str) -> str:
        normalized = re.sub(r"[^0-9A-Z]", "", code.upper())
        return hashlib.sha256(f"{self.salt}:{normalized}".encode()).hexdigest()

    def get_throttle_factor(self):
        return getattr(settings, "OTP_RECOVERY_THROTTLE_FACTOR", 1)

    @property
    def codes_left(self) -> int:
        return self.codes.filter(used_at__isnull=True).count()


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["device", "code_hash"], name="recovery_code_unique"),
        ]

    def __str__(self):
        return f"Recovery code {self.pk} ({'used' if self.used_at else 'unused'})"
