"""Offboarding: someone leaves the practice, and every way they had in closes at once.

One confirmation lists exactly what will happen (offboard_plan); "Confirm offboarding" does all
of it in one transaction, an audit row per effect (user_offboard), and emails the user's address
a notice. The user stays in the database, inactive, for the audit trail; their provider link is
kept. It lives in mfa, beside devices_remove_all, because it uses both accounts and mfa.
"""

from dataclasses import dataclass, field

from django.db import transaction

from accounts.invitations import invitations_void
from accounts.lifecycle import locked_row, refuse_self, user_deactivate
from accounts.models import Invitation, User
from accounts.notices import notice_send
from accounts.passwords import password_clear
from accounts.permissions import authority_check
from mfa.pairing import devices_remove_all
from mfa.selectors import user_factors
from practice.audit import audit_record
from practice.vocabulary import AuditAction, DeactivationReason


@dataclass
class OffboardPlan:
    """What offboarding this user will do (the confirmation page says each in plain words)."""

    active: bool
    sessions: int
    remote_access: bool
    second_factors: list[str] = field(default_factory=list)
    invitations: int = 0
    reset_links: bool = False
    provider: str = ""


def offboard_plan(user: User) -> OffboardPlan:
    return OffboardPlan(
        active=user.is_active,
        sessions=user.sessions.filter(ended_at__isnull=True).count(),
        remote_access=user.remote_access,
        second_factors=[factor.name for factor in user_factors(user, include_fallbacks=True)],
        invitations=Invitation.objects.filter(
            user=user, used_at__isnull=True, voided_at__isnull=True
        ).count(),
        reset_links=user.has_usable_password(),
        provider=user.provider.name if user.provider_id else "",
    )


def user_offboard(*, user: User, actor: User, request=None) -> OffboardPlan:
    """Deactivate (sessions end, remote access goes), remove every second factor, void open
    invitations and reset links; then tell the user. Returns what was done."""
    refuse_self(user, actor, "offboard")
    authority_check(actor=actor, user=user)
    with transaction.atomic():
        user = locked_row(user)
        done = offboard_plan(user)
        user_deactivate(user=user, actor=actor, request=request, why=DeactivationReason.OFFBOARDED)
        devices_remove_all(user=user, actor=actor, request=request)
        invitations_void(user=user, actor=actor, request=request)
        password_clear(user=user, actor=actor, request=request)
        audit_record(
            action=AuditAction.USER_OFFBOARDED,
            actor=actor,
            target=user,
            request=request,
            details={
                "sessions": done.sessions,
                "remote_access": done.remote_access,
                "second_factors": len(done.second_factors),
                "invitations": done.invitations,
                "reset_links": done.reset_links,
                "provider_kept": done.provider,
            },
        )
    notice_send(
        user=user,
        subject=f"PracticeGate: your access to {user.practice.name} has ended",
        template="emails/offboarded.txt",
    )
    return done
