"""Telling the layers above accounts that a user's access ended, though accounts never imports
them (as the second factor joins the sign-in through settings.SIGNIN_STAGES).

settings.ACCESS_END_HANDLERS names functions; once the change commits, each is called with the
user's id, the ids of the sessions (UserSession) whose access ended, and why. The applications
the user signed in to through those sessions end with them (oidc.endings): their tokens are
revoked and each is sent a logout token.

Two places announce: `sessions_end`, the one service every ending of a session goes through
(signing out, the session guard, deactivation, offboarding, an end date, "Sign out all users",
a password change...), and the end of a remote-access grant, for the user's remote sessions
(which the session guard ends at their next click; their applications end now).
"""

from functools import cache

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from accounts.models import User, UserSession
from practice.vocabulary import SessionEndReason, Zone


@cache
def access_end_handlers() -> tuple:
    return tuple(import_string(path) for path in getattr(settings, "ACCESS_END_HANDLERS", []))


def access_ended_announce(
    *, user_id: int, session_ids: list[int], reason: SessionEndReason
) -> None:
    """Call each handler once the transaction commits (at once outside one). A handler that
    fails is logged and leaves the change and the other handlers alone (robust)."""
    if not session_ids:
        return
    ids = list(session_ids)
    for handler in access_end_handlers():
        transaction.on_commit(
            lambda handler=handler: handler(user_id=user_id, session_ids=ids, reason=reason),
            robust=True,
        )


def remote_access_ended_announce(*, user: User) -> None:
    """The user's remote-access grant ended: their open remote sessions (an emergency declared
    at sign-in aside, which the session guard lets through too) may reach nothing any more."""
    remote = UserSession.objects.filter(
        user=user, ended_at__isnull=True, zone=Zone.REMOTE, emergency_until__isnull=True
    ).values_list("pk", flat=True)
    access_ended_announce(
        user_id=user.pk, session_ids=list(remote), reason=SessionEndReason.REMOTE_ACCESS
    )
