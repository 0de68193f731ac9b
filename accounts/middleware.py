"""Ending a signed-in session the moment it is no longer allowed.

On every request of a signed-in user: idle too long, past the absolute limit, outside the login
times, deactivated, locked, no longer an emergency access account (an emergency session), or
used from outside the office without what a sign-in from outside needs (accounts.zones).
Changes to someone's access therefore take effect on their next click, not at their next
sign-in, and `/auth/verify` hears the same answer as every page (accounts.gateway). A second
factor required since the sign-in does not end the session: it sends the user to set one up
(accounts.setup_due).
"""

import time
from functools import cache
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY as AUTH_USER_SESSION_KEY
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.access_end import access_end_carry_out, access_has_ended
from accounts.gateway import session_ended
from accounts.lockout import lock_refresh
from accounts.login_times import login_allowed
from accounts.models import User, UserSession
from accounts.redirects import login_path_for
from accounts.sessions import (
    ACTIVITY_SESSION_KEY,
    ACTIVITY_WRITE_SECONDS,
    AUTH_SESSION_KEY,
    EMERGENCY_HOURS,
    session_end_current,
)
from accounts.setup_due import (
    SETUP_DUE_MESSAGE,
    reachable_before_setup,
    second_factor_setup_due,
    setup_url,
)
from accounts.zones import request_zone, zone_end_reason
from practice.network import client_ip
from practice.policy import effective_policy
from practice.vocabulary import SessionEndReason as End

END_MESSAGES = {
    End.IDLE: "You were signed out after %(minutes)d minutes without activity.",
    End.ABSOLUTE: "You were signed out because your session reached its 12-hour limit.",
    End.LOGIN_TIMES: "You were signed out: sign-in is not allowed at this time.",
    End.DEACTIVATED: "You were signed out: your account is no longer active.",
    End.LOCKED: "You were signed out: your account is locked. Ask your practice administrator.",
    End.REMOTE_ACCESS: (
        "You were signed out: remote access is no longer enabled for your account. "
        "Ask your practice administrator."
    ),
    End.OUTSIDE_OFFICE: (
        "You were signed out: your account may be used only inside the office (remote access "
        "is not enabled for it). Ask your practice administrator."
    ),
    End.OUTSIDE_WITHOUT_SECOND_FACTOR: (
        "You were signed out: outside the office PracticeGate needs a sign-in with your second "
        "factor, and this one had none. Sign in again."
    ),
    End.NOT_SIGNED_IN: "Please sign in again.",
    End.SIGNED_IN_ELSEWHERE: (
        "You were signed out because your account signed in somewhere else (one session per user)."
    ),
    End.PASSWORD_CHANGED: "You were signed out because your password was changed.",
    End.PASSWORD_RESET: "You were signed out because your password was reset.",
    End.TEMPORARY_PASSWORD: (
        "You were signed out because your administrator set a temporary password. Sign in with it."
    ),
    End.SIGNED_OUT_REMOTELY: "This session was signed out from another session.",
    End.SIGNED_OUT: "You are signed out.",
    End.PAIRING_RESET: (
        "You were signed out because your two-factor authentication was reset. Sign in again "
        "to set it up."
    ),
    End.ADMINISTRATOR: "You were signed out by your practice administrator.",
    End.OFFBOARDED: "You were signed out: your access to the practice has ended.",
    End.ACCESS_ENDED: "You were signed out: your access ended. Ask your practice administrator.",
    End.EMERGENCY_ENDED: (
        "You were signed out: emergency access lasts at most %(emergency_hours)d hours."
    ),
    End.EMERGENCY_ACCESS_REMOVED: (
        "You were signed out: your account is no longer an emergency access account."
    ),
    End.SETUP_ENDED: (
        "You were signed out: your practice has an office network now, and from outside it "
        "your account needs remote access. Sign in at the office, or allow yourself remote "
        "access on your user page there first."
    ),
}
DEFAULT_END_MESSAGE = "Your session has ended. Please sign in again."


def end_reason(
    user, stamp: dict | None, last_seen: float | None, now: float, *, address: str, request=None
) -> End | None:
    """Why this signed-in session must end now, for a request from `address`, or None if it may
    go on."""
    if not stamp:
        # Signed in without going through the sign-in pipeline.
        return End.NOT_SIGNED_IN
    if now - stamp["at"] > settings.SESSION_ABSOLUTE_SECONDS:
        return End.ABSOLUTE
    if last_seen is not None and now - last_seen > effective_policy(user).idle_timeout_minutes * 60:
        return End.IDLE
    if lock_refresh(user=user):
        return End.LOCKED
    if user.practice_id is None:
        return None
    if access_has_ended(user):
        access_end_carry_out(user=user)
        return End.ACCESS_ENDED
    if stamp.get("emergency"):
        # Login times and the remote-access rule gave way to a declared emergency, for a while,
        # and only while the account is still marked for it.
        if now - stamp["at"] > EMERGENCY_HOURS * 3600:
            return End.EMERGENCY_ENDED
        if not user.emergency_access:
            return End.EMERGENCY_ACCESS_REMOVED
    elif not login_allowed(user):
        return End.LOGIN_TIMES
    return zone_end_reason(user, stamp, request_zone(user, stamp, address), request=request)


class SessionGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.check(request)
        if response is not None:
            return response
        return self.keep_practice(request, self.get_response(request))

    def check(self, request):
        session = request.session
        now = time.time()
        if not request.user.is_authenticated:
            if session.get(AUTH_SESSION_KEY):
                # The session is ours, but the auth middleware refused its user: deactivated.
                user = User.objects.filter(pk=session.get(AUTH_USER_SESSION_KEY)).first()
                return self.end(request, user, End.DEACTIVATED)
            self.tell_why_ended(request)
            return None
        user = request.user
        stamp = session.get(AUTH_SESSION_KEY)
        address = client_ip(request)
        reason = end_reason(
            user, stamp, session.get(ACTIVITY_SESSION_KEY), now, address=address, request=request
        )
        if reason:
            return self.end(request, user, reason)
        if now - session.get(ACTIVITY_SESSION_KEY, 0) >= ACTIVITY_WRITE_SECONDS:
            activity_touch(request, now)
        if second_factor_setup_due(
            user, stamp, request_zone(user, stamp, address)
        ) and not reachable_before_setup(request.path):
            # Required since this session signed in: set it up now (accounts.setup_due).
            messages.warning(request, SETUP_DUE_MESSAGE)
            return redirect(setup_url())
        return None

    def end(self, request, user, reason: End):
        login_path = login_path_for(user)
        session_end_current(request, reason=reason, user=user)
        if request.path == reverse("accounts:auth_verify"):
            # The reverse proxy's question: signed in, but not allowed now, and why.
            return session_ended(request, user, reason)
        for answer in session_ended_answers():
            # A page of a layer above that answers for itself (settings.SESSION_ENDED_ANSWERS):
            # an application's sign-in hears "access_denied", and the user why.
            response = answer(request, user, reason)
            if response is not None:
                return response
        minutes = effective_policy(user).idle_timeout_minutes if user is not None else 0
        messages.info(request, _end_message(reason, minutes))
        if request.method == "GET" and request.path != login_path:
            login_path += "?" + urlencode({"next": request.get_full_path()})
        return redirect(login_path)

    def tell_why_ended(self, request):
        """A browser whose session ended (elsewhere, or by expiring) comes back: say why, once,
        and remember its practice, so that it signs in again on that practice's own page."""
        cookie = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        if not cookie or request.session.session_key is not None:
            return
        found = (
            UserSession.objects.filter(session_key=cookie)
            .values_list("end_reason", "ended_at", "user__practice__code")
            .first()
        )
        if found is None:
            return
        reason, ended_at, practice_code = found
        request.ended_session_practice = practice_code or ""
        if ended_at is not None and reason:
            messages.info(request, _end_message(reason, 0))

    def keep_practice(self, request, response):
        """A redirect to the general sign-in page (`login_required`, a signed-out page) goes to
        the practice's own instead, for a browser whose session of that practice has ended."""
        code = getattr(request, "ended_session_practice", "")
        if not code or response.status_code not in (301, 302):
            return response
        location = urlsplit(response.get("Location", ""))
        if location.netloc or location.path != reverse("accounts:login"):
            return response
        path = reverse("accounts:practice_login", kwargs={"code": code})
        response["Location"] = path + (f"?{location.query}" if location.query else "")
        return response


@cache
def session_ended_answers() -> tuple:
    return tuple(import_string(path) for path in getattr(settings, "SESSION_ENDED_ANSWERS", []))


class ReadingTimeZoneMiddleware:
    """Every date and time a signed-in user reads is in their zone (User.reading_time_zone):
    what a template shows with `date`, or Python with timezone.localtime(). Console pages are
    in the practice's zone (practice.console.access.console_view)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = None
        if request.user.is_authenticated:
            try:
                zone = ZoneInfo(request.user.reading_time_zone)
            except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
                zone = None
        if zone is None:
            return self.get_response(request)
        with timezone.override(zone):
            return self.get_response(request)


def _end_message(reason: str, minutes: int) -> str:
    text = END_MESSAGES.get(reason, DEFAULT_END_MESSAGE)
    return text % {"minutes": minutes, "emergency_hours": EMERGENCY_HOURS}


def activity_touch(request, now: float | None = None) -> None:
    now = now or time.time()
    request.session[ACTIVITY_SESSION_KEY] = now
    UserSession.objects.filter(session_key=request.session.session_key).update(
        last_activity=timezone.now()
    )
