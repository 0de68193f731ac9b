"""Whether a signed-in user may sign in to one of the practice's applications now, and the
record (and audit event) of each sign-in and refusal.

One rule with the gateway: accounts.gateway.access_refusal decides inactive, locked, login
times, the remote-access rule and the second factor, for the zone of this request
(accounts.gateway.request_zone), exactly as `/auth/verify` does. On top of it, what only an
application has: it belongs to one practice, and it may ask for a second factor everywhere.
The same rule is asked again at each refresh and userinfo call (oidc.validator), with the zone
and factors the sign-in had.
"""

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.access_end import access_has_ended
from accounts.gateway import access_refusal, request_zone
from accounts.models import User, UserSession
from accounts.sessions import AUTH_SESSION_KEY
from oidc.claims import amr_of
from oidc.models import Application, ApplicationSignIn
from practice.audit import audit_record
from practice.network import client_ip
from practice.vocabulary import ApplicationRefusal, AuditAction, GatewayRefusal

# The gateway's words for the reasons both share.
FROM_GATEWAY = {
    GatewayRefusal.REMOTE_ACCESS: ApplicationRefusal.REMOTE_ACCESS,
    GatewayRefusal.LOGIN_TIMES: ApplicationRefusal.LOGIN_TIMES,
    GatewayRefusal.LOCKED: ApplicationRefusal.LOCKED,
    GatewayRefusal.INACTIVE: ApplicationRefusal.INACTIVE,
    GatewayRefusal.SECOND_FACTOR: ApplicationRefusal.SECOND_FACTOR,
}


@dataclass(frozen=True)
class SessionFacts:
    """What the request's PracticeGate session says about how it signed in."""

    zone: str
    second_factor: str  # the device's persistent id, "" for none
    second_factor_kind: str  # its FactorKind
    emergency: bool
    auth_time: datetime


def session_facts(request, user: User) -> SessionFacts:
    stamp = request.session.get(AUTH_SESSION_KEY) or {}
    at = stamp.get("at")
    return SessionFacts(
        zone=request_zone(user, stamp, client_ip(request)),
        second_factor=stamp.get("second_factor", ""),
        second_factor_kind=stamp.get("second_factor_kind", ""),
        emergency=bool(stamp.get("emergency")),
        auth_time=datetime.fromtimestamp(at, tz=UTC) if at else timezone.now(),
    )


def refusal_for(
    user: User,
    application: Application,
    *,
    zone: str,
    second_factor: bool,
    emergency: bool,
    now: datetime | None = None,
) -> ApplicationRefusal | None:
    """Why `user` may not use `application` now, from `zone`; None when they may. Reads only
    the user's, the practice's and the application's rows."""
    if user.practice_id is None or user.practice_id != application.practice_id:
        return ApplicationRefusal.OTHER_PRACTICE
    # The session guard ends a session whose end date has come; a token outlives the session.
    if access_has_ended(user):
        return ApplicationRefusal.ACCESS_ENDED
    refused = access_refusal(
        user, zone=zone, second_factor=second_factor, emergency=emergency, now=now
    )
    if refused is not None:
        return FROM_GATEWAY.get(refused, ApplicationRefusal.INACTIVE)
    if application.always_second_factor and not second_factor:
        return ApplicationRefusal.SECOND_FACTOR
    return None


def signin_refusal(request, user: User, application: Application) -> ApplicationRefusal | None:
    """refusal_for the browser's own session, at the authorize endpoint."""
    facts = session_facts(request, user)
    return refusal_for(
        user,
        application,
        zone=facts.zone,
        second_factor=bool(facts.second_factor),
        emergency=facts.emergency,
    )


def session_id_of(request) -> UserSession | None:
    key = request.session.session_key
    if not key:
        return None
    return UserSession.objects.filter(session_key=key, ended_at__isnull=True).first()


def sid_of(session: UserSession | None) -> str:
    """The `sid` the applications are told: the PracticeGate session, opaque (derived from its
    row, never its session key, which signs a browser in)."""
    if session is None:
        # A session that did not come through the sign-in (the session guard ends those).
        return secrets.token_hex(16)
    return salted_hmac("oidc.sid", str(session.pk)).hexdigest()[:32]


@transaction.atomic
def application_signin_record(
    *, user: User, application: Application, request
) -> ApplicationSignIn:
    """The user signs in to the application (a code is about to be issued): recorded with the
    session it came from, and audited ("Signed in to <application>")."""
    facts = session_facts(request, user)
    session = session_id_of(request)
    signin = ApplicationSignIn.objects.create(
        application=application,
        user=user,
        session=session,
        sid=sid_of(session),
        zone=facts.zone,
        amr=amr_of(second_factor=facts.second_factor, kind=facts.second_factor_kind),
        emergency=facts.emergency,
        auth_time=facts.auth_time,
        created_at=timezone.now(),
    )
    details = {"application": application.name, "zone": facts.zone}
    if facts.second_factor:
        details["second_factor"] = facts.second_factor_kind
    audit_record(
        action=AuditAction.APP_SIGNED_IN,
        actor=user,
        target=user,
        practice=application.practice,
        request=request,
        details=details,
    )
    return signin


def application_refusal_record(
    *, user: User, application: Application, reason: ApplicationRefusal, request=None
) -> None:
    """A signed-in user was refused the application: audited with why ("Sign-in to
    <application> refused: ...")."""
    # The application's practice sees who was refused, except a user of another practice:
    # that is told to the user's own practice, so no practice learns another's users.
    other = reason == ApplicationRefusal.OTHER_PRACTICE
    audit_record(
        action=AuditAction.APP_REFUSED,
        actor=user,
        target=user,
        practice=user.practice if other else application.practice,
        request=request,
        details={"application": application.name, "reason": reason},
    )
