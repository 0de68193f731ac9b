"""Recovery codes on the security page: how many are left; a new set, shown once."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from mfa.enrollment import Enrollment
from mfa.recovery_codes.flows import recovery_codes_generate
from mfa.selectors import recovery_codes_left


def recovery_codes(request, enrollment: Enrollment):
    user = enrollment.user
    if request.method == "POST":
        try:
            codes = recovery_codes_generate(user=user, actor=enrollment.actor, request=request)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
            return redirect("mfa:security")
        # SECURITY: rendered in this response only (never stored readable, never redirected
        # through the session); the page is no-store.
        return render(request, "mfa/recovery_codes_new.html", {"codes": codes})
    context = {"enrollment": enrollment, "codes_left": recovery_codes_left(user)}
    return render(request, "mfa/recovery_codes.html", context)
