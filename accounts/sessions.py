"""A user's signed-in sessions: recorded at sign-in, listed, and ended one by one or all."""

from importlib import import_module

from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.db import transaction
from django.utils import timezone

from accounts.models import User, UserSession
from practice.audit import audit_record, clean_user_agent
from practice.network import client_ip


def _store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def session_record(*, user: User, request, zone: str) -> UserSession:
    """Called right after login(): remember this session so it can be listed and ended."""
    now = timezone.now()
    if not request.session.session_key:
        request.session.save()
    return UserSession.objects.create(
        user=user,
        session_key=request.session.session_key,
        ip_address=client_ip(request) or None,
        user_agent=clean_user_agent(request.META.get("HTTP_USER_AGENT", "")),
        zone=zone,
        created_at=now,
        last_activity=now,
    )


@transaction.atomic
def sessions_end(
    *,
    user: User,
    reason: str,
    actor: User | None = None,
    request=None,
    except_key: str | None = None,
    session_ids: list[int] | None = None,
) -> int:
    """End the user's active sessions (all, all but one, or the given ones); returns how many.

    The session data is deleted from the store, so the next request of that browser is
    signed out; the UserSession row stays, marked with when and why, so the browser can be
    told why on its next request.
    """
    sessions = UserSession.objects.select_for_update().filter(user=user, ended_at__isnull=True)
    if except_key:
        sessions = sessions.exclude(session_key=except_key)
    if session_ids is not None:
        sessions = sessions.filter(pk__in=session_ids)
    ended = list(sessions)
    if not ended:
        return 0
    store = _store()
    for session in ended:
        store(session_key=session.session_key).delete()
    UserSession.objects.filter(pk__in=[s.pk for s in ended]).update(
        ended_at=timezone.now(), end_reason=reason
    )
    audit_record(
        action="sessions.ended",
        actor=actor,
        target=user,
        request=request,
        details={"count": len(ended), "reason": reason},
    )
    return len(ended)


def session_auth_refresh(request, user: User) -> None:
    """After the signed-in user's own password changed: keep this browser signed in.

    Django's update_session_auth_hash() stores the new hash and rotates the session key; the
    UserSession row follows the key so this session is still listed (and not taken for ended).
    """
    old_key = request.session.session_key
    update_session_auth_hash(request, user)
    new_key = request.session.session_key
    if old_key and new_key and old_key != new_key:
        UserSession.objects.filter(session_key=old_key, ended_at__isnull=True).update(
            session_key=new_key
        )
