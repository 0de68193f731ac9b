"""Signing a test client in without going through the pages (for tests of other pages).

Produces the same session state as accounts.signin.signin_complete(): login(), the session
stamp read by SessionGuardMiddleware, a UserSession row, and optionally a verified second
factor (django-otp's session key), so request.user.is_verified() is true.
"""

from django.conf import settings
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY

from accounts.models import UserSession
from accounts.sessions import AUTH_SESSION_KEY, session_stamp
from mfa.selectors import factor_kind


class _SessionRequest:
    def __init__(self, session):
        self.session = session


def sign_in(client, user, *, zone: str = "office", device=None, minutes_ago: int = 0) -> None:
    """`minutes_ago`: when the sign-in happened (its password counts as typed recently for five
    minutes, accounts.reauth)."""
    client.force_login(user)
    session = client.session
    session_stamp(
        _SessionRequest(session),
        zone=zone,
        second_factor=device.persistent_id if device else "",
        second_factor_kind=factor_kind(device) if device else "",
    )
    session[AUTH_SESSION_KEY]["at"] -= minutes_ago * 60
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


def signed_in_client(
    user, *, zone: str = "office", user_agent: str = "", device=None, minutes_ago: int = 0
) -> Client:
    """Another browser, signed in as `user` (its own session and UserSession row)."""
    client = Client(HTTP_USER_AGENT=user_agent) if user_agent else Client()
    sign_in(client, user, zone=zone, device=device, minutes_ago=minutes_ago)
    return client


def browser_signed_in(
    context, base_url: str, user, *, zone: str = "office", device=None, minutes_ago: int = 0
) -> None:
    """Sign a Playwright browser context in as `user` through a test client's session."""
    client = signed_in_client(user, zone=zone, device=device, minutes_ago=minutes_ago)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.session.session_key,
                "url": base_url,
            }
        ]
    )
