"""Authenticator apps: start a setup (a new secret), show it as a QR code, confirm with a code."""

import base64
from urllib.parse import quote, urlencode

import qrcode
import qrcode.image.svg
from django.db import transaction

from accounts.models import User
from mfa.devices import NAME_MAX_LENGTH, device_added, device_added_notice
from mfa.models import AuthenticatorApp
from practice.vocabulary import FactorKind


def default_title(user: User) -> str:
    """What the phone app shows for this account: the practice's name (OfficeEMR's default)."""
    return (user.practice.name if user.practice_id else "PracticeGate")[:NAME_MAX_LENGTH]


def totp_setup_start(*, user: User, title: str) -> AuthenticatorApp:
    """A new, unconfirmed app with a fresh secret; an earlier unfinished setup is dropped."""
    with transaction.atomic():
        AuthenticatorApp.objects.filter(user=user, confirmed=False).delete()
        return AuthenticatorApp.objects.create(
            user=user,
            name=_clean_title(title) or default_title(user),
            confirmed=False,
            step=30,
            digits=6,
            tolerance=1,
        )


def totp_title_set(*, device: AuthenticatorApp, title: str) -> None:
    device.name = _clean_title(title) or default_title(device.user)
    device.save(update_fields=["name"])


def totp_setup_confirm(
    *, device: AuthenticatorApp, code: str, actor: User | None, request=None
) -> bool:
    """Confirm the app with a code it shows; False (nothing changed) for a wrong code."""
    with transaction.atomic():
        device = AuthenticatorApp.objects.select_for_update().get(pk=device.pk)
        if device.confirmed or not device.verify_token(code):
            return False
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        device_added(
            user=device.user, device=device, kind=FactorKind.APP, actor=actor, request=request
        )
    device_added_notice(user=device.user, kind=FactorKind.APP, name=device.name)
    return True


def provisioning_uri(device: AuthenticatorApp) -> str:
    """The otpauth:// URI of Google's Key URI Format: what the QR code holds."""
    title = device.name.replace(":", "")
    label = f"{quote(title)}:{quote(device.user.get_username().replace(':', ''))}"
    params = urlencode(
        {
            "secret": secret_base32(device),
            "issuer": title,
            "algorithm": "SHA1",
            "digits": device.digits,
            "period": device.step,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{params}"


def secret_base32(device: AuthenticatorApp) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def secret_for_typing(device: AuthenticatorApp) -> str:
    """The key in groups of four, for typing into an app by hand."""
    key = secret_base32(device)
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def qr_code_data_uri(text: str) -> str:
    """An SVG QR code as a data: URI (our CSP allows data: images; nothing is fetched)."""
    image = qrcode.make(
        text,
        image_factory=qrcode.image.svg.SvgPathFillImage,
        box_size=10,
        border=4,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
    )
    svg = image.to_string(encoding="unicode")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _clean_title(title: str) -> str:
    return " ".join((title or "").split())[:NAME_MAX_LENGTH]
