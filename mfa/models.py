"""Our django-otp devices: authenticator apps (our check on django-otp's TOTP table), text and
voice phones, and hashed recovery codes.

Email codes and security keys use the models of django-otp's plugin and django-otp-webauthn;
the codes a phone receives are phonecodes' (the one module that sends and checks them).
"""

import hashlib
import math
import re
import time

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

from phonecodes.codes import (
    COOLDOWN_MESSAGE,
    PhoneCodeError,
    SentCode,
    phone_code_send,
    phone_code_verify,
)
from phonecodes.models import RESEND_COOLDOWN_SECONDS, PhoneChannel
from practice.vocabulary import FactorKind

# Authenticator apps: a code of the previous 30-second step is still accepted (RFC 6238 5.2).
ALLOWED_STEPS_BACK = 1
RECOVERY_CODE_COUNT = 10
# Crockford's base32 alphabet: no I, L, O or U to misread.
RECOVERY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECOVERY_CODE_GROUPS = 3  # XXXX-XXXX-XXXX: 12 characters, 60 random bits
THROTTLE_FIELDS = ["throttling_failure_timestamp", "throttling_failure_count"]


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

    def code_already_used(self, token) -> str:
        """ "app" when `token` is the code of a step this app already used (a replay, refused),
        else "". For the words of the refusal only."""
        token = str(token).strip().replace(" ", "")
        last_t = type(self).objects.filter(pk=self.pk).values_list("last_t", flat=True).first()
        if last_t is None or not (token.isdigit() and len(token) == self.digits):
            return ""
        now_t = (int(time.time()) - self.t0) // self.step
        for t in (now_t, now_t - ALLOWED_STEPS_BACK):
            if t <= last_t and constant_time_compare(
                str(hotp(self.bin_key, t, digits=self.digits)).zfill(self.digits), token
            ):
                return FactorKind.APP
        return ""


class PhoneDevice(TimestampMixin, CooldownMixin, ThrottlingMixin, SideChannelDevice):
    """A mobile number that receives codes by text message or voice call.

    Delivery and the code itself go through phonecodes.codes, which owns the sending
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

    def generate_challenge(self, *, purpose: str, request=None) -> SentCode:
        """Send a new code for `purpose`; raises PhoneCodeError. Returns what was sent."""
        allowed, data = self.generate_is_allowed()
        if not allowed:
            seconds = max(
                1, math.ceil((data["next_generation_at"] - timezone.now()).total_seconds())
            )
            raise PhoneCodeError(
                "cooldown", COOLDOWN_MESSAGE.format(seconds=seconds), seconds_left=seconds
            )
        sent = phone_code_send(
            user=self.user,
            number=self.number,
            channel=self.method,
            purpose=purpose,
            request=request,
        )
        self.challenge_purpose = purpose
        self.valid_until = sent.expires_at
        self.cooldown_set(commit=False)
        self.save(update_fields=["challenge_purpose", "valid_until", "last_generated_timestamp"])
        return sent

    def verify_token(self, token, purpose: str | None = None) -> bool:
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
        return RESEND_COOLDOWN_SECONDS


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

    def code_already_used(self, token) -> str:
        """ "recovery" when `token` is one of these codes, already spent; else "". For the words
        of the refusal only."""
        used = self.codes.filter(code_hash=self.code_hash(str(token)), used_at__isnull=False)
        return FactorKind.RECOVERY if used.exists() else ""

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
