"""Writing the audit log. Call inside the transaction of the change it records.

Each event is also written to the `practice.audit` logger as one JSON object a line, once its
transaction commits: the deployment ships that stream to a log system of its own, where whoever
can change this database cannot change what was recorded (ASVS V16.4.3).
"""

import json
import logging

from django.db import transaction
from django.utils import timezone

from practice.changes import UNCOUNTED_ACTIONS, practice_changed
from practice.models import AuditEvent
from practice.network import client_ip
from practice.vocabulary import AuditAction

logger = logging.getLogger(__name__)


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
    event = AuditEvent.objects.create(
        practice=practice,
        actor=actor,
        target=target,
        action=action,
        details=details or {},
        ip_address=ip_address,
        user_agent=user_agent,
        created_at=timezone.now(),
    )
    line = audit_line(event)
    transaction.on_commit(lambda: logger.info("%s", line))
    if practice is not None and action not in UNCOUNTED_ACTIONS:
        practice_id = practice.pk
        transaction.on_commit(lambda: practice_changed(practice_id))
    return event


def audit_line(event: AuditEvent) -> str:
    """The event as one line of JSON (control characters escaped, times in UTC)."""
    return json.dumps(
        {
            "id": event.pk,
            "time": event.created_at.isoformat(),
            "practice": event.practice.code if event.practice is not None else None,
            "action": event.action,
            "actor": event.actor.username if event.actor is not None else None,
            "actor_id": event.actor_id,
            "target": event.target.username if event.target is not None else None,
            "target_id": event.target_id,
            "client_address": event.ip_address,
            "user_agent": event.user_agent,
            "details": event.details,
        },
        sort_keys=True,
        default=str,
    )
