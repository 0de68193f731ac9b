"""Writing the audit log. Call inside the transaction of the change it records.

Each event is also written to the `practice.audit` logger as one JSON object a line, once its
transaction commits: the deployment ships that stream to a log system of its own, where whoever
can change this database cannot change what was recorded (ASVS V16.4.3).
"""

import json
import logging
import unicodedata

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from practice.changes import UNCOUNTED_ACTIONS, practice_changed
from practice.models import AuditEvent
from practice.network import client_ip
from practice.vocabulary import AuditAction

logger = logging.getLogger(__name__)

# Keys the fingerprint of a typed name (see typed_name_details) apart from every other use of
# SECRET_KEY.
TYPED_NAME_SALT = "practicegate.audit.typed-name"
TYPED_NAME_FINGERPRINT_LENGTH = 16  # hex digits: 64 bits, plenty to tell names apart


def typed_name_fingerprint(name: str) -> str:
    """A keyed hash (HMAC-SHA256, key derived from SECRET_KEY) of a name someone typed, as a
    username is compared: NFKC, without surrounding spaces, ignoring case."""
    folded = unicodedata.normalize("NFKC", name).strip().lower()
    digest = salted_hmac(TYPED_NAME_SALT, folded, algorithm="sha256").hexdigest()
    return digest[:TYPED_NAME_FINGERPRINT_LENGTH]


def typed_name_details(name: str) -> dict:
    """How a typed username that matches no user is recorded, in the audit row and so in its
    JSON log line: its length and its fingerprint, never the text.

    SECURITY: people type their password into the username box. Kept as typed, it would sit in
    the audit log and every copy of the log stream, readable by whoever reads those. The
    fingerprint still tells "the same name again" (a typo repeated, one name tried from many
    addresses) and cannot be reversed or tested against guesses without SECRET_KEY (which
    never goes where the logs go); it changes with SECRET_KEY. A name that does match a user is
    recorded as that user, not through this.
    """
    return {"username_length": len(name), "username_fingerprint": typed_name_fingerprint(name)}


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
