"""Emailing users: security notices about their own account, and the links we send them.

Every email of the product goes out through email_send: plain text rendered from a template,
no line break in a header, and a refused mail server logged (never the body, which may hold a
link) without undoing the change the email reports.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User
from accounts.permissions import may_act_on, users_with_permission
from practice.models import AuditEvent
from practice.vocabulary import ActedOn, AuditAction, Permission

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
    about: User | None = None,
) -> int:
    """Email every active, registered user of the practice who holds `permission` (whoever can
    act on the news: unlock, offboard, run the review); returns how many.

    Registered only: an invitation's address is not yet proven to be the administrator's. News
    `about` one user goes to those who may act on that user (the authority rule), never to the
    user: a locked user manager is not asked to unlock themselves.
    """
    admins = (
        users_with_permission(practice_id, permission)
        .exclude(email="")
        .exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX)
    )
    for left_out in (exclude, about):
        if left_out is not None:
            admins = admins.exclude(pk=left_out.pk)
    if about is not None:
        within = admins.select_related("practice_role")
        admins = [admin for admin in within if may_act_on(admin, about)]
    return sum(
        notice_send(user=admin, subject=subject, template=template, context=context)
        for admin in admins
    )


def who_acted(actor: User) -> str:
    """How a notice names whoever acted: their name and role, or the vendor's support."""
    if actor.practice_id is None:
        return f"PracticeGate support ({actor.get_username()})"
    name = actor.get_full_name() or actor.get_username()
    return f"{name} ({actor.practice_role.name})" if actor.practice_role_id else name


def acted_on_notify(*, user: User, actor: User | None, what: ActedOn, **context) -> None:
    """Tell the user that someone else acted on their sign-in: who, what, when, and to tell the
    practice if it was not expected. Nothing when they acted themselves or nobody did (the
    system).

    SECURITY: an administrator who sets a temporary password and a second factor could sign in
    as the user; the user hears of each at once, so it cannot happen unseen. Sent once the
    change commits: a refused or rolled-back change tells nobody.
    """
    if actor is None or actor.pk == user.pk:
        return
    who = who_acted(actor)
    transaction.on_commit(
        lambda: notice_send(
            user=user,
            subject=f"PracticeGate: {who} {what.label}",
            template="emails/acted_on.txt",
            context={"who": who, "what": what, "when": timezone.now(), **context},
        )
    )


# Either one of these, by one administrator for one user, is everyday desk work; both within a
# day let that administrator sign in as the user (the password and the second factor).
TAKEOVER_PAIR = {
    AuditAction.PASSWORD_TEMPORARY_SET: AuditAction.MFA_DEVICE_SET_UP_IN_PERSON,
    AuditAction.MFA_DEVICE_SET_UP_IN_PERSON: AuditAction.PASSWORD_TEMPORARY_SET,
}
TAKEOVER_WINDOW = timedelta(days=1)


def takeover_watch(*, user: User, actor: User | None, done: AuditAction) -> None:
    """After `done` (one of TAKEOVER_PAIR) by `actor` on `user`: when the same actor did the
    other within a day, the practice's other administrators are told too, once the change
    commits. Support staff set neither, so only people of the practice are watched."""
    if actor is None or actor.pk == user.pk or actor.practice_id is None:
        return
    now = timezone.now()
    if not AuditEvent.objects.filter(
        action=TAKEOVER_PAIR[done],
        actor=actor,
        target=user,
        created_at__gte=now - TAKEOVER_WINDOW,
    ).exists():
        return
    who = who_acted(actor)
    transaction.on_commit(
        lambda: admins_notify(
            practice_id=user.practice_id,
            permission=Permission.MANAGE_ROLES,
            subject=f"PracticeGate: {who} can now sign in as {user}",
            template="emails/takeover_admin.txt",
            context={"who": who, "target": user, "when": now},
            exclude=actor,
        )
    )
