"""Ending a signed-in session the moment it is no longer allowed.

On every request of a signed-in user: idle too long, past the absolute limit, outside the login
times, deactivated, locked, or remote without the grant any more. Changes to someone's access
therefore take effect on their next click, not at their next sign-in.
"""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY as AUTH_USER_SESSION_KEY
from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from accounts.lockout import lock_state
from accounts.login_times import login_allowed
from accounts.models import User, UserSession
from accounts.remote_access import remote_access_allowed
from accounts.signin import ACTIVITY_SESSION_KEY, AUTH_SESSION_KEY
from practice.audit import audit_record
from practice.policy import effective_policy

# Last activity is written at most this often: one UPDATE a minute, not one per request.
ACTIVITY_WRITE_SECONDS = 60

END_MESSAGES = {
    "idle": "You were signed out after %(minutes)d minutes without activity.",
    "absolute": "You were signed out because your session reached its 12-hour limit.",
    "login_times": "You were signed out: sign-in is not allowed at this time.",
    "deactivated": "You were signed out: your account is no longer active.",
    "locked": "You were signed out: your account is locked. Ask your practice administrator.",
    "remote_access": (
        "You were signed out: remote access is no longer enabled for your account. "
        "Ask your practice administrator."
    ),
    "not_signed_in": "Please sign in again.",
    "signed_in_elsewhere": (
        "You were signed out because your account signed in somewhere else (one session per user)."
    ),
    "password_changed": "You were signed out because your password was changed.",
    "password_reset": "You were signed out because your password was reset.",
    "signed_out_remotely": "This session was signed out from another session.",
}
DEFAULT_END_MESSAGE = "Your session has ended. Please sign in again."


def end_reason(user, stamp: dict | None, last_seen: float | None, now: float) -> str:
    """Why this signed-in session must end now, or "" if it may go on."""
    if not stamp:
        # Signed in without going through the sign-in pipeline.
        return "not_signed_in"
    if now - stamp["at"] > settings.SESSION_ABSOLUTE_SECONDS:
        return "absolute"
    if last_seen is not None and now - last_seen > effective_policy(user).idle_timeout_minutes * 60:
        return "idle"
    if lock_state(user=user):
        return "locked"
    if user.practice_id is None:
        return ""
    if not login_allowed(user):
        return "login_times"
    if stamp.get("zone") == "remote" and not remote_access_allowed(user):
        return "remote_access"
    return ""


class SessionGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.check(request)
        return response if response is not None else self.get_response(request)

    def check(self, request):
        session = request.session
        now = time.time()
        if not request.user.is_authenticated:
            if session.get(AUTH_SESSION_KEY):
                # The session is ours, but the auth middleware refused its user: deactivated.
                user = User.objects.filter(pk=session.get(AUTH_USER_SESSION_KEY)).first()
                return self.end(request, user, "deactivated")
            self.tell_why_ended(request)
            return None
        user = request.user
        reason = end_reason(
            user, session.get(AUTH_SESSION_KEY), session.get(ACTIVITY_SESSION_KEY), now
        )
        if reason:
            return self.end(request, user, reason)
        if now - session.get(ACTIVITY_SESSION_KEY, 0) >= ACTIVITY_WRITE_SECONDS:
            activity_touch(request, now)
        return None

    def end(self, request, user, reason: str):
        session_key = request.session.session_key
        if user is not None:
            UserSession.objects.filter(session_key=session_key).update(
                ended_at=timezone.now(), end_reason=reason
            )
            audit_record(
                action="session.ended", target=user, request=request, details={"reason": reason}
            )
        login_path = login_path_for(user)
        logout(request)
        if request.path == reverse("accounts:auth_verify"):
            # The reverse proxy's question: signed in, but not allowed now.
            return HttpResponse(status=403)
        minutes = effective_policy(user).idle_timeout_minutes if user is not None else 0
        messages.info(request, END_MESSAGES.get(reason, DEFAULT_END_MESSAGE) % {"minutes": minutes})
        if request.method == "GET" and request.path != login_path:
            login_path += "?" + urlencode({"next": request.get_full_path()})
        return redirect(login_path)

    def tell_why_ended(self, request):
        """A browser whose session was ended elsewhere comes back: say why, once."""
        cookie = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        if not cookie or request.session.session_key is not None:
            return
        ended = (
            UserSession.objects.filter(session_key=cookie, ended_at__isnull=False)
            .values_list("end_reason", flat=True)
            .first()
        )
        if ended:
            messages.info(request, END_MESSAGES.get(ended, DEFAULT_END_MESSAGE) % {"minutes": 0})


def activity_touch(request, now: float | None = None) -> None:
    now = now or time.time()
    request.session[ACTIVITY_SESSION_KEY] = now
    UserSession.objects.filter(session_key=request.session.session_key).update(
        last_activity=timezone.now()
    )


def login_path_for(user) -> str:
    if user is not None and user.practice_id is not None:
        return reverse("accounts:practice_login", kwargs={"code": user.practice.code})
    if user is not None:
        return reverse("admin:login")
    return reverse("accounts:login")
