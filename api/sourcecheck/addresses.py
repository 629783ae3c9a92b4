"""Which addresses the source checker may connect to: public unicast addresses only.

A source URL is whatever a user typed, so fetching it must not reach the API's own network:
loopback, private and shared (CGNAT) ranges, link-local (where cloud metadata services live,
169.254.169.254), multicast, reserved and documentation ranges, in IPv4 and IPv6. An IPv4-mapped
IPv6 address is judged as the IPv4 address it is on the wire; the other IPv6 forms that carry an
IPv4 address (IPv4-compatible, 6to4, NAT64, Teredo) are refused outright, since where they
lead depends on gateways outside the checker's view. An allow-list of networks (a setting) lets
operators and the tests reach chosen private addresses.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Spelled out although ``is_global`` covers most of them: the answer must not depend on
# which Python patch release classifies which range.
_BLOCKED: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",  # "this network"; 0.0.0.0 reaches the local host on Linux
        "10.0.0.0/8",
        "100.64.0.0/10",  # shared address space (CGNAT); 100.100.100.200 is a metadata service
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local: 169.254.169.254 and other metadata services
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",  # reserved, and 255.255.255.255
        "::/128",
        "::1/128",
        "::/96",  # IPv4-compatible (deprecated)
        "::ffff:0:0/96",  # IPv4-mapped
        "64:ff9b::/96",  # NAT64
        "64:ff9b:1::/48",
        "100::/64",  # discard
        "2001::/23",  # IETF protocol assignments, Teredo among them
        "2001:db8::/32",
        "2002::/16",  # 6to4
        "fc00::/7",  # unique local, fd00::/8 among them (fd00:ec2::254 is a metadata service)
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    )
)


class BlockedAddress(Exception):
    """The checker refused to connect: the host resolves to an address it may not reach."""

    def __init__(self, host: str, address: str) -> None:
        shown = host if host == address else f"{host} ({address})"
        super().__init__(f"refused to connect to {shown}: not a public address")
        self.host = host
        self.address = address


def parse_networks(entries: Iterable[str]) -> tuple[IPNetwork, ...]:
    """The allow-list setting: addresses or CIDR networks, e.g. ``127.0.0.1``, ``10.1.0.0/16``."""
    networks: list[IPNetwork] = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as exc:
            raise SystemExit(
                f"CLAIMTRACK_SOURCE_CHECK_ALLOW: {entry!r} is not an address or network"
            ) from exc
    return tuple(networks)


def parse_address(text: str) -> IPAddress:
    """An address as getaddrinfo gives it; an IPv6 zone (``fe80::1%eth0``) is dropped."""
    return ipaddress.ip_address(text.split("%", 1)[0])


def _public(address: IPAddress) -> bool:
    if any(address in network for network in _BLOCKED if network.version == address.version):
        return False
    return address.is_global and not address.is_multicast


def _spelled(address: IPAddress) -> str:
    """An IPv4-mapped address with its IPv4 part dotted, as newer Pythons print it."""
    mapped = getattr(address, "ipv4_mapped", None)
    return f"::ffff:{mapped}" if mapped is not None else str(address)


def is_allowed(address: IPAddress, allow: Iterable[IPNetwork] = ()) -> bool:
    """Whether the checker may connect to ``address``: public, or inside an allowed network."""
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped
        if mapped is not None:  # ::ffff:a.b.c.d is a.b.c.d on the wire
            return is_allowed(mapped, allow)
    if any(address in network for network in allow if network.version == address.version):
        return True
    return _public(address)


def check_all(host: str, addresses: Iterable[str], allow: Iterable[IPNetwork] = ()) -> list[IPAddress]:
    """Every address a host resolves to, parsed; ``BlockedAddress`` if any one may not be reached.

    All of them are judged, not only the one connected to: a name that resolves to a public and
    a private address is refused, so a round-robin record cannot smuggle a private one in.
    """
    allowed = tuple(allow)
    parsed = [parse_address(a) for a in addresses]
    for address in parsed:
        if not is_allowed(address, allowed):
            raise BlockedAddress(host, _spelled(address))
    return parsed
