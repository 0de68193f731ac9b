"""What the console says about a user's state, as badges; and the conditions the list filters on.

Shared by the user list (a row per user) and the user page (one user), so both say the same.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.access_end import SHOW_DAYS, access_days_left
from accounts.models import Invitation, User
from practice.days import last_day
from practice.policy import EXPIRY_WARNING_DAYS, Policy


def open_invitation_exists() -> Exists:
    return Exists(
        Invitation.objects.filter(
            user_id=OuterRef("pk"),
            used_at__isnull=True,
            voided_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
    )


@dataclass(frozen=True)
class Badge:
    text: str
    tone: str = ""  # "", "ok", "warn", "danger": a CSS modifier


def remote_access_badge(user: User, now: datetime) -> Badge | None:
    if not user.remote_access:
        return None
    if user.remote_access_until is None:
        return Badge("remote access", "ok")
    if user.remote_access_until <= now:
        return Badge("remote access ended", "warn")
    # "until" is the moment access ends: midnight after the last allowed day.
    day = last_day(user.remote_access_until, user.practice.zone)
    return Badge(f"remote access until {day:%b %-d, %Y}", "ok")


def registration_status(user: User) -> Badge:
    if not user.has_usable_password():
        if getattr(user, "has_open_invitation", False):
            return Badge("invited", "warn")
        if user.password_changed_at is not None and not user.is_active:
            # Registered once, then closed: offboarding removes the password (only it does).
            return Badge("offboarded")
        return Badge("invitation expired", "danger")
    if user.verify_phone_at_registration and user.mobile_phone_verified_at is None:
        return Badge("phone not verified", "warn")
    return Badge("registered", "ok")


def password_status(user: User, policy: Policy, now: datetime) -> Badge:
    if not user.has_usable_password():
        return Badge("not set")
    if user.must_change_password:
        expires = user.temporary_password_expires_at
        if expires is not None and expires <= now:
            return Badge("temporary, expired", "danger")
        return Badge("temporary", "warn")
    if policy.password_expiry_days and user.password_changed_at:
        expires = user.password_changed_at + timedelta(days=policy.password_expiry_days)
        if expires <= now:
            return Badge("expired", "danger")
        days_left = math.ceil((expires - now) / timedelta(days=1))
        if days_left <= EXPIRY_WARNING_DAYS:
            unit = "day" if days_left == 1 else "days"
            return Badge(f"expires in {days_left} {unit}", "warn")
    return Badge("current", "ok")


def user_status(user: User, now: datetime) -> list[Badge]:
    badges = [Badge("active", "ok") if user.is_active else Badge("inactive", "danger")]
    if user.is_locked:
        badges.append(Badge("locked", "danger"))
    remote = remote_access_badge(user, now)
    if remote is not None:
        badges.append(remote)
    ends = access_end_badge(user, now)
    if ends is not None:
        badges.append(ends)
    return badges


def access_end_badge(user: User, now: datetime) -> Badge | None:
    """ "access ended", or "ends in N days" in the last SHOW_DAYS days before the end date (not
    for an inactive account, whose access has ended already)."""
    days = access_days_left(user, now)
    if days is None or days > SHOW_DAYS or (days > 0 and not user.is_active):
        return None
    if days <= 0:
        return Badge("access ended", "danger")
    return Badge(f"ends in {days} day{'' if days == 1 else 's'}", "warn")


def second_factor_text(kinds: list[str]) -> str:
    return ", ".join(kinds) if kinds else "none"
