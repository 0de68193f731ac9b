"""Whether this page can use a security key or passkey at all, and if not, why.

WebAuthn works only in a secure context (https, or http on localhost) and only on a host that
is the relying party's id (settings.OTP_WEBAUTHN_RP_ID) or a name under it. An IP address can
never be a relying party id: on http://127.0.0.1:8000 the browser refuses with nothing better
than "An unknown error occurred". So the pages offer keys only where they can work, and say
why otherwise.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest

LOCAL_NAMES = ("localhost",)


def _host(request: HttpRequest) -> str:
    host = request.get_host().lower()
    if host.startswith("["):  # [::1]:8000
        return host[1:].split("]")[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _is_local(host: str) -> bool:
    return host in LOCAL_NAMES or host.endswith(".localhost")


def passkey_origin() -> str:
    """The address where keys do work (the first allowed origin), to send people to."""
    origins = settings.OTP_WEBAUTHN_ALLOWED_ORIGINS
    return (origins[0] if origins else "").rstrip("/")


def passkey_unavailable_reason(request: HttpRequest) -> str:
    """Why this page cannot use a security key or passkey; "" when it can."""
    host = _host(request)
    rp_id = settings.OTP_WEBAUTHN_RP_ID.lower()
    origin = passkey_origin()
    there = f" Open {origin}/ to use one." if origin else ""
    if _is_address(host):
        return (
            f"Security keys and passkeys need the site's name in the address bar, not a "
            f"number such as {host}.{there}"
        )
    if not request.is_secure() and not _is_local(host):
        return f"Security keys and passkeys need a secure (https) connection.{there}"
    if host != rp_id and not host.endswith(f".{rp_id}"):
        return f"Security keys and passkeys are set up for {rp_id}, not {host}.{there}"
    return ""
