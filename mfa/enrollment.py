"""Who is adding a second factor, and what happens when they are done.

The same setup pages serve two places: My Account's security page (a signed-in user, who typed
their password within the last five minutes) and the sign-in's first setup (a user half-way
through signing in, whose password was just checked). Each factor's views are written once and
mounted twice, wrapped by account_enrollment or signin_enrollment.
"""

from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.reauth import reauth_is_recent, reauth_required
from accounts.signin import (
    SIGNIN_TIMED_OUT,
    SignIn,
    signin_step,
    signin_stop,
    signin_timed_out_json,
)
from mfa.selectors import recovery_codes_left
from mfa.stages import SETUP_OPTIONAL, SETUP_REQUIRED
from mfa.verification import (
    STATE_KEY,
    WRONG_CODE_MESSAGE,
    second_factor_mark,
    second_factor_passed,
    throttle_seconds,
    throttled_message,
)

RECOVERY_CODES_OFFER = (
    "Now create recovery codes: each gets you in once if you lose your phone or key."
)


@dataclass
class Enrollment:
    user: User
    signin: SignIn | None = None

    @property
    def in_signin(self) -> bool:
        return self.signin is not None

    @property
    def actor(self) -> User:
        return self.user

    def url(self, name: str, **kwargs) -> str:
        """The URL of a setup page in this place ("app_add" -> sign-in or account version)."""
        prefix = "signin_setup_" if self.in_signin else ""
        return reverse(f"mfa:{prefix}{name}", kwargs=kwargs or None)

    @property
    def phone_add_url(self) -> str:
        return self.url("phone_add")

    @property
    def back_url(self) -> str:
        return reverse("mfa:signin_setup") if self.in_signin else reverse("mfa:security")

    def confirm(
        self, request, form, device, *, check, session_key: str, message: str
    ) -> HttpResponse | None:
        """The code typed to confirm a new factor, throttled like a sign-in code.

        Right: the setup is done (finish). Wrong or too soon: None, with the error on the form.
        `check(device=, code=, actor=, request=)` is the factor's confirming service.
        """
        seconds = throttle_seconds(device)
        if seconds:
            form.add_error("code", throttled_message(device, seconds))
            return None
        code = form.cleaned_data["code"]
        if not check(device=device, code=code, actor=self.actor, request=request):
            form.add_error("code", WRONG_CODE_MESSAGE)
            return None
        request.session.pop(session_key, None)
        return self.finish(request, device, message)

    def finish(self, request, device, message: str) -> HttpResponse:
        """The factor is confirmed: back to the security page, or on with the sign-in.

        A user without recovery codes is first offered them: with only one phone or key, losing
        it means calling the practice administrator.
        """
        offer_codes = recovery_codes_left(self.user) is None
        if self.in_signin:
            if not offer_codes:
                return second_factor_passed(self.signin, device)
            second_factor_mark(self.signin, device)
            return redirect("mfa:signin_recovery_codes")
        messages.success(request, message)
        if offer_codes:
            messages.info(request, RECOVERY_CODES_OFFER)
            return redirect("mfa:recovery_codes")
        return redirect("mfa:security")


def account_enrollment(view):
    """Signed in, with the password typed again in the last five minutes."""

    @login_required
    @reauth_required
    @csrf_protect
    @never_cache
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        return view(request, Enrollment(user=request.user), *args, **kwargs)

    return wrapper


def at_setup(signin: SignIn) -> bool:
    """The second-factor stage sent this sign-in to the first-setup step."""
    return (signin.state.get(STATE_KEY) or {}).get("mode") in (SETUP_REQUIRED, SETUP_OPTIONAL)


def signin_enrollment(view):
    """Half-way through signing in, at the first-setup step (and, remote, having proved who)."""

    @csrf_protect
    @never_cache
    @signin_step(STATE_KEY)
    @wraps(view)
    def wrapper(request, signin: SignIn, *args, **kwargs):
        if not at_setup(signin):
            return signin_stop(request, signin.pending, SIGNIN_TIMED_OUT)
        if signin.state[STATE_KEY].get("identity_confirmed") is False:
            return redirect("mfa:signin_setup")
        return view(request, Enrollment(user=signin.user, signin=signin), *args, **kwargs)

    return wrapper


def _json_error(detail: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": "not_allowed"}, status=status)


def account_enrollment_json(view):
    """account_enrollment for the security key's JSON calls: an error body, not a redirect."""

    @require_POST
    @csrf_protect
    @never_cache
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return _json_error("Sign in again, then try again.", 401)
        if not reauth_is_recent(request):
            return _json_error("Confirm your password again, then try again.", 403)
        return view(request, Enrollment(user=request.user), *args, **kwargs)

    return wrapper


def signin_enrollment_json(view):
    @require_POST
    @csrf_protect
    @never_cache
    @signin_step(STATE_KEY, json=True)
    @wraps(view)
    def wrapper(request, signin: SignIn, *args, **kwargs):
        if not at_setup(signin) or signin.state[STATE_KEY].get("identity_confirmed") is False:
            return signin_timed_out_json()
        return view(request, Enrollment(user=signin.user, signin=signin), *args, **kwargs)

    return wrapper
