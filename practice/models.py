"""The tenant: a practice, its policy, its office networks and providers; and the audit log."""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from practice.validators import (
    normalize_cidr,
    validate_cidr,
    validate_npi,
    validate_regions,
    validate_time_zone,
)
from practice.vocabulary import AuditAction, RoleKind


class TwoFactorPolicy(models.TextChoices):
    NONE = "none", "Not required"
    PROMPT = "prompt", "Prompt to set up at next sign-in"
    REQUIRE = "require", "Require at next sign-in"


class PasswordProfile(models.TextChoices):
    CLASSIC = "classic", "Practice rules (length, four character classes, expiry)"
    NIST = "nist", "NIST 800-63B (long passwords, blocklist, no expiry)"


class PracticeQuerySet(models.QuerySet):
    def by_code(self, text: str) -> "Practice | None":
        """The practice whose code is `text` (any case), or None. Text from a URL or a form that
        cannot be a code (too long, a NUL byte, anything but a slug) finds nothing without a
        query: PostgreSQL refuses a NUL byte in a query outright."""
        code = (text or "").strip().lower()
        if not code or len(code) > 40 or not _SLUG.fullmatch(code):
            return None
        return self.filter(code=code).first()


_SLUG = re.compile(r"[-a-z0-9_]+")


class Practice(models.Model):
    code = models.SlugField(
        "practice code",
        max_length=40,
        unique=True,
        help_text="Short code users type on the sign-in page, e.g. “valley”.",
    )
    name = models.CharField(max_length=200)
    time_zone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_time_zone]
    )

    # Policy. Read it only through practice.policy.effective_policy().
    two_factor_policy = models.CharField(
        "require two-factor authentication",
        max_length=10,
        choices=TwoFactorPolicy.choices,
        default=TwoFactorPolicy.NONE,
    )
    two_factor_office_exempt = models.BooleanField(
        "skip two-factor authentication on office networks", default=False
    )
    allow_self_pairing_reset = models.BooleanField(
        "users may reset their own 2FA pairing", default=True
    )
    sms_regions = models.CharField(
        "countries allowed for text and voice codes",
        max_length=200,
        default="US, CA",
        blank=True,
        validators=[validate_regions],
        help_text="Two-letter country codes, comma-separated, such as US, CA. Not calling codes: "
        "+1 also reaches Jamaica, the Dominican Republic and 21 other countries and territories.",
    )
    sms_hourly_limit = models.PositiveIntegerField(
        "text and voice codes an hour, for the whole practice",
        default=100,
        validators=[MinValueValidator(1)],
        help_text="Beside each user's own limits: past it, codes wait for the next hour.",
    )
    lockout_threshold = models.PositiveSmallIntegerField(
        "lockout threshold", default=5, validators=[MinValueValidator(1)]
    )
    auto_unlock_minutes = models.PositiveIntegerField(
        "auto-unlock (minutes)",
        default=0,
        help_text="0 = only an administrator or a reset unlocks.",
    )
    notify_admins_on_lock = models.BooleanField(
        "email administrators when an account locks", default=True
    )
    idle_timeout_minutes = models.PositiveSmallIntegerField(
        "idle sign-out (minutes)", default=30, validators=[MinValueValidator(1)]
    )
    one_session_per_user = models.BooleanField("one session per user", default=False)
    # Lifecycle (accounts.dormancy, accounts.reviews). 0 turns each off; a new practice is
    # offered 90 days for both (practice.services.practice_create).
    dormant_after_days = models.PositiveSmallIntegerField(
        "deactivate after days without sign-in",
        default=0,
        help_text="0 = never.",
    )
    dormant_includes_admins = models.BooleanField(
        "also deactivate dormant administrators and emergency access accounts", default=False
    )
    dormant_digest_sent_on = models.DateField(null=True, blank=True, editable=False)
    # The last day (in the practice's zone) whose email of support's changes went out, or had
    # nothing to say (accounts.support_digest): each day's is sent once.
    support_digest_sent_for = models.DateField(null=True, blank=True, editable=False)
    access_review_days = models.PositiveSmallIntegerField(
        "access review every (days)", default=0, help_text="0 = no periodic review."
    )
    password_profile = models.CharField(
        max_length=10, choices=PasswordProfile.choices, default=PasswordProfile.CLASSIC
    )
    password_min_length = models.PositiveSmallIntegerField(
        default=8, validators=[MinValueValidator(8)]
    )
    password_history = models.PositiveSmallIntegerField(default=6)
    password_expiry_days = models.PositiveSmallIntegerField(
        "password expiry (days)", default=90, help_text="0 = passwords never expire."
    )
    # A copy of the OfficeNetwork rows' CIDRs, written with them by practice.services, so the
    # gateway's per-request check (accounts.gateway) knows the office without a query.
    office_cidrs = models.JSONField(default=list, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PracticeQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(lockout_threshold__gte=1), name="practice_lockout_gte_1"
            ),
            models.CheckConstraint(
                condition=Q(idle_timeout_minutes__gte=1), name="practice_idle_gte_1"
            ),
            models.CheckConstraint(
                condition=Q(password_min_length__gte=8), name="practice_pw_len_gte_8"
            ),
            models.CheckConstraint(condition=~Q(code=""), name="practice_code_not_empty"),
            models.CheckConstraint(
                condition=Q(sms_hourly_limit__gte=1), name="practice_sms_hourly_limit_gte_1"
            ),
            models.CheckConstraint(
                condition=Q(two_factor_policy__in=TwoFactorPolicy.values),
                name="practice_two_factor_policy_valid",
            ),
            models.CheckConstraint(
                condition=Q(password_profile__in=PasswordProfile.values),
                name="practice_password_profile_valid",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    @property
    def zone(self) -> ZoneInfo:
        """The practice's time zone: every date and time a person reads is in it."""
        return ZoneInfo(self.time_zone)

    def today(self, now: datetime | None = None) -> date:
        """The practice's calendar day at `now` (a last day, an end date, a review's due date)."""
        return (now or timezone.now()).astimezone(self.zone).date()


class OfficeNetwork(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="office_networks")
    cidr = models.CharField("network (CIDR)", max_length=43, validators=[validate_cidr])
    label = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["cidr"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "cidr"], name="office_network_unique"),
        ]

    def __str__(self):
        return self.cidr if not self.label else f"{self.cidr} ({self.label})"

    def clean(self):
        if self.cidr:
            self.cidr = normalize_cidr(self.cidr)


class Provider(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="providers")
    name = models.CharField(max_length=200)
    npi = models.CharField("NPI", max_length=10, validators=[validate_npi])

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "npi"], name="provider_npi_unique"),
            models.CheckConstraint(
                condition=Q(npi__regex=r"^[0-9]{10}$"), name="provider_npi_10_digits"
            ),
        ]

    def __str__(self):
        return f"{self.name} (NPI {self.npi})"


class PracticeRole(models.Model):
    """A security role of a practice: a name and the permissions its users hold.

    Read a user's permissions only through accounts.permissions; change a role only through
    accounts.roles (which keeps the guards: no escalation, someone can always manage roles).
    """

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="roles")
    name = models.CharField("role name", max_length=100)
    # Permission values, sorted. A list rather than a table: a role is read with its user on
    # every console request (one join), and a practice has a handful of roles.
    permissions = models.JSONField(default=list, blank=True)
    # Which of the three starting roles this is (empty for a role the practice added): the
    # command line's --role and the migration from the fixed roles find them by it.
    seeded_as = models.CharField(max_length=20, choices=RoleKind.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "name"], name="role_name_unique"),
            models.UniqueConstraint(
                fields=["practice", "seeded_as"],
                condition=~Q(seeded_as=""),
                name="role_seeded_once",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="role_name_not_empty"),
            models.CheckConstraint(
                condition=Q(seeded_as__in=[*RoleKind.values, ""]), name="role_seeded_as_valid"
            ),
        ]

    def __str__(self):
        return self.name


class AuditEventQuerySet(models.QuerySet):
    """Append-only: the queryset refuses bulk updates and deletes."""

    def update(self, **kwargs):
        raise TypeError("Audit events are append-only.")

    def delete(self):
        raise TypeError("Audit events are append-only.")

    def by_support(self):
        """The events support staff did (their actor belongs to no practice)."""
        return self.filter(actor__isnull=False, actor__practice__isnull=True)


class StoredJSONField(models.JSONField):
    """A JSONField whose read never raises. JSON that Python cannot hold (a number of more than
    4,300 digits, nesting deeper than its recursion limit) comes back as the text stored, as
    Django already answers text that is not JSON: nothing stored may make a page fail."""

    def from_db_value(self, value, expression, connection):
        try:
            return super().from_db_value(value, expression, connection)
        except (ValueError, RecursionError):
            return value

    def deconstruct(self):
        # The column is a JSONField's and so is every migration's view of it: only reading
        # differs, which no migration needs.
        name, _, args, kwargs = super().deconstruct()
        return name, "django.db.models.JSONField", args, kwargs


class AuditEvent(models.Model):
    practice = models.ForeignKey(
        Practice, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    target = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
    )
    # An AuditAction value (audit_record refuses any other). Not a `choices` field, so that a
    # new action is one line in practice.vocabulary and no migration.
    action = models.CharField(max_length=64)
    details = StoredJSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField("client address", null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["practice", "-created_at", "-id"], name="audit_practice_time"),
            models.Index(fields=["target", "-created_at"], name="audit_target_time"),
            models.Index(fields=["practice", "action", "-created_at"], name="audit_action_time"),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args, **kwargs):
        # SECURITY: the audit log is append-only; a saved event is never rewritten.
        if self.pk is not None:
            raise TypeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Audit events are append-only.")

    @property
    def action_label(self) -> str:
        """The action in plain words (the code itself for an action no longer known)."""
        return AuditAction(self.action).label if self.action in AuditAction.values else self.action
