"""OpenID Connect Back-Channel Logout 1.0: telling an application, server to server, that a
user's sign-in to it has ended (django-oauth-toolkit has none; this is ours).

A logout token is a JWT signed like the ID tokens (RS256, the key of the JWKS) with `iss`,
`aud` (the client ID), `iat`, `exp`, `jti`, `sub`, `sid` and the back-channel logout event,
POSTed as `logout_token` to the application's back-channel logout URI. The application answers
200 (or 204) once it has ended its own session.

Each token owed is a LogoutDelivery row, written in the transaction that ended the sign-in, so
none is lost. After the commit a background thread sends them at once and retries the first
failures after a few seconds; later retries, with longer waits
(settings.OIDC_BACKCHANNEL_RETRY_SECONDS), are `manage.py run_scheduled`'s, until one
succeeds or the waits run out. Every attempt is audited. Nobody waits for an application:
not the administrator who deactivated someone, not the user who signed out.

SECURITY: the URI was registered by the practice's administrators (https, or http on a
loopback address); redirects are not followed, the wait is short, and nothing of the answer
but its status is kept. The token carries no secret: it names a user and a session that have
ended.
"""

import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

import requests
from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from jwcrypto import jwt
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.utils import jwk_from_pem

from oidc.claims import subject_of
from oidc.models import LogoutDelivery
from practice.audit import audit_record
from practice.vocabulary import AuditAction

logger = logging.getLogger(__name__)

BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
# How long a logout token is good for: long enough for a slow receiver, short enough that a
# copy of it is soon worth nothing.
TOKEN_SECONDS = 120
# Retries the background thread makes itself (waits up to this long); the rest are the
# scheduled job's.
BACKGROUND_WAIT_SECONDS = 30


def logout_token(*, client_id: str, subject: str, sid: str) -> str:
    """A signed logout token for the application `client_id` (Back-Channel Logout 1.0,
    section 2.4): no `nonce`, the event, and both `sub` and `sid`."""
    key = jwk_from_pem(oauth2_settings.OIDC_RSA_PRIVATE_KEY)
    now = int(time.time())
    claims = {
        "iss": oauth2_settings.OIDC_ISS_ENDPOINT,
        "aud": client_id,
        "iat": now,
        "exp": now + TOKEN_SECONDS,
        "jti": uuid.uuid4().hex,
        "sub": subject,
        "sid": sid,
        "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
    }
    header = {"alg": "RS256", "typ": "logout+jwt", "kid": key.thumbprint()}
    token = jwt.JWT(header=header, claims=claims)
    token.make_signed_token(key)
    return token.serialize()


def _post(uri: str, token: str) -> str:
    """Send one logout token; "" when the application took it, else what went wrong (its
    status, or the kind of network failure: never the token)."""
    try:
        response = requests.post(
            uri,
            data={"logout_token": token},
            timeout=settings.OIDC_BACKCHANNEL_TIMEOUT_SECONDS,
            allow_redirects=False,
            headers={"Cache-Control": "no-store"},
        )
    except requests.RequestException as exc:
        return f"not reached ({type(exc).__name__})"
    if response.status_code in (200, 204):
        return ""
    return f"answered HTTP {response.status_code}"


def _claim(delivery_id: int, now) -> LogoutDelivery | None:
    """Take the delivery for one attempt, if it is due and nobody else has it: its next attempt
    moves past the attempt's longest duration, by a conditional UPDATE only one taker wins."""
    lease = now + timedelta(seconds=settings.OIDC_BACKCHANNEL_TIMEOUT_SECONDS * 3)
    taken = LogoutDelivery.objects.filter(
        pk=delivery_id,
        delivered_at__isnull=True,
        given_up_at__isnull=True,
        next_attempt_at__lte=now,
    ).update(next_attempt_at=lease)
    if not taken:
        return None
    return LogoutDelivery.objects.select_related("application__practice", "user").get(
        pk=delivery_id
    )


@dataclass(frozen=True)
class Attempt:
    tried: bool  # False: not due, or another process had it
    delivered: bool = False
    wait: float | None = None  # seconds until it may be tried again; None: never again


def delivery_attempt(delivery_id: int) -> Attempt:
    """One attempt at a delivery, if it is due and nobody else is trying it."""
    now = timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return Attempt(tried=False)
    application = delivery.application
    token = logout_token(
        client_id=application.client_id, subject=subject_of(delivery.user), sid=delivery.sid
    )
    error = _post(application.backchannel_logout_uri, token)
    attempts = delivery.attempts + 1
    waits = settings.OIDC_BACKCHANNEL_RETRY_SECONDS
    wait = waits[attempts - 1] if error and attempts <= len(waits) else None
    done = timezone.now()
    with transaction.atomic():
        LogoutDelivery.objects.filter(pk=delivery.pk).update(
            attempts=attempts,
            delivered_at=None if error else done,
            given_up_at=done if error and wait is None else None,
            next_attempt_at=done + timedelta(seconds=wait) if wait is not None else None,
            last_error=error[:200],
        )
        details = {"application": application.name, "attempt": attempts}
        if error:
            details.update(error=error, retry=wait is not None)
        audit_record(
            action=AuditAction.APP_LOGOUT_FAILED if error else AuditAction.APP_LOGOUT_SENT,
            target=delivery.user,
            practice=application.practice,
            details=details,
        )
    if error:
        logger.warning(
            "Back-channel logout to application %s failed (attempt %d): %s",
            application.pk,
            attempts,
            error,
        )
    return Attempt(tried=True, delivered=not error, wait=wait)


def _send(delivery_ids: list[int]) -> None:
    """Send each now; try again those that failed, while the wait is short."""
    when = dict.fromkeys(delivery_ids, 0.0)  # delivery -> time.monotonic() to try it at
    while when:
        for delivery_id, at in list(when.items()):
            if at > time.monotonic():
                continue
            del when[delivery_id]
            attempt = delivery_attempt(delivery_id)
            if attempt.wait is not None and attempt.wait <= BACKGROUND_WAIT_SECONDS:
                # A little after the row's own next attempt, so that it is due by then.
                when[delivery_id] = time.monotonic() + attempt.wait + 0.05
        if when:
            time.sleep(max(0.0, min(when.values()) - time.monotonic()))


def _send_in_background(delivery_ids: list[int]) -> None:
    close_old_connections()
    try:
        _send(delivery_ids)
    except Exception:
        # The rows stay due: the scheduled job tries them again.
        logger.exception("Back-channel logouts could not be sent in the background")
    finally:
        connection.close()


def deliveries_send_soon(delivery_ids: list[int]) -> None:
    """Called once the ending commits: a thread of its own sends the logout tokens
    (settings.OIDC_BACKCHANNEL_IN_BACKGROUND; with it off they are sent before this returns,
    which the tests use to see each one arrive)."""
    if getattr(settings, "OIDC_BACKCHANNEL_IN_BACKGROUND", True):
        threading.Thread(
            target=_send_in_background, args=(delivery_ids,), name="oidc-logout", daemon=True
        ).start()
    else:
        _send(delivery_ids)


def deliveries_retry_due(*, now=None) -> str:
    """settings.SCHEDULED_STEPS: each delivery whose next attempt has come, tried once more."""
    now = now or timezone.now()
    due = LogoutDelivery.objects.filter(
        delivered_at__isnull=True, given_up_at__isnull=True, next_attempt_at__lte=now
    ).values_list("pk", flat=True)
    attempts = [delivery_attempt(delivery_id) for delivery_id in list(due)]
    tried = sum(attempt.tried for attempt in attempts)
    delivered = sum(attempt.delivered for attempt in attempts)
    return f"Back-channel sign-outs sent to applications again: {tried} ({delivered} delivered)"
