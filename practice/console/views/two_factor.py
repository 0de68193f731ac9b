""" "Set up two-factor now" (OfficeEMR's "Set Two-Factor Authentication Now"): the user sits at
the administrator's desk and sets up their second factor on the administrator's screen.

Guarded like "Reset 2FA pairing": the administrator's session passed their own second factor,
and they type their password again. The secret is shown on the administrator's screen only
while the user is there to scan it: the step lasts IN_PERSON_SECONDS and its pages are no-store.
"""

import time

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from accounts.forms.signin import CodeForm
from accounts.reauth import password_again_checked
from mfa.in_person import (
    in_person_app_start,
    in_person_refusal,
    in_person_setup_confirm,
    in_person_text_start,
    text_number,
)
from mfa.models import AuthenticatorApp, PhoneDevice
from mfa.phone.views import setup_code_resend
from mfa.totp.flows import provisioning_uri, qr_code_data_uri, secret_for_typing
from mfa.verification import WRONG_CODE_MESSAGE, throttle_seconds, throttled_message
from phonecodes.codes import PhoneCodeError, phone_codes_available
from phonecodes.numbers import mask_number
from practice.console.access import console_view, user_for_admin
from practice.console.forms.users import IN_PERSON_TEXT, InPersonSetupForm
from practice.console.views.common import REAUTH_WRONG_MESSAGE
from practice.vocabulary import Permission

SESSION_KEY = "_console_in_person_setup"
IN_PERSON_SECONDS = 10 * 60


def _refusal(request, user):
    """Why this administrator cannot set this user up here, as the response to send, or None.

    Back to the user's page for a user who cannot be set up here (self, inactive); the step's
    page saying so for an administrator who has not passed their own second factor."""
    refusal = in_person_refusal(user=user, actor=request.user)
    if refusal is not None:
        messages.error(request, " ".join(refusal.messages))
        return redirect("console:user", user_id=user.pk)
    if not request.user.is_verified():
        return render(
            request,
            "console/two_factor_setup.html",
            {"target": user, "verified": False, "console_section": "users"},
            status=403,
        )
    return None


@sensitive_post_parameters("password")
@never_cache
# Setting up another user's second factor is managing their pairing: the same permission.
@console_view(get=Permission.RESET_PAIRING, post=Permission.RESET_PAIRING)
def user_two_factor_setup(request, user_id):
    """Step one: how the user sets up (app or text), and the administrator's own password."""
    user = user_for_admin(request, user_id)
    refused = _refusal(request, user)
    if refused is not None:
        return refused
    number = text_number(user) if phone_codes_available() else ""
    form = InPersonSetupForm(request.POST or None, text_to=mask_number(number) if number else "")
    status = 200
    if request.method == "POST" and form.is_valid():
        confirmed = password_again_checked(request, form, wrong=REAUTH_WRONG_MESSAGE)
        if isinstance(confirmed, HttpResponse):
            return confirmed
        if confirmed:
            try:
                if form.cleaned_data["method"] == IN_PERSON_TEXT:
                    device = in_person_text_start(user=user, actor=request.user, request=request)
                else:
                    device = in_person_app_start(user=user, actor=request.user)
            except (ValidationError, PhoneCodeError) as exc:
                message = exc.message if isinstance(exc, PhoneCodeError) else exc.messages[0]
                form.add_error("method", message)
            else:
                request.session[SESSION_KEY] = {
                    "user": user.pk,
                    "device": device.pk,
                    "kind": form.cleaned_data["method"],
                    "at": time.time(),
                }
                return redirect("console:user_two_factor_setup_code", user_id=user.pk)
        status = 400
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "console/two_factor_setup.html",
        {"target": user, "form": form, "verified": True, "console_section": "users"},
        status=status,
    )


def _pending_device(request, user):
    """The device step one started for this user in this session, while the step lasts."""
    pending = request.session.get(SESSION_KEY) or {}
    if pending.get("user") != user.pk or time.time() - pending.get("at", 0) > IN_PERSON_SECONDS:
        return None
    model = PhoneDevice if pending.get("kind") == IN_PERSON_TEXT else AuthenticatorApp
    # SECURITY: only an unconfirmed device of this very user.
    return model.objects.filter(pk=pending.get("device"), user=user, confirmed=False).first()


@sensitive_post_parameters("code")
@never_cache
# Setting up another user's second factor is managing their pairing: the same permission.
@console_view(get=Permission.RESET_PAIRING, post=Permission.RESET_PAIRING)
def user_two_factor_setup_code(request, user_id):
    """Step two: the user scans the QR code (or reads the text) and types the code here."""
    user = user_for_admin(request, user_id)
    refused = _refusal(request, user)
    if refused is not None:
        return refused
    device = _pending_device(request, user)
    if device is None:
        request.session.pop(SESSION_KEY, None)
        messages.info(request, "Start again: the setup was not finished in time.")
        return redirect("console:user_two_factor_setup", user_id=user.pk)
    form = CodeForm()
    notice = ""
    status = 200
    if request.method == "POST" and "resend" in request.POST and isinstance(device, PhoneDevice):
        notice = setup_code_resend(request, device, form)
    elif request.method == "POST":
        form = CodeForm(request.POST)
        if form.is_valid():
            seconds = throttle_seconds(device)
            if seconds:
                form.add_error("code", throttled_message(device, seconds))
            elif in_person_setup_confirm(
                device=device, code=form.cleaned_data["code"], actor=request.user, request=request
            ):
                request.session.pop(SESSION_KEY, None)
                messages.success(
                    request,
                    f"Two-factor authentication is set up for {user} ({device.name}). They use "
                    "it at their next sign-in, and can create recovery codes on My Account.",
                )
                return redirect("console:user", user_id=user.pk)
            else:
                form.add_error("code", WRONG_CODE_MESSAGE)
        status = 400
    context = {
        "target": user,
        "form": form,
        "device": device,
        "notice": notice,
        "console_section": "users",
    }
    if isinstance(device, PhoneDevice):
        context["number"] = mask_number(device.number)
    else:
        uri = provisioning_uri(device)
        context.update(
            {
                "qr_code": qr_code_data_uri(uri),
                "otpauth_uri": uri,
                "secret": secret_for_typing(device),
            }
        )
    return render(request, "console/two_factor_setup_code.html", context, status=status)
