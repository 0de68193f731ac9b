"""The effective policy for a user: the one place that reads a practice's policy fields.

Everything else asks `effective_policy(user)` (or `practice_policy(practice)` where there is no
user yet), so a profile such as NIST 800-63B changes the rules in one place.
"""

from dataclasses import dataclass

from practice.models import PasswordProfile, Practice, TwoFactorPolicy
from practice.validators import split_regions
from practice.vocabulary import Zone

NIST_MIN_LENGTH_WITHOUT_SECOND_FACTOR = 15
TEMPORARY_PASSWORD_HOURS = 72
EXPIRY_WARNING_DAYS = 14


@dataclass(frozen=True)
class Policy:
    password_profile: str
    password_min_length: int
    password_require_classes: bool
    password_history: int
    password_expiry_days: int  # 0 = never
    password_blocklist: bool
    lockout_threshold: int
    auto_unlock_minutes: int  # 0 = off
    notify_admins_on_lock: bool
    idle_timeout_minutes: int
    one_session_per_user: bool
    two_factor: str  # TwoFactorPolicy value, after the user's override
    two_factor_office_exempt: bool
    allow_self_pairing_reset: bool
    sms_regions: tuple[str, ...]  # two-letter country codes: "US", "CA"
    sms_hourly_limit: int  # text and voice codes an hour, the whole practice's
    time_zone: str
    temporary_password_hours: int = TEMPORARY_PASSWORD_HOURS

    @property
    def two_factor_required(self) -> bool:
        return self.two_factor == TwoFactorPolicy.REQUIRE

    def second_factor_required(self, zone: str) -> bool:
        """Must a sign-in from `zone` pass a second factor, whatever the user has set up?

        The one answer for the second-factor stage and for signin_complete: always from
        outside the office; in the office when the policy requires it, unless the practice
        exempts its office networks. (A user who has a factor is asked for it too, where it is
        not exempt; that is the stage's business.)
        """
        if zone == Zone.OFFICE:
            return self.two_factor_required and not self.two_factor_office_exempt
        return True


def practice_policy(practice: Practice, *, two_factor_override: str = "") -> Policy:
    nist = practice.password_profile == PasswordProfile.NIST
    two_factor = two_factor_override or practice.two_factor_policy
    min_length = practice.password_min_length
    if nist:
        # 800-63B: 15 characters wherever a password alone can sign in; 8 only when every
        # sign-in needs a second factor (required, and no office exemption).
        always_second_factor = (
            two_factor == TwoFactorPolicy.REQUIRE and not practice.two_factor_office_exempt
        )
        min_length = max(
            min_length, 8 if always_second_factor else NIST_MIN_LENGTH_WITHOUT_SECOND_FACTOR
        )
    return Policy(
        password_profile=practice.password_profile,
        password_min_length=min_length,
        password_require_classes=not nist,
        password_history=practice.password_history,
        password_expiry_days=0 if nist else practice.password_expiry_days,
        password_blocklist=True,
        lockout_threshold=practice.lockout_threshold,
        auto_unlock_minutes=practice.auto_unlock_minutes,
        notify_admins_on_lock=practice.notify_admins_on_lock,
        idle_timeout_minutes=practice.idle_timeout_minutes,
        one_session_per_user=practice.one_session_per_user,
        two_factor=two_factor,
        two_factor_office_exempt=practice.two_factor_office_exempt,
        allow_self_pairing_reset=practice.allow_self_pairing_reset,
        sms_regions=tuple(split_regions(practice.sms_regions)),
        sms_hourly_limit=practice.sms_hourly_limit,
        time_zone=practice.time_zone,
    )


def effective_policy(user) -> Policy:
    """The rules that apply to this user: the practice's, with the user's 2FA override.

    Support staff belong to no practice: they get the defaults, with a second factor required.
    """
    if user.practice_id is None:
        return practice_policy(Practice(), two_factor_override=TwoFactorPolicy.REQUIRE)
    return practice_policy(user.practice, two_factor_override=user.two_factor_setup)
