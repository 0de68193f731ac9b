"""The client's address, and whether it is inside one of the practice's office networks.

The address is REMOTE_ADDR, or the X-Forwarded-For entry appended by a proxy we trust
(settings.TRUSTED_PROXIES). Entries a client wrote itself are never believed.

Every address and network is read through `parse_ip` / `parse_network`, so the same client is
the same text in office-network and proxy matching, audit rows, sessions and rate-limit keys:
- An IPv4-mapped IPv6 address (`::ffff:10.1.2.3`, what a dual-stack listener reports for an
  IPv4 peer) is that IPv4 address, and an IPv4-mapped network (`::ffff:10.0.0.0/104`) is that
  IPv4 network (`10.0.0.0/8`).
- Other IPv6 forms that embed an IPv4 address (IPv4-compatible `::10.1.2.3`, 6to4 `2002::/16`,
  NAT64 `64:ff9b::/96`, Teredo) stay IPv6. SECURITY: their embedded IPv4 address is not where
  the packet came from, and anyone can write one that embeds an office's private address.
- An IPv6 zone id (`fe80::1%eth0`) is dropped: it names an interface of the host that saw the
  address, not part of the address.
- The forms proxies write in X-Forwarded-For are accepted: `1.2.3.4:5678`, `[2001:db8::1]`,
  `[2001:db8::1]:443`.
"""

import ipaddress
from collections.abc import Iterable

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Rate limits count an IPv6 client by its /64: one subscriber is handed a whole /64 and can use
# any address in it, so counting single addresses would let one client try without limit.
IPV6_LIMIT_PREFIX = 64


def _is_port(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _strip_port(value: str) -> str:
    if value.startswith("["):
        host, bracket, rest = value[1:].partition("]")
        if bracket and (not rest or (rest[0] == ":" and _is_port(rest[1:]))):
            return host
        return value
    host, colon, port = value.partition(":")
    # One colon only: an IPv6 address has at least two, and must be bracketed to carry a port.
    if colon and _is_port(port):
        return host
    return value


def parse_ip(value: str) -> IPAddress | None:
    """The address in `value` as we compare and store it (see the module docstring), or None."""
    try:
        address = ipaddress.ip_address(_strip_port(value.strip()))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.scope_id is not None:
            return ipaddress.IPv6Address(address.packed)
    return address


def unmapped_network(network: IPNetwork) -> IPNetwork:
    """An IPv4-mapped IPv6 network as the IPv4 network; any other network as it is."""
    if isinstance(network, ipaddress.IPv6Network):
        mapped = network.network_address.ipv4_mapped
        if mapped is not None and network.prefixlen >= 96:
            return ipaddress.IPv4Network((mapped, network.prefixlen - 96))
        if network.network_address.scope_id is not None:
            return ipaddress.IPv6Network((network.network_address.packed, network.prefixlen))
    return network


def parse_network(value: str, *, strict: bool = True) -> IPNetwork:
    """The network in `value`, IPv4-mapped ones as IPv4. Raises ValueError.

    With `strict`, host bits set (`10.0.0.1/8`) are an error; without, they are cleared.
    """
    return unmapped_network(ipaddress.ip_network(value.strip(), strict=strict))


def is_trusted_proxy(address: IPAddress | None) -> bool:
    return address is not None and any(
        address in unmapped_network(net) for net in settings.TRUSTED_PROXIES
    )


def resolve_client_ip(remote_addr: str, forwarded_for: str) -> str:
    """Walk X-Forwarded-For from the right while each hop is a trusted proxy.

    SECURITY: each trusted proxy appends the address it saw; the right-most entry that was not
    added by one of our proxies is the client. Everything left of it is client-controlled.
    Returns "" when the client's address is not known.
    """
    peer = parse_ip(remote_addr)
    if peer is None:
        return ""
    if not is_trusted_proxy(peer) or not forwarded_for:
        return str(peer)
    client = peer
    for hop in reversed(forwarded_for.split(",")):
        address = parse_ip(hop)
        if address is None:
            # SECURITY: `client`, a proxy we trust, appended this entry and it names no address.
            # The client is unknown (so remote): not that proxy's own address, which may well be
            # inside an office network, and not an entry further left, which whoever reached
            # the proxy wrote.
            return ""
        client = address
        if not is_trusted_proxy(address):
            break
    return str(client)


def client_ip(request) -> str:
    """The client's address ("" when unknown), as TrustedProxyMiddleware decided it."""
    address = getattr(request, "client_ip", None)
    if address is None:
        # A request that did not pass through the middleware (a RequestFactory request).
        address = resolve_client_ip(
            request.META.get("REMOTE_ADDR", ""), request.META.get("HTTP_X_FORWARDED_FOR", "")
        )
    return address


def throttle_key(address: str) -> str:
    """The part of an address that rate limits count: an IPv4 address, an IPv6 /64."""
    parsed = parse_ip(address)
    if parsed is None:
        return "unknown"
    if parsed.version == 6:
        return str(ipaddress.IPv6Network((parsed, IPV6_LIMIT_PREFIX), strict=False))
    return str(parsed)


def in_networks(address: str, cidrs: Iterable[str]) -> bool:
    parsed = parse_ip(address)
    if parsed is None:
        return False
    for cidr in cidrs:
        network = parse_network(cidr, strict=False)
        if parsed.version == network.version and parsed in network:
            return True
    return False
