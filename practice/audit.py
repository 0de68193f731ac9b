"""Writing the audit log. Call inside the transaction of the change it records."""

from django.utils import timezone

from practice.models import AuditEvent
from practice.network import client_ip
from practice.vocabulary import AuditAction


def clean_user_agent(value: str) -> str:
    # CR/LF and other control characters never reach the log raw.
    return "".join(ch if ch.isprintable() else " " for ch in value)[:300]


def audit_record(
    *,
    action: AuditAction,
    actor=None,
    target=None,
    practice=None,
    request=None,
    details: dict | None = None,
) -> AuditEvent:
    """Append one event. The practice defaults to the target's, then the actor's."""
    if action not in AuditAction.values:
        # A programming error: a new action is added to AuditAction first, so the console's
        # filter and labels know it.
        raise ValueError(f"Unknown audit action {action!r}; add it to AuditAction.")
    if practice is None:
        practice = getattr(target, "practice", None) or getattr(actor, "practice", None)
    ip_address = None
    user_agent = ""
    if request is not None:
        ip_address = client_ip(request) or None
        user_agent = clean_user_agent(request.META.get("HTTP_USER_AGENT", ""))
    if actor is not None and not getattr(actor, "is_authenticated", True):
        actor = None
    return AuditEvent.objects.create(
        practice=practice,
        actor=actor,
        target=target,
        action=action,
        details=details or {},
        ip_address=ip_address,
        user_agent=user_agent,
        created_at=timezone.now(),
    )
