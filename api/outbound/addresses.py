"""Which addresses the API may connect to on its own: public unicast addresses only.

Both outbound fetchers — the source checker (a source URL is whatever a user typed) and the
webhook sender (a URL an admin registered) — must not reach the API's own network: loopback,
private and shared (CGNAT) ranges, link-local (where cloud metadata services live,
169.254.169.254), multicast, reserved and documentation ranges, in IPv4 and IPv6. An IPv4-mapped
IPv6 address is judged as the IPv4 address it is on the wire; the other IPv6 forms that carry an
IPv4 address (IPv4-compatible, 6to4, NAT64, Teredo) are refused outright, since where they
lead depends on gateways outside the API's view. One allow-list of networks
(``CLAIMTRACK_OUTBOUND_ALLOW``) lets operators and the tests reach chosen private addresses.

A URL's host is judged twice: when a webhook is registered, a host that spells an address
literally (in any form a resolver accepts: ``127.1``, ``2130706433``, ``0x7f000001``,
``[::ffff:127.0.0.1]``) or is ``localhost`` is refused at once (``named_address``); and at every
connection, whatever the host is, by the addresses it resolves to (``check_all``, used by
api/outbound/transport.py).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

SETTING = "CLAIMTRACK_OUTBOUND_ALLOW"

# Spelled out although ``is_global`` covers most of them: the answer must not depend on
# which Python patch release classifies which range. Each with the word a refusal uses for it.
_BLOCKED: tuple[tuple[IPNetwork, str], ...] = tuple(
    (ipaddress.ip_network(n), kind)
    for n, kind in (
        ("0.0.0.0/8", "unspecified"),  # "this network"; 0.0.0.0 reaches the local host on Linux
        ("10.0.0.0/8", "private"),
        # shared address space (CGNAT); 100.100.100.200 is a metadata service
        ("100.64.0.0/10", "shared (CGNAT)"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),  # 169.254.169.254 and other metadata services
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "special-purpose"),
        ("192.0.2.0/24", "documentation"),
        ("192.88.99.0/24", "special-purpose"),
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "special-purpose"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),  # and 255.255.255.255
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("::/96", "IPv4-compatible"),  # deprecated
        ("::ffff:0:0/96", "IPv4-mapped"),
        ("64:ff9b::/96", "NAT64"),
        ("64:ff9b:1::/48", "NAT64"),
        ("100::/64", "special-purpose"),  # discard
        ("2001::/23", "special-purpose"),  # IETF protocol assignments, Teredo among them
        ("2001:db8::/32", "documentation"),
        ("2002::/16", "6to4"),
        ("fc00::/7", "private"),  # unique local, fd00::/8 among them (fd00:ec2::254: metadata)
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local"),
        ("ff00::/8", "multicast"),
    )
)


class BlockedAddress(Exception):
    """A connection refused: the host is, or resolves to, an address the API may not reach."""

    def __init__(self, host: str, address: IPAddress) -> None:
        spelled = _spelled(address)
        shown = host if host.strip("[]") == spelled else f"{host} ({spelled})"
        super().__init__(f"refused: {shown} is {_article(kind(address))} address not in {SETTING}")
        self.host = host
        self.address = spelled


def _article(word: str) -> str:
    return f"an {word}" if word[0].lower() in "aeiou" else f"a {word}"


def parse_networks(entries: Iterable[str]) -> tuple[IPNetwork, ...]:
    """The allow-list setting: addresses or CIDR networks, e.g. ``127.0.0.1``, ``10.1.0.0/16``."""
    networks: list[IPNetwork] = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as exc:
            raise SystemExit(f"{SETTING}: {entry!r} is not an address or network") from exc
    return tuple(networks)


def parse_address(text: str) -> IPAddress:
    """An address as getaddrinfo gives it; an IPv6 zone (``fe80::1%eth0``) is dropped."""
    return ipaddress.ip_address(text.split("%", 1)[0])


def kind(address: IPAddress) -> str:
    """What sort of address this is, in the words a refusal uses ("loopback", "private", …)."""
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        return kind(mapped)
    for network, name in _BLOCKED:
        if network.version == address.version and address in network:
            return name
    if address.is_multicast:
        return "multicast"
    return "public" if address.is_global else "non-public"


def _public(address: IPAddress) -> bool:
    if any(address in network for network, _ in _BLOCKED if network.version == address.version):
        return False
    return address.is_global and not address.is_multicast


def _spelled(address: IPAddress) -> str:
    """An IPv4-mapped address with its IPv4 part dotted, as newer Pythons print it."""
    mapped = getattr(address, "ipv4_mapped", None)
    return f"::ffff:{mapped}" if mapped is not None else str(address)


def is_allowed(address: IPAddress, allow: Iterable[IPNetwork] = ()) -> bool:
    """Whether the API may connect to ``address``: public, or inside an allowed network."""
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
            raise BlockedAddress(host, address)
    return parsed


def _ipv4_part(part: str) -> int | None:
    """One part of an IPv4 literal as inet_aton reads it: decimal, octal (leading 0) or hex."""
    if part[:2] in ("0x", "0X"):
        digits, base = part[2:] or "0", 16
    elif len(part) > 1 and part[0] == "0":
        digits, base = part[1:], 8
    else:
        digits, base = part, 10
    try:
        return int(digits, base) if digits.isalnum() and digits.isascii() else None
    except ValueError:
        return None


def _ipv4_literal(host: str) -> ipaddress.IPv4Address | None:
    """``127.0.0.1``, ``127.1``, ``2130706433``, ``0x7f000001``, ``0177.0.0.1``: the forms a
    resolver (inet_aton, and browsers' URL parsers) takes for an address, not a name."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(parts):
        return None
    numbers = [_ipv4_part(p) for p in parts]
    if any(n is None for n in numbers):
        return None
    *leading, last = [n for n in numbers if n is not None]
    if any(n > 255 for n in leading) or last >= 256 ** (5 - len(parts)):
        return None
    value = last
    for i, n in enumerate(leading):
        value += n << (8 * (3 - i))
    return ipaddress.IPv4Address(value)


def named_address(host: str) -> IPAddress | None:
    """The address a URL's host names without asking DNS: an IP literal in any spelling, or
    127.0.0.1 for ``localhost`` and its subdomains (RFC 6761: always the loopback); None for a
    name only DNS can answer for."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return ipaddress.IPv4Address("127.0.0.1")
    try:
        return parse_address(host)
    except ValueError:
        return _ipv4_literal(host)


def check_host(host: str, allow: Iterable[IPNetwork] = ()) -> None:
    """``BlockedAddress`` when ``host`` names, without DNS, an address the API may not reach."""
    address = named_address(host)
    if address is not None and not is_allowed(address, allow):
        raise BlockedAddress(host, address)
