"""HTTP glue for the second factor: the sign-in's verify and first-setup steps, and My Account's
security page (list, rename, remove, reset pairing). Each factor's own setup pages live in its
package (totp/, phone/, webauthn/, recovery_codes/)."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp_webauthn.exceptions import OTPWebAuthnApiError

from accounts.forms.signin import CodeForm
from accounts.lockout import lock_refresh
from accounts.pending import pending_clear
from accounts.permissions import may_reset_own_pairing
from accounts.reauth import reauth_required
from accounts.redirects import login_path_for
from accounts.signin import (
    SIGNIN_TIMED_OUT,
    SignIn,
    signin_continue,
    signin_step,
    signin_stop,
    signin_timed_out_json,
)
from accounts.stages import LOCKED
from mfa.devices import device_remove, device_rename
from mfa.enrollment import at_setup
from mfa.forms import RenameForm
from mfa.identity import (
    identity_channels,
    identity_code_check,
    identity_code_send,
    identity_destination,
)
from mfa.pairing import pairing_reset
from mfa.recovery_codes.flows import recovery_codes_generate
from mfa.selectors import has_second_factor, recovery_codes_left, user_factor, user_factors
from mfa.stages import SETUP_OPTIONAL, VERIFY
from mfa.verification import (
    STATE_KEY,
    code_check,
    code_send,
    code_status,
    countdown,
    countdown_of,
    default_method,
    method_for,
    method_start,
    methods_for,
    second_factor_failed,
    second_factor_passed,
    second_factor_skipped,
)
from mfa.webauthn.availability import passkey_unavailable_reason
from mfa.webauthn.flows import key_authenticate_begin, key_authenticate_complete
from mfa.webauthn.views import api_error, json_body, script_config
from phonecodes.codes import phone_codes_available
from practice.policy import effective_policy
from practice.vocabulary import FactorKind

# --- Sign-in: verify -----------------------------------------------------------------------


def _at_verify(signin: SignIn) -> bool:
    return (signin.state.get(STATE_KEY) or {}).get("mode") == VERIFY


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@signin_step(STATE_KEY)
def signin_verify(request, signin: SignIn):
    """ "Verification code" for the user's current method; other methods one click away."""
    user = signin.user
    if not _at_verify(signin) or not methods_for(user):
        # Not at this step, or every factor was removed while this sign-in waited (a pairing
        # reset): start again.
        return signin_stop(request, signin.pending, SIGNIN_TIMED_OUT)
    state = signin.state[STATE_KEY]
    method = method_for(user, state.get("method", "")) or default_method(user)
    form = CodeForm(numeric=method.kind != FactorKind.RECOVERY)

    if request.method == "POST":
        action = request.POST.get("action", "verify")
        if action == "switch":
            chosen = method_for(user, request.POST.get("method", ""))
            if chosen is not None:
                method_start(signin, chosen)
                signin.save()
            return redirect("mfa:signin_verify")
        if action == "resend":
            if method.sends_code:
                code_send(signin, method)
                signin.save()
            return redirect("mfa:signin_verify")
        form = CodeForm(request.POST, numeric=method.kind != FactorKind.RECOVERY)
        status = code_status(signin, method) if method.sends_code else None
        if status is not None and not status.valid:
            # Nothing to check: this sign-in has no live code for this method (one sent to the
            # same phone for another sign-in does not work here), so no failure is counted.
            ask = "Ask for a new one." if status.sent_at else "Ask for one."
            messages.error(request, f"{status.text} {ask}")
            return redirect("mfa:signin_verify")
        if method.takes_code and form.is_valid():
            result = code_check(signin, method, form.cleaned_data["code"])
            if result.ok:
                return second_factor_passed(signin, result.device)
            if result.locked:
                return signin_stop(request, signin.pending, LOCKED)
            form.add_error("code", result.message)

    status = code_status(signin, method) if method.sends_code else None
    # A key that cannot work at this address is not offered; the page says why.
    passkey_unavailable = passkey_unavailable_reason(request)
    others = [m for m in methods_for(user) if m.key != method.key]
    context = {
        "method": method,
        "other_methods": [
            m for m in others if not (m.kind == FactorKind.KEY and passkey_unavailable)
        ],
        "passkey_unavailable": passkey_unavailable,
        "key_hidden": bool(passkey_unavailable) and any(m.kind == FactorKind.KEY for m in others),
        "form": form,
        "code_status": status,
        "countdown": countdown_of(status.seconds_valid) if status and status.valid else None,
    }
    if method.kind == FactorKind.KEY:
        context["key_config"] = script_config(
            request,
            begin_url=reverse("mfa:signin_verify_key_begin"),
            complete_url=reverse("mfa:signin_verify_key_complete"),
            kind="authenticate",
        )
    return render(request, "mfa/signin_verify.html", context)


def _verify_key_step(view):
    """A security key's JSON call at the verify step; anything else is "timed out"."""

    @require_POST
    @csrf_protect
    @never_cache
    @signin_step(STATE_KEY, json=True)
    @wraps(view)
    def wrapper(request, signin: SignIn):
        if not _at_verify(signin):
            return signin_timed_out_json()
        return view(request, signin)

    return wrapper


def _locked_json(request) -> JsonResponse:
    pending_clear(request)
    return JsonResponse({"detail": LOCKED, "code": "locked"}, status=403)


@_verify_key_step
def signin_verify_key_begin(request, signin: SignIn):
    return JsonResponse(key_authenticate_begin(request=request, user=signin.user))


@_verify_key_step
def signin_verify_key_complete(request, signin: SignIn):
    user = signin.user
    if lock_refresh(user=user, request=request):
        return _locked_json(request)
    try:
        device = key_authenticate_complete(request=request, user=user, data=json_body(request))
    except OTPWebAuthnApiError as exc:
        # A signature that does not check out counts like a wrong code.
        if second_factor_failed(signin).locked:
            return _locked_json(request)
        return api_error(exc)
    response = second_factor_passed(signin, device)
    return JsonResponse({"id": device.pk, "redirect_url": response.url})


# --- Sign-in: first setup ------------------------------------------------------------------


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@signin_step(STATE_KEY)
def signin_setup(request, signin: SignIn):
    """Choose what to set up; from outside the office, first prove who you are."""
    if not at_setup(signin):
        return signin_stop(request, signin.pending, SIGNIN_TIMED_OUT)
    state = signin.state[STATE_KEY]
    if state.get("identity_confirmed") is False:
        return _identity_step(request, signin)
    context = {
        "optional": state["mode"] == SETUP_OPTIONAL,
        "phone_available": phone_codes_available(),
        "passkey_unavailable": passkey_unavailable_reason(request),
    }
    return render(request, "mfa/signin_setup.html", context)


def _identity_step(request, signin: SignIn):
    user = signin.user
    state = signin.state[STATE_KEY]
    form = CodeForm()
    if request.method == "POST" and request.POST.get("action") == "send":
        channel = request.POST.get("channel", "")
        if channel in identity_channels(user):
            identity_code_send(signin, channel)
            signin.save()
        return redirect("mfa:signin_setup")
    if request.method == "POST":
        form = CodeForm(request.POST)
        if form.is_valid():
            result = identity_code_check(signin, form.cleaned_data["code"])
            signin.save()
            if result.ok:
                return redirect("mfa:signin_setup")
            if result.locked:
                return signin_stop(request, signin.pending, LOCKED)
            form.add_error("code", result.message)
    channels = [
        {"value": channel, "destination": identity_destination(user, channel)}
        for channel in identity_channels(user)
    ]
    context = {
        "channels": channels,
        "sent": bool(state.get("identity_channel")),
        "form": form,
        "countdown": countdown(signin),
    }
    return render(request, "mfa/signin_identity.html", context)


@require_POST
@csrf_protect
@never_cache
@signin_step(STATE_KEY)
def signin_setup_skip(request, signin: SignIn):
    """ "Not now": only where the policy merely prompts (never for require or remote)."""
    if not at_setup(signin):
        return signin_stop(request, signin.pending, SIGNIN_TIMED_OUT)
    if signin.state[STATE_KEY]["mode"] != SETUP_OPTIONAL:
        return redirect("mfa:signin_setup")
    return second_factor_skipped(signin)


@csrf_protect
@never_cache
@signin_step(STATE_KEY, done=True)
def signin_recovery_codes(request, signin: SignIn):
    """Right after a first factor is set up during sign-in: recovery codes, then on."""
    if request.method == "POST":
        if request.POST.get("action") != "create":
            return signin_continue(signin)
        codes = recovery_codes_generate(user=signin.user, actor=signin.user, request=request)
        # SECURITY: shown in this response only; the page is no-store.
        return render(request, "mfa/recovery_codes_new.html", {"codes": codes, "in_signin": True})
    return render(request, "mfa/signin_recovery_codes.html")


# --- My Account: security ------------------------------------------------------------------


@login_required
@never_cache
def security(request):
    user = request.user
    policy = effective_policy(user)
    factors = user_factors(user)
    context = {
        "factors": factors,
        "has_factor": bool(factors),
        "codes_left": recovery_codes_left(user),
        "required": policy.two_factor_required,
        "self_reset": may_reset_own_pairing(user) and bool(factors),
        "phone_available": phone_codes_available(),
        "passkey_unavailable": passkey_unavailable_reason(request),
    }
    return render(request, "mfa/security.html", context)


def _own_factor(request, ref: str):
    # SECURITY: the user's own devices only; anything else is a 404.
    factor = user_factor(request.user, ref)
    if factor is None:
        raise Http404("No such sign-in method.")
    return factor


@login_required
@csrf_protect
@never_cache
def device_rename_view(request, ref: str):
    factor = _own_factor(request, ref)
    form = RenameForm(request.POST or None, initial={"name": factor.name})
    if request.method == "POST" and form.is_valid():
        try:
            device_rename(
                user=request.user,
                factor=factor,
                name=form.cleaned_data["name"],
                actor=request.user,
                request=request,
            )
        except ValidationError as exc:
            form.add_error("name", exc)
        else:
            messages.success(request, "The name is saved.")
            return redirect("mfa:security")
    return render(request, "mfa/device_rename.html", {"factor": factor, "form": form})


@login_required
@reauth_required
@csrf_protect
@never_cache
def device_remove_view(request, ref: str):
    factor = _own_factor(request, ref)
    if request.method == "POST":
        try:
            device_remove(user=request.user, factor=factor, actor=request.user, request=request)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(request, f"{factor.name} is removed.")
        return redirect("mfa:security")
    last = len(user_factors(request.user)) == 1
    return render(request, "mfa/device_remove.html", {"factor": factor, "last": last})


@login_required
@reauth_required
@csrf_protect
@never_cache
def pairing_reset_view(request):
    """The user's own "Reset my 2FA pairing" (PCC SecureConnect's), when the practice allows and
    the user's role includes it."""
    user = request.user
    if not may_reset_own_pairing(user):
        raise Http404("Your practice does not allow this.")
    if request.method == "POST":
        pairing_reset(user=user, actor=user, request=request)
        # pairing_reset ended (and audited) every session of the user, this one too.
        logout(request)
        messages.success(
            request,
            "Your two-factor authentication was reset and you were signed out everywhere. "
            "Sign in again to set it up.",
        )
        return redirect(login_path_for(user))
    return render(request, "mfa/pairing_reset.html", {"has_factor": has_second_factor(user)})
