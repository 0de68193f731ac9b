"""A user's signed-in sessions: recorded at sign-in, listed, and ended.

One service ends sessions, whoever asks: the user signing out, the session guard (idle, login
times, locked...), an administrator, a password change or reset, a pairing reset, one session per
user. It marks the sessions ended and writes the audit row in one transaction.
"""

import time
from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import logout, update_session_auth_hash
from django.db import transaction
from django.utils import timezone

from accounts.access_ended import access_ended_announce
from accounts.models import User, UserSession
from accounts.notices import acted_on_notify
from accounts.permissions import authority_check, may_act_on
from practice.audit import audit_record, clean_user_agent
from practice.network import client_ip
from practice.policy import effective_policy
from practice.vocabulary import ActedOn, AuditAction, FactorKind, SessionEndReason, Zone

# Last activity is written at most this often: one UPDATE a minute, not one per request.
ACTIVITY_WRITE_SECONDS = 60


def sessions_open(user: User, *, now=None):
    """The user's sessions that can still be used: not ended, signed in less than the absolute
    limit ago, and used within the practice's idle timeout (plus the minute last activity may
    lag behind). A browser closed without signing out leaves its row open until that browser
    comes back, maybe never: counted by their rows alone, a user's sessions would grow by one
    a day."""
    now = now or timezone.now()
    idle = timedelta(
        minutes=effective_policy(user).idle_timeout_minutes, seconds=ACTIVITY_WRITE_SECONDS
    )
    return UserSession.objects.filter(
        user=user,
        ended_at__isnull=True,
        created_at__gt=now - timedelta(seconds=settings.SESSION_ABSOLUTE_SECONDS),
        last_activity__gt=now - idle,
    )


def _store():
    return import_module(settings.SESSION_ENGINE).SessionStore


# An emergency session (accounts.emergency) ends this long after it began, whatever else allows.
EMERGENCY_HOURS = 4

# The signed-in session's stamp: written right after login() by signin_complete; read by
# SessionGuardMiddleware and by pages that care how this session signed in. A signed-in session
# without it did not come through the pipeline (a login() elsewhere) and is ended by the guard.
AUTH_SESSION_KEY = "_pg_auth"
# Last activity (epoch seconds), refreshed by the middleware at most once a minute.
ACTIVITY_SESSION_KEY = "_pg_seen"


def session_stamp(
    request,
    *,
    zone: Zone,
    second_factor: str = "",
    second_factor_kind: FactorKind | str = "",
    emergency: bool = False,
    ip: str | None = None,
    setup: bool = False,
) -> None:
    """Mark the session as signed in through the pipeline: zone, time, the factor used (its
    device's persistent id, "" for none) and its kind, whether it is an emergency session
    (which the guard ends after EMERGENCY_HOURS), and the client address the zone was decided
    for (the gateway decides again for any other address; None: not known, the zone stands).
    `setup`: let in from outside to set up a practice that has no office network yet
    (accounts.setup_access)."""
    now = time.time()
    request.session[AUTH_SESSION_KEY] = {
        "zone": zone,
        "at": now,
        "second_factor": second_factor,
        "second_factor_kind": second_factor_kind,
        "emergency": emergency,
        "ip": ip,
    }
    if setup:
        request.session[AUTH_SESSION_KEY]["setup"] = True
    request.session[ACTIVITY_SESSION_KEY] = now


def session_zone(request) -> str:
    """The Zone of a signed-in session; "" otherwise."""
    return (request.session.get(AUTH_SESSION_KEY) or {}).get("zone", "")


def session_record(
    *, user: User, request, zone: Zone, emergency_reason: str | None = None
) -> UserSession:
    """Called right after login(): remember this session so it can be listed and ended."""
    now = timezone.now()
    emergency = emergency_reason is not None
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
        emergency_until=now + timedelta(hours=EMERGENCY_HOURS) if emergency else None,
        emergency_reason=emergency_reason or "",
    )


@transaction.atomic
def sessions_end(
    *,
    user: User,
    reason: SessionEndReason,
    actor: User | None = None,
    request=None,
    except_key: str | None = None,
    session_ids: list[int] | None = None,
    current: bool = False,
) -> int:
    """End the user's active sessions (all, all but one, the given ones, or with `current` this
    browser's); returns how many.

    The session data of other browsers is deleted from the store, so their next request is
    signed out; the UserSession row stays, marked with when and why, so that browser can be told
    why. With `current` the audit row is written even when the session was never recorded (a
    session that did not come through the sign-in), and the caller signs this browser out.
    """
    authority_check(actor=actor, user=user)
    sessions = UserSession.objects.select_for_update().filter(user=user, ended_at__isnull=True)
    if current:
        sessions = sessions.filter(session_key=request.session.session_key or "")
    if except_key:
        sessions = sessions.exclude(session_key=except_key)
    if session_ids is not None:
        sessions = sessions.filter(pk__in=session_ids)
    ended = list(sessions)
    if not ended and not current:
        return 0
    if not current:
        store = _store()
        for session in ended:
            store(session_key=session.session_key).delete()
    UserSession.objects.filter(pk__in=[s.pk for s in ended]).update(
        ended_at=timezone.now(), end_reason=reason
    )
    # What the user signed in to through these sessions ends with them, once this commits.
    access_ended_announce(user_id=user.pk, session_ids=[s.pk for s in ended], reason=reason)
    audit_record(
        action=(
            AuditAction.SIGNED_OUT
            if reason == SessionEndReason.SIGNED_OUT
            else AuditAction.SESSIONS_ENDED
        ),
        actor=actor,
        target=user,
        request=request,
        details={"count": len(ended), "reason": reason},
    )
    if reason == SessionEndReason.ADMINISTRATOR and ended:
        acted_on_notify(user=user, actor=actor, what=ActedOn.SESSIONS_ENDED, count=len(ended))
    return len(ended)


def _signed_in(practice, actor: User) -> tuple[list[User], int]:
    """The practice's users with an active session whom `actor` may sign out, and how many
    others are signed in (the authority rule: "Sign out all users" leaves alone whoever holds
    more than the actor)."""
    signed_in = UserSession.objects.filter(user__practice=practice, ended_at__isnull=True)
    users = User.objects.filter(pk__in=signed_in.values("user")).select_related("practice_role")
    within = [user for user in users.order_by("pk") if may_act_on(actor, user)]
    return within, len(users) - len(within)


@dataclass
class SignedIn:
    sessions: int  # what "Sign out all users" would end, the asking browser's aside
    users: int  # of how many users
    held_back: int  # users signed in whom the actor may not sign out


def practice_sessions_signed_in(practice, *, actor: User, except_key: str | None) -> SignedIn:
    """What "Sign out all users" would do for `actor`, asking from the browser of
    `except_key`."""
    users, held_back = _signed_in(practice, actor)
    active = UserSession.objects.filter(user__in=users, ended_at__isnull=True).exclude(
        session_key=except_key or ""
    )
    return SignedIn(
        sessions=active.count(),
        users=active.values("user").distinct().count(),
        held_back=held_back,
    )


@transaction.atomic
def practice_sign_out_everyone(*, practice, actor: User, request) -> int:
    """ "Sign out all users": every active session of the practice's users ends now, the
    acting administrator's other sessions too, all but the browser asking; one audit row per
    user signed out (sessions.ended, reason "administrator"). Returns how many users.

    For a suspected break-in: a password or a computer that may be in other hands. The users
    sign in again as usual (their passwords and second factors are kept).
    """
    signed_out = 0
    for user in _signed_in(practice, actor)[0]:
        signed_out += bool(
            sessions_end(
                user=user,
                reason=SessionEndReason.ADMINISTRATOR,
                actor=actor,
                request=request,
                except_key=request.session.session_key if user.pk == actor.pk else None,
            )
        )
    return signed_out


def session_end_current(
    request, *, reason: SessionEndReason, user: User | None = None, actor: User | None = None
) -> None:
    """End this browser's session: recorded and audited (sessions_end), then signed out."""
    user = user or (request.user if request.user.is_authenticated else None)
    if user is not None:
        sessions_end(user=user, reason=reason, actor=actor, request=request, current=True)
    logout(request)


def session_auth_refresh(request, user: User) -> None:
    """After the signed-in user's own password changed: keep this browser signed in.

    Django's update_session_auth_hash() stores the new hash and rotates the session key; the
    UserSession row follows the key so this session is still listed (and not taken for ended).
    """
    old_key = request.session.session_key
    update_session_auth_hash(request, user)
    _record_follows_key(request, old_key)


def session_key_rotate(request) -> None:
    """The signed-in user proved who they are again (the password typed again): a new session
    key for the same session, so a key copied before the proof is worth nothing after it. The
    old key's data is deleted; the UserSession row follows the new key."""
    old_key = request.session.session_key
    request.session.cycle_key()
    _record_follows_key(request, old_key)


def session_secret_keep(request, key: str, value) -> None:
    """Keep the secret an emailed link brought (a reset, invitation or email-change token) in
    this browser's session, under a new session key.

    SECURITY: the key the browser came with may have been planted (any host under
    SESSION_COOKIE_DOMAIN can set the cookie, and any visitor can get a key). Whoever planted it
    would open the secret's step page with it, and set the password of a reset or an
    invitation; the new key is handed out only in this response.
    """
    session_key_rotate(request)
    request.session[key] = value


def _record_follows_key(request, old_key: str | None) -> None:
    new_key = request.session.session_key
    if old_key and new_key and old_key != new_key:
        UserSession.objects.filter(session_key=old_key, ended_at__isnull=True).update(
            session_key=new_key
        )
