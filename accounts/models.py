"""Users, their previous passwords, their weekly login windows and their sessions."""

from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin, UserManager
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Lower

from accounts.usernames import validate_username
from phonecodes.numbers import validate_e164
from practice.models import Practice, PracticeRole, Provider, TwoFactorPolicy
from practice.vocabulary import ReviewDecision, ReviewItemKind, RoleKind

# The tier a user's role amounts to (User.role); what they may do is their practice_role's.
Role = RoleKind


class TwoFactorSetup(models.TextChoices):
    PRACTICE_DEFAULT = "", "Practice default"
    NONE = TwoFactorPolicy.NONE.value, "Not required"
    PROMPT = TwoFactorPolicy.PROMPT.value, "Prompt to set up at next sign-in"
    REQUIRE = TwoFactorPolicy.REQUIRE.value, "Require at next sign-in"


def remote_access_live_q(now: datetime) -> Q:
    """Users whose remote-access grant holds at `now` (granted, and its end not yet come): the
    queryset's form of User.remote_access_live."""
    return Q(remote_access=True) & (
        Q(remote_access_until__isnull=True) | Q(remote_access_until__gt=now)
    )


class UserQuerySet(models.QuerySet):
    def remote_access_live(self, now: datetime) -> "UserQuerySet":
        return self.filter(remote_access_live_q(now))

    def with_username(self, username: str) -> "UserQuerySet":
        """Users named `username` in any case, compared as the unique constraints compare
        usernames: lower(username) = lower(%s), which their index answers. (`username__iexact`
        compares UPPER() on PostgreSQL, which no index matches: every user of the practice is
        read, 7 ms at 10,000 users on each sign-in.)"""
        return self.alias(username_lower=Lower("username")).filter(
            username_lower=Lower(Value(username))
        )


class PracticeUserManager(UserManager.from_queryset(UserQuerySet)):
    """Support staff (no practice) are made by createsuperuser; practice users by services."""

    def get_by_natural_key(self, username):
        # Used by Django for support staff only (createsuperuser, the admin's own login).
        return self.with_username(username).get(practice__isnull=True)


class User(AbstractBaseUser, PermissionsMixin):
    practice = models.ForeignKey(
        Practice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        help_text="Empty only for support staff.",
    )
    username = models.CharField(max_length=150, validators=[validate_username])
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    email = models.EmailField(blank=True)
    mobile_phone = models.CharField(
        "mobile phone", max_length=16, blank=True, validators=[validate_e164]
    )
    mobile_phone_verified_at = models.DateTimeField(null=True, blank=True)
    other_phone = models.CharField(
        "other phone", max_length=16, blank=True, validators=[validate_e164]
    )
    time_zone = models.CharField(max_length=64, blank=True)
    npi = models.CharField("NPI", max_length=10, blank=True)
    ada_number = models.CharField("ADA number", max_length=20, blank=True)
    specialties = models.CharField(max_length=200, blank=True)
    # What the user may do: the permissions of their role (accounts.permissions reads them).
    practice_role = models.ForeignKey(
        PracticeRole,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name="role",
        help_text="Empty only for support staff.",
    )
    # The tier that role amounts to (administrator: may manage roles; user manager: holds some
    # other console permission; user: none), written with practice_role by accounts.roles, for
    # the list's sort order and the command line. Nothing decides access by it.
    role = models.CharField(
        "role tier", max_length=20, choices=Role.choices, default=Role.USER, editable=False
    )
    provider = models.ForeignKey(
        Provider,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="users",
        verbose_name="user is this provider",
    )

    is_active = models.BooleanField("active", default=True)
    is_staff = models.BooleanField("support staff", default=False)
    date_joined = models.DateTimeField(auto_now_add=True)

    # Remote access (PCC's "Allow remote server access"): needs a linked PM username.
    pm_username = models.CharField("practice management username", max_length=150, blank=True)
    remote_access = models.BooleanField("allow remote access", default=False)
    remote_access_until = models.DateTimeField(null=True, blank=True)
    remote_access_reason = models.CharField(max_length=200, blank=True)

    # Sign-in state.
    failed_logins = models.PositiveIntegerField(default=0)
    locked_at = models.DateTimeField(null=True, blank=True)
    password_changed_at = models.DateTimeField(null=True, blank=True)
    must_change_password = models.BooleanField(default=False)
    temporary_password_expires_at = models.DateTimeField(null=True, blank=True)
    login_times_restricted = models.BooleanField("restrict login times", default=False)
    # The login windows again, as [[weekday, "HH:MM", "HH:MM"], ...]: the per-request session
    # check reads them from the row it loads anyway instead of querying LoginWindow each time.
    # Written only by accounts.login_times.login_windows_set, in the transaction that writes
    # the LoginWindow rows, so the two cannot disagree.
    login_week = models.JSONField(default=list, blank=True, editable=False)

    # Second factor: empty = the practice's default (OfficeEMR's per-user setup option).
    two_factor_setup = models.CharField(
        max_length=10, choices=TwoFactorSetup.choices, default="", blank=True
    )
    verify_phone_at_registration = models.BooleanField(
        "two-step verification at registration", default=False
    )
    # HIPAA 164.312(a)(2)(ii): may declare an emergency when login times or the remote-access
    # rule refuse a sign-in (never skipping the second factor).
    emergency_access = models.BooleanField("emergency access account", default=False)

    # Lifecycle (accounts.lifecycle, accounts.dormancy). From "access ends on" (a day in the
    # practice's zone) the user cannot sign in; access_ended_at says the end has been carried
    # out (sessions ended, remote access removed, audited), once.
    access_ends_on = models.DateField("access ends on", null=True, blank=True)
    access_ended_at = models.DateTimeField(null=True, blank=True, editable=False)
    access_end_notice_on = models.DateField(null=True, blank=True, editable=False)
    dormant_warned_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = PracticeUserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        ordering = ["last_name", "first_name", "username"]
        constraints = [
            models.UniqueConstraint(
                "practice", Lower("username"), name="user_username_ci_unique_in_practice"
            ),
            models.UniqueConstraint(
                Lower("username"),
                condition=Q(practice__isnull=True),
                name="user_username_ci_unique_staff",
            ),
            models.CheckConstraint(
                condition=Q(practice__isnull=False) | Q(is_staff=True),
                name="user_practice_or_staff",
            ),
            models.CheckConstraint(condition=~Q(username=""), name="user_username_not_empty"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="user_role_valid"),
            models.CheckConstraint(
                condition=Q(practice__isnull=True) | Q(practice_role__isnull=False),
                name="user_practice_role_set",
            ),
            models.CheckConstraint(
                condition=Q(remote_access=False) | ~Q(pm_username=""),
                name="user_remote_access_needs_pm_username",
            ),
            models.CheckConstraint(
                condition=Q(two_factor_setup__in=TwoFactorSetup.values),
                name="user_two_factor_setup_valid",
            ),
            # A provider is one person: linked to one user at most (accounts.lifecycle says so
            # in words first).
            models.UniqueConstraint(
                fields=["provider"],
                condition=Q(provider__isnull=False),
                name="user_provider_once",
            ),
        ]
        # The console's list reads one page in one of its sort orders: each has an index that
        # gives it in that order, so the page is read straight off the index however many
        # users the practice has (ordering by username uses the unique index above).
        indexes = [
            models.Index(
                "practice",
                Lower("last_name"),
                Lower("first_name"),
                Lower("username"),
                "id",
                name="user_list_by_name",
            ),
            models.Index(
                "practice",
                "role",
                Lower("last_name"),
                Lower("first_name"),
                "id",
                name="user_list_by_role",
            ),
            # By last sign-in (newest first, never signed in last): made by migration
            # 0006_user_list_indexes, as SQLite cannot put NULLS LAST in an index.
        ]

    def __str__(self):
        return self.get_full_name() or self.username

    def get_full_name(self):
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self):
        return self.first_name or self.username

    @property
    def reading_time_zone(self) -> str:
        """The zone this user reads dates and times in: the one they chose on My Account, else
        the practice's (support staff, of no practice: UTC). The console shows the practice's."""
        return self.time_zone or (self.practice.time_zone if self.practice_id else "UTC")

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None

    def locked_now(self, policy, now: datetime) -> bool:
        """Locked at `now`: locked, and the practice's auto-unlock (`policy`, if it has one) not
        yet due. Pure: the unlock that comes due is accounts.lockout.lock_refresh's to write."""
        if self.locked_at is None:
            return False
        minutes = policy.auto_unlock_minutes
        return not (minutes and now >= self.locked_at + timedelta(minutes=minutes))

    def remote_access_live(self, now: datetime) -> bool:
        """The remote-access grant holds at `now` (remote_access_live_q, for one user). Pure: a
        grant whose end has come is removed by accounts.remote_access."""
        return self.remote_access and (
            self.remote_access_until is None or self.remote_access_until > now
        )

    @property
    def is_registered(self) -> bool:
        """Has set a password (an invited user has not yet)."""
        return self.has_usable_password()


class PasswordHistory(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "password history"

    def __str__(self):
        return f"{self.user} at {self.created_at:%Y-%m-%d}"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class LoginWindow(models.Model):
    """A window of one day, wall-clock in the practice's zone. end < start runs past midnight.

    A day may have several (a split shift); accounts.login_times refuses overlapping ones.
    With login times restricted, a day without a window allows no sign-in that day.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_windows")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["weekday", "start"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "weekday", "start"], name="login_window_start_unique"
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="login_window_weekday"
            ),
            models.CheckConstraint(
                condition=~Q(start=models.F("end")), name="login_window_not_empty"
            ),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class UserSession(models.Model):
    """A signed-in session of a user, so sessions can be listed and ended one by one."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    session_key = models.CharField(max_length=40, unique=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    zone = models.CharField(max_length=10)  # "office" or "remote"
    created_at = models.DateTimeField()
    last_activity = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=40, blank=True)
    # An emergency session (declared at sign-in) ends by this time whatever else allows.
    emergency_until = models.DateTimeField(null=True, blank=True)
    emergency_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-last_activity"]
        indexes = [
            models.Index(fields=["user", "ended_at"], name="user_session_active"),
        ]

    def __str__(self):
        return f"{self.user} {self.zone} since {self.created_at:%Y-%m-%d %H:%M}"


class Invitation(models.Model):
    """An emailed, single-use registration link (MySecurePractice's invitation)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invitations")
    # SECURITY: only a hash of the token is stored; the link itself is shown or sent once.
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(used_at__isnull=True, voided_at__isnull=True),
                name="invitation_one_open_per_user",
            ),
        ]

    def __str__(self):
        return f"Invitation for {self.user} ({self.created_at:%Y-%m-%d})"


class AccessReview(models.Model):
    """A periodic review of who holds remote access or an elevated role (accounts.reviews)."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="access_reviews")
    due_on = models.DateField()
    started_at = models.DateTimeField()
    started_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    finished_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice"],
                condition=Q(finished_at__isnull=True),
                name="access_review_one_open_per_practice",
            ),
        ]

    def __str__(self):
        return f"Access review of {self.practice} due {self.due_on}"

    @property
    def is_open(self) -> bool:
        return self.finished_at is None


class AccessReviewItem(models.Model):
    review = models.ForeignKey(AccessReview, on_delete=models.CASCADE, related_name="items")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=ReviewItemKind.choices)
    # What is reviewed, as it was when the review started: the role, or the remote-access grant
    # (with its end date), and who granted it, from the audit log.
    held = models.CharField(max_length=200)
    granted_by = models.CharField(max_length=200, blank=True)
    last_login = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(
        max_length=10, choices=ReviewDecision.choices, default=ReviewDecision.UNDECIDED, blank=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["kind", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "user", "kind"], name="access_review_item_unique"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ReviewItemKind.values), name="access_review_item_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(decision__in=ReviewDecision.values),
                name="access_review_item_decision_valid",
            ),
        ]

    def __str__(self):
        return f"{self.user} {self.get_kind_display()}: {self.get_decision_display()}"
