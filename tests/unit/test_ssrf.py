"""The source checker's address policy and its pinned connections, without a network.

Name resolution is replaced by fixed answers and the real connector by a spy, so these tests
show what the checker would connect to — and that for a refused address it never tries.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import httpcore
import httpx
import pytest

from api.settings import Settings
from api.sourcecheck.addresses import BlockedAddress, check_all, is_allowed, parse_networks
from api.sourcecheck.fetch import PinnedBackend, PinnedTransport, UnknownHost, fetch, make_client

BLOCKED = [
    "127.0.0.1",
    "127.255.255.254",
    "0.0.0.0",
    "0.1.2.3",
    "10.0.0.1",
    "100.64.0.1",
    "100.100.100.200",  # Alibaba Cloud's metadata service, inside CGNAT space
    "169.254.169.254",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.0.1",
    "192.0.0.170",
    "198.18.0.1",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "::",
    "::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "::127.0.0.1",  # IPv4-compatible
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "2001:db8::1",
    "fc00::1",
    "fd00::1",
    "fd00:ec2::254",  # AWS's IPv6 metadata service
    "fe80::1",
    "fe80::1%eth0",
    "fec0::1",
    "ff02::1",
]
PUBLIC = ["93.184.216.34", "8.8.8.8", "1.1.1.1", "::ffff:8.8.8.8", "2606:4700:4700::1111", "2a00:1450:4001::"]


@pytest.mark.parametrize("address", BLOCKED)
def test_private_loopback_link_local_and_special_addresses_are_refused(address: str) -> None:
    with pytest.raises(BlockedAddress):
        check_all("host.example", [address])


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address: str) -> None:
    assert [str(a) for a in check_all("host.example", [address])] == [str(ipaddress.ip_address(address))]


def test_the_allow_list_opens_exactly_what_it_names() -> None:
    allow = parse_networks(["127.0.0.1"])
    assert is_allowed(ipaddress.ip_address("127.0.0.1"), allow)
    assert is_allowed(ipaddress.ip_address("::ffff:127.0.0.1"), allow)  # the same address on the wire
    for other in ("127.0.0.2", "::1", "10.0.0.1", "169.254.169.254"):
        assert not is_allowed(ipaddress.ip_address(other), allow), other
    networks = parse_networks(["10.1.0.0/16", "fd12::/16"])
    assert is_allowed(ipaddress.ip_address("10.1.2.3"), networks)
    assert is_allowed(ipaddress.ip_address("fd12::5"), networks)
    assert not is_allowed(ipaddress.ip_address("10.2.0.1"), networks)


def test_a_malformed_allow_list_stops_the_process() -> None:
    with pytest.raises(SystemExit):
        parse_networks(["localhost"])


def test_one_private_address_among_public_ones_refuses_the_name() -> None:
    with pytest.raises(BlockedAddress) as caught:
        check_all("mixed.example", ["93.184.216.34", "10.0.0.5"])
    assert caught.value.address == "10.0.0.5"
    assert "mixed.example (10.0.0.5)" in str(caught.value)


class Spy(httpcore.AsyncNetworkBackend):
    """Stands in for the real connector: records what would be connected to, connects nowhere."""

    def __init__(self) -> None:
        self.connects: list[tuple[str, int]] = []

    async def connect_tcp(
        self, host: str, port: int, *args: Any, **kwargs: Any
    ) -> httpcore.AsyncNetworkStream:
        self.connects.append((host, port))
        raise httpcore.ConnectError("the spy connects nowhere")


def pinned(answers: dict[str, list[str]], allow: list[str] | None = None) -> tuple[PinnedBackend, Spy]:
    backend = PinnedBackend(parse_networks(allow or []))
    spy = Spy()
    backend._inner = spy  # type: ignore[assignment]

    async def resolve(host: str, port: int, seconds: float | None) -> list[str]:
        if host not in answers:
            raise UnknownHost(host, socket.gaierror(socket.EAI_NONAME, "Name or service not known"))
        return answers[host]

    backend.resolve = resolve  # type: ignore[method-assign]
    return backend, spy


async def test_a_name_resolving_to_a_private_address_is_refused_before_any_connect() -> None:
    backend, spy = pinned({"rebind.example": ["169.254.169.254"]})
    with pytest.raises(BlockedAddress):
        await backend.connect_tcp("rebind.example", 80)
    assert spy.connects == []


async def test_the_connection_goes_to_the_vetted_address_not_to_the_name() -> None:
    backend, spy = pinned({"news.example": ["93.184.216.34", "2606:2800:220:1::1"]})
    with pytest.raises(httpcore.ConnectError):
        await backend.connect_tcp("news.example", 443)
    # Every vetted address is tried in turn; the name is never handed on to be resolved again.
    assert spy.connects == [("93.184.216.34", 443), ("2606:2800:220:1::1", 443)]


async def test_an_unknown_name_is_a_permanent_failure() -> None:
    backend, spy = pinned({})
    with pytest.raises(UnknownHost) as caught:
        await backend.connect_tcp("gone.example", 80)
    assert caught.value.permanent
    assert spy.connects == []


async def test_a_temporary_resolver_failure_is_not_permanent() -> None:
    assert not UnknownHost("x.example", socket.gaierror(socket.EAI_AGAIN, "try again")).permanent


async def test_the_real_resolver_is_used_for_ip_literals() -> None:
    backend = PinnedBackend()
    assert await backend.resolve("10.0.0.1", 80, 1.0) == ["10.0.0.1"]
    assert await backend.resolve("::1", 80, 1.0) == ["::1"]


async def test_httpx_through_the_pinned_transport_never_connects_to_a_refused_address() -> None:
    transport = PinnedTransport()
    backend, spy = pinned({"metadata.example": ["169.254.169.254"], "news.example": ["93.184.216.34"]})
    transport._pool._network_backend = backend  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(BlockedAddress):
            await client.get("http://metadata.example/latest/meta-data/")
        with pytest.raises(BlockedAddress):
            await client.get("https://metadata.example/")
        assert spy.connects == []
        with pytest.raises(httpx.ConnectError):
            await client.get("https://news.example/article")
    assert spy.connects == [("93.184.216.34", 443)]


async def test_a_fetch_reports_a_refusal_instead_of_raising() -> None:
    settings = Settings(source_check_total_seconds=2.0)
    async with make_client(settings) as client:
        result = await fetch(client, "http://169.254.169.254/latest/meta-data/", settings)
        assert result.failure == "refused"
        assert result.status_code is None and result.body == b""
        result = await fetch(client, "http://[::ffff:127.0.0.1]:9/", settings)
        assert result.failure == "refused"


def test_the_client_trusts_no_proxy_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://10.0.0.1:3128")
    monkeypatch.setenv("HTTPS_PROXY", "http://10.0.0.1:3128")
    client = make_client(Settings())
    assert client._trust_env is False
    assert isinstance(client._transport, PinnedTransport)
    assert not client._mounts
