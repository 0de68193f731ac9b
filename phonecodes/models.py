"""One-time codes sent to a phone by text message or voice call."""

from django.conf import settings
from django.db import models
from django.db.models import Q

# How long a code works, and how long a user waits before another is sent.
CODE_VALID_SECONDS = 10 * 60
RESEND_COOLDOWN_SECONDS = 30


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
        # The table was created by the mfa app, before this module moved below it; keeping its
        # name spares existing databases a rename.
        db_table = "mfa_phonecode"
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
