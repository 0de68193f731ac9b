"""Emailing users: security notices about their own account, and the links we send them.

Every email of the product goes out through email_send: plain text rendered from a template,
no line break in a header, and a refused mail server logged (never the body, which may hold a
link) without undoing the change the email reports.
"""

import logging

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.mail import send_mail
from django.template.loader import render_to_string

from accounts.models import User
from accounts.permissions import users_with_permission
from practice.vocabulary import Permission

logger = logging.getLogger(__name__)


def email_send(*, to: str, subject: str, template: str, context: dict) -> bool:
    """Render `template` and email it to `to`; False when the mail server refused it."""
    body = render_to_string(template, context)
    # SECURITY: the subject may hold a practice's name: nothing reaches a header with a newline.
    subject = " ".join(subject.splitlines())
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])
    except OSError:
        logger.exception("Could not send the email %s", template)
        return False
    return True


def notice_send(*, user: User, subject: str, template: str, context: dict | None = None) -> bool:
    """A notice about the user's own account, to their address on file; False without one.

    Notices never contain a secret, code or link that signs anyone in.
    """
    if not user.email:
        return False
    return email_send(
        to=user.email,
        subject=subject,
        template=template,
        context={"user": user, "practice": user.practice, **(context or {})},
    )


def admins_notify(
    *,
    practice_id: int,
    permission: Permission,
    subject: str,
    template: str,
    context: dict,
    exclude: User | None = None,
) -> int:
    """Email every active, registered user of the practice who holds `permission` (whoever can
    act on the news: unlock, offboard, run the review); returns how many.

    Registered only: an invitation's address is not yet proven to be the administrator's.
    """
    admins = (
        users_with_permission(practice_id, permission)
        .exclude(email="")
        .exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX)
    )
    if exclude is not None:
        admins = admins.exclude(pk=exclude.pk)
    return sum(
        notice_send(user=admin, subject=subject, template=template, context=context)
        for admin in admins
    )
