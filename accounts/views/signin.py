"""HTTP glue for signing in and out. The rules live in the service modules (accounts.signin and its
stages)."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts.emergency import emergency_declare, emergency_pending
from accounts.forms.passwords import PasswordChangeForm, password_checklist
from accounts.forms.signin import CodeForm, EmergencyForm, SignInForm
from accounts.lockout import failure_record
from accounts.middleware import activity_touch
from accounts.passwords import password_set
from accounts.pending import pending_get
from accounts.profile import phone_verify, registration_phone_pending
from accounts.redirects import login_path_for, safe_next
from accounts.sessions import EMERGENCY_HOURS, session_end_current
from accounts.signin import (
    SIGNIN_TIMED_OUT,
    Refused,
    SignIn,
    default_landing,
    login_url_for,
    signin_continue,
    signin_start,
    signin_step,
    signin_stop,
)
from accounts.stages import LOCKED
from phonecodes.codes import code_purpose
from phonecodes.models import PhoneChannel
from phonecodes.steps import code_step, code_step_send
from practice.models import Practice
from practice.policy import effective_policy
from practice.vocabulary import CodePurpose, SessionEndReason, SignInFailure

PRACTICE_CODE_COOKIE = "practice_code"


PRACTICE_CODE_COOKIE_AGE = 365 * 24 * 60 * 60


def home(request):
    if request.user.is_authenticated:
        return redirect(default_landing(request.user))
    return redirect("accounts:login")


# SECURITY: "username" too: people type their password into it (see practice.audit).
@sensitive_post_parameters("username", "password")
@csrf_protect
@never_cache
def login_view(request, code=None, staff=False):
    """/login/ (asks the practice code), /p/<code>/login/, and support staff's /admin/login/."""
    practice = None
    if code is not None:
        practice = get_object_or_404(Practice, code=code.lower())
        request.practice = practice
    ask_code = code is None and not staff
    form = SignInForm(
        request.POST or None,
        ask_practice_code=ask_code,
        initial={"practice_code": request.COOKIES.get(PRACTICE_CODE_COOKIE, "")},
    )
    next_url = safe_next(request)
    response = None
    if request.method == "POST" and form.is_valid():
        if ask_code:
            practice = Practice.objects.filter(
                code=form.cleaned_data["practice_code"].lower()
            ).first()
        outcome = signin_start(
            request,
            practice=practice,
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
            next_url=next_url,
            staff=staff,
        )
        if isinstance(outcome, Refused):
            form.add_error(None, outcome.message)
        else:
            response = outcome
    if response is None:
        context = {"form": form, "practice": practice, "staff": staff, "next": next_url}
        response = render(request, "accounts/login.html", context)
    if ask_code and form.is_bound and "practice_code" in form.cleaned_data:
        # Remembered whether or not the code exists, so the cookie cannot tell which do.
        response.set_cookie(
            PRACTICE_CODE_COOKIE,
            form.cleaned_data["practice_code"].lower(),
            max_age=PRACTICE_CODE_COOKIE_AGE,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
    return response


def staff_login_view(request, **kwargs):
    """Django admin's login page, replaced: support staff sign in through the same pipeline."""
    return login_view(request, staff=True)


@sensitive_post_parameters("current_password", "new_password1", "new_password2")
@csrf_protect
@never_cache
@signin_step("required_actions")
def signin_password_view(request, signin: SignIn):
    """A temporary or expired password is changed before the sign-in completes."""
    user = signin.user
    temporary = user.must_change_password
    form = PasswordChangeForm(user, request.POST or None, ask_current=not temporary)
    if request.method == "POST":
        if form.is_valid():
            password_set(
                user=user, password=form.cleaned_data["new_password1"], actor=user, request=request
            )
            # The required-actions stage runs again and finds the password done.
            return signin_continue(signin)
        if form.current_password_wrong and failure_record(
            user=user, request=request, reason=SignInFailure.CURRENT_PASSWORD
        ):
            return signin_stop(request, signin.pending, LOCKED)
    context = {"form": form, "temporary": temporary, "rules": password_checklist(user, form)}
    return render(request, "accounts/signin_password.html", context)


@csrf_protect
@never_cache
def signin_emergency_view(request):
    """An emergency access account refused by login times or the remote-access rule: "Declare
    an emergency", then a "Reason" and "Continue" (the second factor still follows)."""
    pending = pending_get(request)
    signin = SignIn(request, pending) if pending is not None else None
    emergency = emergency_pending(signin) if signin is not None else None
    if emergency is None:
        return signin_stop(request, pending, SIGNIN_TIMED_OUT)
    request.practice = signin.user.practice
    form = EmergencyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        emergency_declare(signin, reason=form.cleaned_data["reason"])
        # The stage that refused runs again and now passes.
        return signin_continue(signin)
    context = {
        "refusal": emergency["message"],
        "asking": request.method == "POST" or "declare" in request.GET,
        "form": form,
        "hours": EMERGENCY_HOURS,
        "practice": signin.user.practice,
    }
    return render(request, "accounts/signin_emergency.html", context)


PHONE_STATE_KEY = "registration_phone"


def _registration_code_send(signin: SignIn, channel: str) -> None:
    state = signin.state.setdefault(PHONE_STATE_KEY, {})
    state.setdefault("purpose", code_purpose(CodePurpose.REGISTRATION))
    code_step_send(
        signin.request,
        state,
        user=signin.user,
        number=signin.user.mobile_phone,
        channel=channel,
        purpose=state["purpose"],
    )
    signin.save()


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@signin_step("required_actions")
def signin_phone_view(request, signin: SignIn):
    """An invited user's phone is verified with a text or voice code before the first session."""
    user = signin.user
    if not registration_phone_pending(user):
        return signin_continue(signin)
    action = request.POST.get("action", "verify")
    if request.method == "GET" and PHONE_STATE_KEY not in signin.state:
        # The code goes out as the step opens.
        _registration_code_send(signin, PhoneChannel.SMS)
        return redirect("accounts:signin_phone")
    if request.method == "POST" and action in PhoneChannel.values:
        _registration_code_send(signin, action)
        return redirect("accounts:signin_phone")
    state = signin.state.get(PHONE_STATE_KEY, {})
    step = code_step(state, user.mobile_phone)
    # No code was sent for this step: nothing to check, and no failure to count.
    form = CodeForm(request.POST if request.method == "POST" and step.sent else None)
    if form.is_bound and form.is_valid():
        try:
            phone_verify(
                user=user,
                purpose=state.get("purpose", ""),
                code=form.cleaned_data["code"],
                request=request,
            )
        except ValidationError as exc:
            if failure_record(user=user, request=request, reason=SignInFailure.PHONE_CODE):
                return signin_stop(request, signin.pending, LOCKED)
            form.add_error("code", exc)
        else:
            messages.success(request, "Your phone is verified.")
            return signin_continue(signin)
    context = {
        "form": form,
        "step": step,
        "heading": "Verify your phone",
        "intro": "Your practice asks new users to verify their mobile phone.",
    }
    return render(request, "accounts/password_reset/phone.html", context)


@require_POST
@csrf_protect
def logout_view(request):
    user = request.user
    if user.is_authenticated:
        login_path = login_path_for(user)
    else:
        # Half-way through a sign-in (a step page's "Sign out"): back to its practice's page.
        login_path = login_url_for(pending_get(request))
    session_end_current(request, reason=SessionEndReason.SIGNED_OUT, actor=user)
    messages.success(request, "You are signed out.")
    return redirect(login_path)


@require_POST
@csrf_protect
def keepalive_view(request):
    """The "Stay signed in" button: counts as activity (the middleware already checked us)."""
    if not request.user.is_authenticated:
        return JsonResponse({"signed_in": False}, status=401)
    activity_touch(request)
    minutes = effective_policy(request.user).idle_timeout_minutes
    return JsonResponse({"signed_in": True, "idle_seconds": minutes * 60})
