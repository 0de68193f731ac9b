"""The console's page of one user: recent events, active sessions, registration, second factors."""

from django.utils import timezone

from accounts.models import Invitation, User, UserSession
from accounts.sessions import sessions_open
from mfa.selectors import second_factor_kinds
from practice.audit_words import actor_words, event_describe
from practice.console.selectors.statuses import Badge, registration_status, second_factor_text
from practice.models import AuditEvent


def user_recent_events(user: User, limit: int = 20) -> list[AuditEvent]:
    """The user's last events, each with its `description` in the audit log's words."""
    events = list(
        AuditEvent.objects.filter(practice_id=user.practice_id, target=user)
        .select_related("actor")
        .order_by("-created_at", "-id")[:limit]
    )
    for event in events:
        event.description = event_describe(event, time_zone=user.practice.time_zone)
        event.by = actor_words(event.actor)
    return events


def user_active_sessions(user: User) -> list[UserSession]:
    return list(sessions_open(user))


def user_registration(user: User) -> Badge:
    """registration_status() for one user, looking up their open invitation."""
    user.has_open_invitation = Invitation.objects.filter(
        user=user, used_at__isnull=True, voided_at__isnull=True, expires_at__gt=timezone.now()
    ).exists()
    return registration_status(user)


def user_second_factor(user: User) -> str:
    return second_factor_text(second_factor_kinds([user.pk]).get(user.pk, []))
