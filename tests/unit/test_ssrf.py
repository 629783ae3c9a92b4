"""The outbound guard's address policy and its pinned connections, without a network.

Name resolution is replaced by fixed answers and the real connector by a spy, so these tests
show what the source checker and the webhook sender would connect to — and that for a refused
address they never try.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import httpcore
import httpx
import pytest

from api.app import create_app
from api.outbound.addresses import (
    BlockedAddress,
    check_all,
    check_host,
    is_allowed,
    named_address,
    parse_networks,
)
from api.outbound.transport import PinnedBackend, PinnedTransport, UnknownHost, pinned_client
from api.settings import Settings
from api.sourcecheck.fetch import fetch, make_client
from api.webhooks import worker

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


# ---- one allow-list for both fetchers ------------------------------------------------------------


def test_the_allow_list_setting_and_its_former_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLAIMTRACK_OUTBOUND_ALLOW", raising=False)
    monkeypatch.setenv("CLAIMTRACK_SOURCE_CHECK_ALLOW", "10.1.0.0/16, 127.0.0.1")
    assert Settings.from_env().outbound_allow == ("10.1.0.0/16", "127.0.0.1")
    monkeypatch.setenv("CLAIMTRACK_OUTBOUND_ALLOW", "127.0.0.1,fd12::/16")
    settings = Settings.from_env()
    assert settings.outbound_allow == ("127.0.0.1", "fd12::/16", "10.1.0.0/16")
    assert [str(n) for n in settings.outbound_networks] == ["127.0.0.1/32", "fd12::/16", "10.1.0.0/16"]
    monkeypatch.delenv("CLAIMTRACK_SOURCE_CHECK_ALLOW")
    assert Settings.from_env().outbound_allow == ("127.0.0.1", "fd12::/16")


def test_a_malformed_allow_list_stops_the_start_not_a_request() -> None:
    with pytest.raises(SystemExit, match="CLAIMTRACK_OUTBOUND_ALLOW: 'intranet' is not an address"):
        create_app(
            Settings(database_url="postgresql://nobody@127.0.0.1:1/none", outbound_allow=("intranet",))
        )


def test_a_refusal_says_what_the_address_is_and_which_setting_lifts_it() -> None:
    with pytest.raises(BlockedAddress) as caught:
        check_all("127.0.0.1", ["127.0.0.1"])
    assert str(caught.value) == "refused: 127.0.0.1 is a loopback address not in CLAIMTRACK_OUTBOUND_ALLOW"
    for address, words in [
        ("169.254.169.254", "is a link-local address"),
        ("10.0.0.1", "is a private address"),
        ("0.0.0.0", "is an unspecified address"),
        ("::1", "is a loopback address"),
        ("::ffff:127.0.0.1", "is a loopback address"),
        ("100.100.100.200", "is a shared (CGNAT) address"),
        ("fd00:ec2::254", "is a private address"),
    ]:
        with pytest.raises(BlockedAddress) as caught:
            check_all("hooks.example", [address])
        assert f"hooks.example ({address}) {words} not in CLAIMTRACK_OUTBOUND_ALLOW" in str(caught.value)


# Every spelling of a loopback, unspecified, link-local or private address that resolvers (and so
# httpx, through getaddrinfo) accept in a URL, with the address it means.
LITERALS = [
    ("127.0.0.1", "127.0.0.1"),
    ("localhost", "127.0.0.1"),
    ("api.localhost", "127.0.0.1"),
    ("0.0.0.0", "0.0.0.0"),
    ("0", "0.0.0.0"),
    ("[::1]", "::1"),
    ("::1", "::1"),
    ("[::]", "::"),
    ("127.1", "127.0.0.1"),
    ("127.0.1", "127.0.0.1"),
    ("2130706433", "127.0.0.1"),
    ("0x7f000001", "127.0.0.1"),
    ("0x7F.0.0.1", "127.0.0.1"),
    ("0177.0.0.1", "127.0.0.1"),
    ("017700000001", "127.0.0.1"),
    ("[::ffff:127.0.0.1]", "::ffff:127.0.0.1"),
    ("[::ffff:7f00:1]", "::ffff:127.0.0.1"),
    ("169.254.169.254", "169.254.169.254"),
    ("2852039166", "169.254.169.254"),
    ("0xa9fea9fe", "169.254.169.254"),
    ("[::ffff:169.254.169.254]", "::ffff:169.254.169.254"),
    ("10.0.0.1", "10.0.0.1"),
    ("10.1", "10.0.0.1"),
    ("167772161", "10.0.0.1"),
    ("192.168.1.1", "192.168.1.1"),
    ("172.16.0.1", "172.16.0.1"),
    ("[fd00::1]", "fd00::1"),
    ("[fe80::1]", "fe80::1"),
]


@pytest.mark.parametrize(("host", "address"), LITERALS)
def test_every_spelling_of_a_private_address_is_recognised_without_dns(host: str, address: str) -> None:
    named = named_address(host)
    assert named is not None and named == ipaddress.ip_address(address)
    with pytest.raises(BlockedAddress):
        check_host(host)


@pytest.mark.parametrize(
    "host", ["example.org", "hooks.example.org", "1.1.1.1", "8.8.8.8", "134744072", "[2606:4700:4700::1111]"]
)
def test_public_addresses_and_names_pass_the_registration_check(host: str) -> None:
    check_host(host)


@pytest.mark.parametrize("host", ["1e2", "256.0.0.1", "0x1g", "12.34.56.78.90", "١٢٧.0.0.1", "1_0.0.0.1"])
def test_what_is_no_address_literal_is_left_to_dns(host: str) -> None:
    assert named_address(host) is None


def test_the_allow_list_lifts_the_registration_check() -> None:
    allow = parse_networks(["127.0.0.1"])
    for host in ("127.0.0.1", "127.1", "2130706433", "0x7f000001", "[::ffff:127.0.0.1]", "localhost"):
        check_host(host, allow)
    for host in ("127.0.0.2", "[::1]", "10.0.0.1", "169.254.169.254"):
        with pytest.raises(BlockedAddress):
            check_host(host, allow)


@pytest.mark.parametrize("host", ["127.1", "2130706433", "0x7f000001", "0177.0.0.1", "::ffff:127.0.0.1"])
async def test_the_resolver_reads_the_short_spellings_as_the_guard_does(host: str) -> None:
    """What the transport vets is what getaddrinfo makes of the host: the same address."""
    [resolved] = await PinnedBackend().resolve(host, 80, 1.0)
    assert named_address(host) == ipaddress.ip_address(resolved)
    with pytest.raises(BlockedAddress):
        check_all(host, [resolved])


# ---- the webhook sender goes through the same guard -----------------------------------------------


def delivery(url: str) -> dict[str, Any]:
    return {
        "id": "00000000-0000-0000-0000-000000000001",
        "event_id": "00000000-0000-0000-0000-000000000002",
        "type": "article.created",
        "occurred_at": "2026-01-01T00:00:00Z",
        "data": b"{}",
        "url": url,
        "secret": "whsec_" + "A" * 32,
        "previous_secret": None,
        "previous_secret_expires_at": None,
    }


async def send_through(
    url: str, answers: dict[str, list[str]], allow: list[str] | None = None
) -> tuple[int | None, str | None, Spy]:
    client = pinned_client(parse_networks(allow or []))
    backend, spy = pinned(answers, allow)
    client._transport._pool._network_backend = backend  # type: ignore[attr-defined]
    async with client:
        status, error = await worker._send(client, delivery(url))
    return status, error, spy


async def test_the_sender_refuses_a_name_that_resolves_to_a_private_address() -> None:
    # A name that passed registration and now resolves into the API's network (DNS rebinding).
    status, error, spy = await send_through("http://hooks.example/in", {"hooks.example": ["10.0.0.5"]})
    assert (status, error) == (
        None,
        "refused: hooks.example (10.0.0.5) is a private address not in CLAIMTRACK_OUTBOUND_ALLOW",
    )
    assert spy.connects == []
    status, error, spy = await send_through("http://0x7f000001:8080/", {"0x7f000001": ["127.0.0.1"]})
    assert error == "refused: 0x7f000001 (127.0.0.1) is a loopback address not in CLAIMTRACK_OUTBOUND_ALLOW"
    assert spy.connects == []


async def test_the_sender_tells_no_connection_failure_from_another() -> None:
    # The spy fails every connect: the error recorded says nothing of why.
    status, error, spy = await send_through(
        "http://hooks.example:5432/", {"hooks.example": ["10.0.0.5"]}, allow=["10.0.0.0/8"]
    )
    assert (status, error) == (None, worker.NO_ANSWER)
    assert spy.connects == [("10.0.0.5", 5432)]


async def test_an_unknown_webhook_host_is_recorded_as_such() -> None:
    status, error, spy = await send_through("http://gone.example/", {})
    assert status is None and error is not None and error.startswith("cannot resolve gone.example")
    assert spy.connects == []
