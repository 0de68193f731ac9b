"""Recent re-authentication: dangerous changes ask for the password again (allauth's reauth).

Adding or removing a second factor, or an administrator resetting someone's 2FA pairing, needs
the password typed within the last REAUTH_SECONDS in this session.
"""

import time
from functools import wraps
from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse

from accounts.lockout import failure_record
from accounts.sessions import session_key_rotate
from practice.vocabulary import SignInFailure

REAUTH_SESSION_KEY = "_pg_reauth"
REAUTH_SECONDS = 5 * 60


def reauth_is_recent(request, max_age: int = REAUTH_SECONDS) -> bool:
    at = request.session.get(REAUTH_SESSION_KEY)
    return at is not None and time.time() - at <= max_age


def reauth_with_password(request, password: str) -> bool:
    """Check the signed-in user's password; a wrong one counts towards lockout."""
    user = request.user
    if user.check_password(password):
        # A new authentication, so a new session key (ASVS V7.2.4).
        session_key_rotate(request)
        request.session[REAUTH_SESSION_KEY] = time.time()
        return True
    failure_record(user=user, request=request, reason=SignInFailure.REAUTH_PASSWORD)
    return False


def reauth_required(view):
    """Send the user to confirm their password first, then back to this page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not reauth_is_recent(request):
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('accounts:reauth')}?{query}")
        return view(request, *args, **kwargs)

    return wrapper
