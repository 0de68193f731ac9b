"""Security keys and passkeys: the page with the button, and the JSON the browser script calls.

The browser script is django-otp-webauthn's own (served from its static files); it reads its
endpoints from the page's configuration, which points at these views.
"""

import json

from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django_otp_webauthn.exceptions import MalformedRequest, OTPWebAuthnApiError

from mfa.enrollment import Enrollment
from mfa.webauthn.availability import passkey_unavailable_reason
from mfa.webauthn.flows import key_register_begin, key_register_complete


def script_config(request, *, begin_url: str, complete_url: str, kind: str) -> dict:
    """What the library's script reads from the page (its json_script configuration)."""
    config = {
        "autocompleteLoginFieldSelector": None,
        "nextFieldSelector": "input[name='next']",
        "csrfToken": get_token(request),
        "beginRegistrationUrl": "",
        "completeRegistrationUrl": "",
        "beginAuthenticationUrl": "",
        "completeAuthenticationUrl": "",
    }
    if kind == "register":
        config.update(beginRegistrationUrl=begin_url, completeRegistrationUrl=complete_url)
    else:
        config.update(beginAuthenticationUrl=begin_url, completeAuthenticationUrl=complete_url)
    return config


def api_error(exc: OTPWebAuthnApiError) -> JsonResponse:
    return JsonResponse({"detail": str(exc), "code": exc.code}, status=exc.status_code)


def json_body(request) -> dict:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        raise MalformedRequest() from None
    if not isinstance(data, dict):
        raise MalformedRequest()
    return data


def key_add(request, enrollment: Enrollment):
    config = script_config(
        request,
        begin_url=enrollment.url("key_begin"),
        complete_url=enrollment.url("key_complete"),
        kind="register",
    )
    context = {
        "enrollment": enrollment,
        "config": config,
        "passkey_unavailable": passkey_unavailable_reason(request),
    }
    return render(request, "mfa/key_add.html", context)


def key_begin(request, enrollment: Enrollment):
    return JsonResponse(key_register_begin(request=request, user=enrollment.user))


def key_complete(request, enrollment: Enrollment):
    try:
        device = key_register_complete(
            request=request,
            user=enrollment.user,
            data=json_body(request),
            actor=enrollment.actor,
        )
    except OTPWebAuthnApiError as exc:
        return api_error(exc)
    response = enrollment.finish(
        request, device, f"Your {device.name.lower()} is set up. Use it at your next sign-in."
    )
    return JsonResponse({"id": device.pk, "redirect_url": response.url})
