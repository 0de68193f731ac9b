"""The client's address, and whether it is inside one of the practice's office networks.

The address is REMOTE_ADDR, or the X-Forwarded-For entry appended by a proxy we trust
(settings.TRUSTED_PROXIES). Entries a client wrote itself are never believed.
"""

import ipaddress
from collections.abc import Iterable

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _parse(value: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _is_trusted_proxy(address: IPAddress | None) -> bool:
    return address is not None and any(address in net for net in settings.TRUSTED_PROXIES)


def resolve_client_ip(remote_addr: str, forwarded_for: str) -> str:
    """Walk X-Forwarded-For from the right while each hop is a trusted proxy.

    SECURITY: each trusted proxy appends the address it saw; the right-most entry that was not
    added by one of our proxies is the client. Everything left of it is client-controlled.
    """
    peer = _parse(remote_addr)
    if not _is_trusted_proxy(peer) or not forwarded_for:
        return str(peer) if peer else ""
    hops = [h for h in (part.strip() for part in forwarded_for.split(",")) if h]
    client = peer
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            break
        client = address
        if not _is_trusted_proxy(address):
            break
    return str(client)


def client_ip(request) -> str:
    """The address set by TrustedProxyMiddleware (or REMOTE_ADDR for a bare request)."""
    return getattr(request, "client_ip", None) or request.META.get("REMOTE_ADDR", "")


def in_networks(address: str, cidrs: Iterable[str]) -> bool:
    parsed = _parse(address)
    if parsed is None:
        return False
    for cidr in cidrs:
        network = ipaddress.ip_network(cidr, strict=False)
        if parsed.version == network.version and parsed in network:
            return True
    return False
