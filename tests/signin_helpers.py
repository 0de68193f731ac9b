"""Signing a test client in without going through the pages (for tests of other pages).

Produces the same session state as accounts.signin.signin_complete(): login(), the session
stamp read by SessionGuardMiddleware, a UserSession row, and optionally a verified second
factor (django-otp's session key), so request.user.is_verified() is true.
"""

from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY

from accounts.models import UserSession
from accounts.signin import session_stamp


class _SessionRequest:
    def __init__(self, session):
        self.session = session


def sign_in(client, user, *, zone: str = "office", device=None) -> None:
    client.force_login(user)
    session = client.session
    session_stamp(
        _SessionRequest(session), zone=zone, second_factor=device.persistent_id if device else ""
    )
    if device is not None:
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    now = timezone.now()
    UserSession.objects.create(
        user=user,
        session_key=session.session_key,
        ip_address="127.0.0.1",
        zone=zone,
        created_at=now,
        last_activity=now,
    )
