"""Security keys and passkeys through django-otp-webauthn's helper (py_webauthn underneath).

We drive its helper from our own views instead of mounting its URLs: its views would sign a
user in with a passkey alone (outside our pipeline), and its registration view knows nothing of
our reauthentication rule or of a user who is half-way through signing in.

The ceremony state (the challenge) lives in the session between begin and complete, and is
popped before it is checked, so a response can never be replayed.
"""

import logging

from django.db import transaction
from django_otp_webauthn.exceptions import InvalidState
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.utils import rewrite_exceptions

from accounts.models import User
from mfa.devices import device_added, device_added_notice
from practice.vocabulary import FactorKind

logger = logging.getLogger(__name__)

REGISTER_STATE_KEY = "_mfa_webauthn_register"
AUTHENTICATE_STATE_KEY = "_mfa_webauthn_authenticate"


def key_register_begin(*, request, user: User) -> dict:
    helper = WebAuthnCredential.get_webauthn_helper(request=request)
    options, state = helper.register_begin(user=user)
    request.session[REGISTER_STATE_KEY] = {**state, "user_id": user.pk}
    return options


def key_register_complete(
    *, request, user: User, data: dict, actor: User | None
) -> WebAuthnCredential:
    """Check the browser's answer and keep the new credential; raises OTPWebAuthnApiError."""
    state = _pop_state(request, REGISTER_STATE_KEY, user)
    helper = WebAuthnCredential.get_webauthn_helper(request=request)
    with transaction.atomic():
        with rewrite_exceptions(logger=logger):
            device = helper.register_complete(user=user, state=state, data=data)
        device.name = "Passkey" if device.discoverable else "Security key"
        device.save(update_fields=["name"])
        device_added(user=user, device=device, kind=FactorKind.KEY, actor=actor, request=request)
    device_added_notice(user=user, kind=FactorKind.KEY, name=device.name)
    return device


def key_authenticate_begin(*, request, user: User) -> dict:
    helper = WebAuthnCredential.get_webauthn_helper(request=request)
    # The password was checked already: presence of the key is the second factor; a PIN or
    # fingerprint is welcome but not required (user verification "discouraged").
    options, state = helper.authenticate_begin(user=user, require_user_verification=False)
    request.session[AUTHENTICATE_STATE_KEY] = {**state, "user_id": user.pk}
    return options


def key_authenticate_complete(*, request, user: User, data: dict) -> WebAuthnCredential:
    """The user's own credential that signed the challenge; raises OTPWebAuthnApiError."""
    state = _pop_state(request, AUTHENTICATE_STATE_KEY, user)
    helper = WebAuthnCredential.get_webauthn_helper(request=request)
    with rewrite_exceptions(logger=logger):
        # SECURITY: the helper refuses a credential of another user (CredentialUserMismatch).
        device = helper.authenticate_complete(user=user, state=state, data=data)
    if not device.confirmed:
        raise InvalidState()
    return device


def _pop_state(request, key: str, user: User) -> dict:
    state = request.session.pop(key, None)
    # Saved at once: even if checking fails below, this challenge is never offered again.
    request.session.save()
    if not state or state.pop("user_id", None) != user.pk:
        raise InvalidState()
    return state
