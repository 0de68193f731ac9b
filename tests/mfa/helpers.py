"""Second-factor test data and what a user's phone would do (compute a code, read a text)."""

import base64
import re
import time

import pyotp
from django.utils import timezone

from accounts.reauth import REAUTH_SESSION_KEY
from mfa.models import AuthenticatorApp, PhoneDevice


def app_device(user, *, name="Valley Pediatrics", confirmed=True) -> AuthenticatorApp:
    return AuthenticatorApp.objects.create(
        user=user, name=name, confirmed=confirmed, step=30, digits=6, tolerance=1
    )


def phone_device(user, *, number="+12025550143", method="sms", confirmed=True) -> PhoneDevice:
    return PhoneDevice.objects.create(
        user=user, name=f"Phone {number[-4:]}", number=number, method=method, confirmed=confirmed
    )


def totp_for(device: AuthenticatorApp) -> pyotp.TOTP:
    """What an authenticator app holding this device's secret computes."""
    return pyotp.TOTP(base64.b32encode(device.bin_key).decode())


def app_code(device: AuthenticatorApp, *, steps: int = 0) -> str:
    """The app's code now, or `steps` steps away (negative: in the past)."""
    return totp_for(device).at(time.time() + steps * 30)


def code_in(message) -> str:
    """The six digits of a text message, or of a voice call's first reading."""
    digits = re.findall(r"\d", " ".join(getattr(message, "sentences", ())) or "")
    if digits:
        return "".join(digits[:6])
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def reauth(client) -> None:
    """As if the user had just typed their password again (accounts.reauth)."""
    session = client.session
    session[REAUTH_SESSION_KEY] = time.time()
    session.save()


def confirmed_recently(user) -> None:
    user.mobile_phone = "+12025550143"
    user.mobile_phone_verified_at = timezone.now()
    user.save(update_fields=["mobile_phone", "mobile_phone_verified_at"])
