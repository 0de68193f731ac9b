"""Recent re-authentication: dangerous changes ask for the password again (allauth's reauth).

Adding or removing a second factor, ending sessions, changing one's email or phone, or an
administrator resetting someone's 2FA pairing or setting one up at the desk, needs the password
typed in the last five minutes: at the sign-in itself, or again. Every page that asks for it
checks it through password_again_checked: one behaviour, whoever asks.
"""

import time
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts.lockout import failure_record
from accounts.redirects import login_path_for
from accounts.sessions import AUTH_SESSION_KEY, session_key_rotate, sessions_end
from practice.vocabulary import SessionEndReason, SignInFailure

LOCKED_MESSAGE = (
    "Your account is locked after too many failed attempts. Reset your password, or ask your "
    "practice administrator to unlock it."
)

REAUTH_SESSION_KEY = "_pg_reauth"
REAUTH_SECONDS = 5 * 60


def reauth_is_recent(request, max_age: int = REAUTH_SECONDS) -> bool:
    """The password was typed in the last `max_age` seconds: again, on a "Confirm your
    password" page, or to sign in to this very session (its stamp's time, when that sign-in
    completed). Someone who has just signed in is not asked for it again at once."""
    now = time.time()
    confirmed = request.session.get(REAUTH_SESSION_KEY)
    signed_in = (request.session.get(AUTH_SESSION_KEY) or {}).get("at")
    return any(at is not None and now - at <= max_age for at in (confirmed, signed_in))


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


def locked_out(request) -> HttpResponse:
    """A wrong password just locked the signed-in user's account: every session of it ends,
    this browser's too, which goes to its sign-in page with the reason.

    SECURITY: whoever was guessing may hold another of the user's sessions; all of them end.
    """
    user = request.user
    # Their data is deleted with the others'; logout() then gives this browser a fresh, empty
    # session for the message below.
    sessions_end(user=user, reason=SessionEndReason.LOCKED, request=request)
    logout(request)
    messages.error(request, LOCKED_MESSAGE)
    return redirect(login_path_for(user))


def password_again_checked(
    request, form, *, field: str = "password", wrong: str = "That password is not right."
) -> bool | HttpResponse:
    """The signed-in user's password typed again on `form`: True when it is right (recorded as a
    recent re-authentication); False with `wrong` on the field; or, when that wrong password
    locked the account, the response of locked_out, to return as it is."""
    if reauth_with_password(request, form.cleaned_data[field]):
        return True
    if request.user.locked_at is not None:
        return locked_out(request)
    form.add_error(field, wrong)
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
