"""Adding an authenticator app: title, QR code, key for typing, first code."""

from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters

from mfa.enrollment import Enrollment
from mfa.models import AuthenticatorApp
from mfa.totp.flows import (
    default_title,
    provisioning_uri,
    qr_code_data_uri,
    secret_for_typing,
    totp_setup_confirm,
    totp_setup_start,
    totp_title_set,
)
from mfa.totp.forms import AppSetupForm, TitleForm

SETUP_SESSION_KEY = "_mfa_app_setup"


@sensitive_post_parameters("code")
def app_setup(request, enrollment: Enrollment):
    user = enrollment.user
    device = (
        AuthenticatorApp.objects.filter(
            pk=request.session.get(SETUP_SESSION_KEY), user=user, confirmed=False
        ).first()
        if request.session.get(SETUP_SESSION_KEY)
        else None
    )
    if device is None:
        # SECURITY: the secret is made here, kept unconfirmed, and only ever shown on this page.
        device = totp_setup_start(user=user, title=default_title(user))
        request.session[SETUP_SESSION_KEY] = device.pk

    form = AppSetupForm(initial={"title": device.name})
    if request.method == "POST" and "update_title" in request.POST:
        title_form = TitleForm(request.POST)
        if title_form.is_valid():
            totp_title_set(device=device, title=title_form.cleaned_data["title"])
            return redirect(request.path)
        form = AppSetupForm(initial={"title": device.name})
        form.errors.update(title_form.errors)
    elif request.method == "POST":
        form = AppSetupForm(request.POST)
        if form.is_valid():
            if form.cleaned_data["title"] != device.name:
                totp_title_set(device=device, title=form.cleaned_data["title"])
            done = enrollment.confirm(
                request,
                form,
                device,
                check=totp_setup_confirm,
                session_key=SETUP_SESSION_KEY,
                message="Your authenticator app is set up. Use it at your next sign-in.",
            )
            if done is not None:
                return done
    uri = provisioning_uri(device)
    context = {
        "enrollment": enrollment,
        "form": form,
        "qr_code": qr_code_data_uri(uri),
        # The same URI as a link, for someone setting up on the phone that shows this page.
        "otpauth_uri": uri,
        "secret": secret_for_typing(device),
    }
    return render(request, "mfa/app_setup.html", context)
