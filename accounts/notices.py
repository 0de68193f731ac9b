"""Emailing a user a notice about their own account ("your password was changed").

Security notices go to the user's address on file; they never contain a secret, code or link
that signs anyone in.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from accounts.models import User

logger = logging.getLogger(__name__)


def notice_send(*, user: User, subject: str, template: str, context: dict | None = None) -> bool:
    """Render `template` (plain text) and email it to the user; False when they have no email."""
    if not user.email:
        return False
    body = render_to_string(template, {"user": user, "practice": user.practice, **(context or {})})
    # SECURITY: the subject is ours, but strip line breaks anyway: nothing reaches a header raw.
    subject = " ".join(subject.splitlines())
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    except OSError:
        # A notice must never undo the change it reports (a lock, a password change): log the
        # failure (without the body) and go on.
        logger.exception("Could not email a notice to user %s", user.pk)
        return False
    return True
