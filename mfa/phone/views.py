"""Adding a phone for text or voice codes: the number, then the code it received."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters

from accounts.forms.signin import CodeForm
from mfa.enrollment import Enrollment
from mfa.models import PhoneDevice
from mfa.phone.flows import phone_setup_confirm, phone_setup_resend, phone_setup_start
from mfa.phone.forms import PhoneForm
from phonecodes.codes import PhoneCodeError, phone_codes_available
from phonecodes.numbers import mask_number

SETUP_SESSION_KEY = "_mfa_phone_setup"


def setup_code_resend(request, device: PhoneDevice, form) -> str:
    """ "Send a new code" at a new phone's code step (My Account, the sign-in's first setup,
    the administrator's desk): what was sent, for the page to say; a refusal goes on the form."""
    try:
        return phone_setup_resend(device=device, request=request)
    except PhoneCodeError as exc:
        form.add_error(None, exc.message)
        return ""


def phone_add(request, enrollment: Enrollment):
    if not phone_codes_available():
        # SMS_BACKEND="none": text and voice codes are not offered on this server.
        raise Http404
    user = enrollment.user
    form = PhoneForm(request.POST or None, initial_number=user.mobile_phone)
    if request.method == "POST" and form.is_valid():
        try:
            device = phone_setup_start(
                user=user,
                number=form.cleaned_data["number"],
                method=form.cleaned_data["method"],
                request=request,
            )
        except PhoneCodeError as exc:
            form.add_error(None, exc.message)
        else:
            request.session[SETUP_SESSION_KEY] = device.pk
            return redirect(enrollment.url("phone_confirm"))
    return render(request, "mfa/phone_add.html", {"enrollment": enrollment, "form": form})


@sensitive_post_parameters("code")
def phone_confirm(request, enrollment: Enrollment):
    device = PhoneDevice.objects.filter(
        pk=request.session.get(SETUP_SESSION_KEY) or 0, user=enrollment.user, confirmed=False
    ).first()
    if device is None:
        return redirect(enrollment.url("phone_add"))
    form = CodeForm()
    notice = ""
    if request.method == "POST" and "resend" in request.POST:
        notice = setup_code_resend(request, device, form)
    elif request.method == "POST":
        form = CodeForm(request.POST)
        if form.is_valid():
            done = enrollment.confirm(
                request,
                form,
                device,
                check=phone_setup_confirm,
                session_key=SETUP_SESSION_KEY,
                message="Your phone is set up. Use it at your next sign-in.",
            )
            if done is not None:
                return done
    context = {
        "enrollment": enrollment,
        "form": form,
        "device": device,
        "number": mask_number(device.number),
        "notice": notice,
    }
    return render(request, "mfa/phone_confirm.html", context)
