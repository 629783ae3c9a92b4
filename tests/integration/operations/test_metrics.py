"""GET /metrics: requests by route template and status, latency, the pool, database errors, backlogs."""

from __future__ import annotations

import asyncio
import os
import signal
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import psutil
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import LiveServer, create_key, new_database, settings_for
from tests.integration.helpers import create_article, create_source, example_url, wait_until
from tests.integration.operations.operations import Serving

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def scrape(http: httpx.AsyncClient) -> Samples:
    response = await http.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse(response.text)


@pytest.fixture(scope="module")
def metered(server_url: str) -> Iterator[tuple[LiveServer, str]]:
    """A database of its own, so that the backlogs are exactly what these tests made.

    One pooled connection that a request may wait 0.3 s for: a held row lock exhausts the pool.
    """
    with new_database(server_url, "metrics") as url:
        settings = settings_for(url, pool_min_size=1, pool_max_size=1, pool_acquire_timeout=0.3)
        server = LiveServer(settings).start()
        try:
            yield server, url
        finally:
            server.stop()


@pytest.fixture(scope="module")
async def admin(metered: tuple[LiveServer, str]) -> AsyncIterator[httpx.AsyncClient]:
    server, url = metered
    token = await create_key(url, "ops", ["read", "write", "admin"])
    async with httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as http:
        yield http


async def test_metrics_need_the_admin_scope(metered: tuple[LiveServer, str]) -> None:
    server, url = metered
    reader = await create_key(url, "reader", ["read", "write", "verify"])
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await http.get("/metrics")).status_code == 401
        response = await http.get("/metrics", headers={"Authorization": f"Bearer {reader}"})
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_metrics_are_public_only_when_configured(database_url: str) -> None:
    server = LiveServer(settings_for(database_url, metrics_public=True)).start()
    try:
        async with httpx.AsyncClient(base_url=server.url) as http:
            samples = await scrape(http)
    finally:
        server.stop()
    assert value(samples, "claimtrack_database_up") == 1


async def test_requests_are_counted_by_route_template_and_status(admin: httpx.AsyncClient) -> None:
    before = await scrape(admin)
    article = await create_article(admin)
    for _ in range(3):
        assert (await admin.get(f"/v1/articles/{article['id']}")).status_code == 200
    assert (await admin.get(f"/v1/articles/{uuid.uuid4()}")).status_code == 404
    assert (await admin.get(f"/no/such/path/{uuid.uuid4()}")).status_code == 404
    after = await scrape(admin)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    route = "/v1/articles/{article_id}"
    assert delta("claimtrack_http_requests_total", method="GET", route=route, status="200") == 3
    assert delta("claimtrack_http_requests_total", method="GET", route=route, status="404") == 1
    assert delta("claimtrack_http_requests_total", method="POST", route="/v1/articles", status="201") == 1
    # A path no route matched is counted, but never becomes a label of its own.
    assert delta("claimtrack_http_requests_total", method="GET", route="unmatched", status="404") == 1
    assert not [labels for (_, labels) in after if ("route", f"/no/such/path/{uuid}") in labels]
    assert not any(
        dict(labels).get("route", "").startswith("/v1/articles/") and "-" in dict(labels)["route"]
        for (_, labels) in after
    )
    # The latency histogram: every one of the four GETs of the route fell in some bucket.
    assert delta("claimtrack_http_request_duration_seconds_count", method="GET", route=route) == 4
    assert delta("claimtrack_http_request_duration_seconds_bucket", method="GET", route=route, le="+Inf") == 4
    assert delta("claimtrack_http_request_duration_seconds_sum", method="GET", route=route) > 0


async def test_backlogs_of_webhook_deliveries_and_source_checks(
    admin: httpx.AsyncClient, metered: tuple[LiveServer, str]
) -> None:
    _, url = metered
    conn = await asyncpg.connect(url)
    try:
        webhooks_before = await conn.fetchval(
            "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'"
        )
        due_before = await conn.fetchval("SELECT count(*) FROM sources WHERE next_check_at <= now()")
    finally:
        await conn.close()
    # This server sends no webhooks and checks no sources: what is queued stays queued.
    hook = await admin.post("/v1/webhooks", json={"url": example_url("hooks"), "event_types": ["source.*"]})
    assert hook.status_code == 201, hook.text
    for _ in range(2):
        await create_source(admin)

    samples = await scrape(admin)
    assert value(samples, "claimtrack_database_up") == 1
    assert value(samples, "claimtrack_webhook_backlog") == webhooks_before + 2
    assert value(samples, "claimtrack_source_check_backlog") == due_before + 2


async def test_pool_gauges_and_database_errors_while_the_only_connection_is_held(
    admin: httpx.AsyncClient, metered: tuple[LiveServer, str]
) -> None:
    """A PATCH waits on a row lock the test holds, so a second request finds no free connection."""
    _, url = metered
    source = await create_source(admin)
    before = await scrape(admin)
    assert value(before, "claimtrack_db_pool_waiting") == 0

    lock = await asyncpg.connect(url)
    try:
        transaction = lock.transaction()
        await transaction.start()
        await lock.execute("SELECT 1 FROM sources WHERE id = $1 FOR UPDATE", uuid.UUID(source["id"]))
        patch = asyncio.create_task(admin.patch(f"/v1/sources/{source['id']}", json={"title": "Gesperrt"}))
        # pg_locks is read afresh by every statement, also inside this transaction.
        await wait_until(
            lambda: lock.fetchval(
                "SELECT EXISTS (SELECT 1 FROM pg_locks"
                " WHERE NOT granted AND pg_backend_pid() = ANY(pg_blocking_pids(pid)))"
            ),
            what="the PATCH waits for the row lock, holding the only connection",
        )
        starved = await admin.get("/v1/sources")
        during = await scrape(admin)
        await transaction.rollback()
        assert (await patch).status_code == 200
    finally:
        await lock.close()
    after = await scrape(admin)

    assert starved.status_code == 503 and starved.headers["retry-after"]
    assert value(during, "claimtrack_db_pool_in_use") == 1
    assert value(during, "claimtrack_db_pool_connections") == 1
    # The scrape itself found no connection for the backlogs, and says so.
    assert value(during, "claimtrack_database_up") == 0
    assert (
        value(after, "claimtrack_db_errors_total", error="TimeoutError")
        - value(before, "claimtrack_db_errors_total", error="TimeoutError")
        == 1
    )
    assert value(after, "claimtrack_db_pool_waiting") == 0
    assert value(after, "claimtrack_db_pool_in_use") == 0


def _worker_files(folder: str, pattern: str) -> set[int]:
    return {int(p.stem.rsplit("_", 1)[-1]) for p in Path(folder).glob(pattern)}


async def _replaced(serving: Serving, killed: int) -> None:
    parent = psutil.Process(serving.process.pid)

    def replaced() -> bool:
        workers = {child.pid for child in parent.children()}
        return killed not in workers and len(workers) >= 2

    await wait_until(replaced, what="uvicorn replaced the killed worker")


async def test_several_workers_are_counted_together(database_url: str) -> None:
    """`claimtrack serve --workers 2`: whichever worker answers the scrape, it reports all of them."""
    token = await create_key(database_url, f"ops-{uuid.uuid4().hex[:6]}", ["read", "admin"])

    def requests(samples: Samples) -> float:
        return value(samples, "claimtrack_http_requests_total", method="GET", route="/health", status="200")

    with tempfile.TemporaryDirectory(prefix="claimtrack-metrics-") as folder:
        # An earlier run's values are wiped at start, not added.
        (Path(folder) / "counter_1.db").write_bytes(b"left over")
        env = {"PROMETHEUS_MULTIPROC_DIR": folder}
        with Serving(database_url, "--workers", "2", env=env) as serving:
            await serving.ready()
            stale_kept = (Path(folder) / "counter_1.db").exists()
            # A new connection for each request, so that both workers get some.
            fresh = httpx.Limits(max_keepalive_connections=0)
            headers = {"Authorization": f"Bearer {token}"}
            async with httpx.AsyncClient(base_url=serving.url, headers=headers, limits=fresh) as http:
                for _ in range(20):
                    assert (await http.get("/health")).status_code == 200

                # A worker counts a request after its answer has gone; the other may be asked first.
                async def all_counted() -> bool:
                    return requests(await scrape(http)) == 20

                await wait_until(all_counted, what="the workers counted all 20 requests")
                scrapes = [await scrape(http) for _ in range(4)]

                # A worker killed outright: uvicorn starts another, and the next scrape no
                # longer adds the dead one's pool in.
                counted = _worker_files(folder, "gauge_livesum_*.db")
                killed = max(counted)
                os.kill(killed, signal.SIGKILL)
                await _replaced(serving, killed)
                after_kill = await scrape(http)
                left = _worker_files(folder, "gauge_livesum_*.db")

            serving.process.send_signal(signal.SIGTERM)
            exit_code = await asyncio.to_thread(serving.process.wait, 30)
            log = serving.output()

    assert [requests(s) for s in scrapes] == [20.0] * 4
    assert all(value(s, "claimtrack_db_pool_connections") >= 1 for s in scrapes)
    assert not stale_kept
    assert killed not in left and requests(after_kill) == 20.0
    assert exit_code == 0, log
