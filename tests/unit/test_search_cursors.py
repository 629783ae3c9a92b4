"""Cursors, filters and hit shapes of the claim search, without a database."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import msgspec
import pytest

from api.errors import InvalidRequest
from api.http import encode_cursor
from api.search import service
from schemas.search import ClaimHit, MatchRequest, SearchHit

CLAIM_ID = uuid4()


@pytest.mark.parametrize(
    ("order", "value"),
    [
        ("updated_at", datetime(2026, 11, 27, 10, 0, 0, 123456, tzinfo=UTC)),
        ("created_at", datetime(2026, 1, 1, tzinfo=UTC)),
        ("rank", 0.0607927106320858),
        ("rank", 0.0),
    ],
)
def test_a_cursor_gives_back_its_position_exactly(order: str, value: datetime | float) -> None:
    raw = encode_cursor([order, value.isoformat() if isinstance(value, datetime) else value, str(CLAIM_ID)])
    assert service.after(raw, order) == (value, CLAIM_ID)


def test_the_first_page_has_no_position() -> None:
    assert service.after(None, "updated_at") == (None, None)


@pytest.mark.parametrize(
    ("cursor_order", "value", "order"),
    [
        ("updated_at", "2026-11-27T10:00:00+00:00", "created_at"),
        ("created_at", "2026-11-27T10:00:00+00:00", "rank"),
        ("rank", 0.5, "updated_at"),
        ("rank", "2026-11-27T10:00:00+00:00", "rank"),  # a time where a rank belongs
        ("updated_at", 0.5, "updated_at"),
    ],
)
def test_a_cursor_of_another_order_is_refused(cursor_order: str, value: object, order: str) -> None:
    raw = encode_cursor([cursor_order, value, str(CLAIM_ID)])
    with pytest.raises(InvalidRequest) as caught:
        service.after(raw, order)
    assert caught.value.errors is not None and caught.value.errors[0].field == "/cursor"


@pytest.mark.parametrize("raw", ["", "bm90IGpzb24", encode_cursor(["score", 1.0, str(CLAIM_ID)])])
def test_a_cursor_this_api_did_not_make_is_refused(raw: str) -> None:
    with pytest.raises(InvalidRequest):
        service.after(raw, "updated_at")


def test_filters_send_the_source_url_in_its_normalised_spelling() -> None:
    filters = service.ClaimFilters(source_url="HTTPS://Example.ORG/a/?utm_source=x&b=1#top", status="false")
    assert filters.arguments() == ["false", *[None] * 6]
    assert filters.joined() == (("source_url",), ["https://example.org/a?b=1"])
    assert service.ClaimFilters().joined() == ((), [])


def test_a_malformed_source_url_is_invalid_input() -> None:
    with pytest.raises(InvalidRequest) as caught:
        service.ClaimFilters(source_url="ftp://example.org/x").joined()
    assert caught.value.errors is not None and caught.value.errors[0].field == "/source_url"


def test_joined_filters_are_numbered_after_the_listings_parameters() -> None:
    filters = service.ClaimFilters(outlet="Rundschau", source_id=CLAIM_ID, source_health=("dead",))
    names, values = filters.joined()
    assert names == ("source_id", "outlet", "source_health")
    assert values == [CLAIM_ID, "Rundschau", ["dead"]]
    for listing in ("claims_by_time", "claims_by_rank"):
        sql = service.statement(listing, names)
        assert "/* claim_filters */" not in sql and "$?" not in sql
        assert "cs.source_id = $12::uuid" in sql
        assert "lower(a.outlet) = lower($13::text)" in sql
        assert "s.health = any($14::text[])" in sql
        assert "$15" not in sql
        assert "claim_sources cs" not in service.statement(listing)


async def test_sort_with_q_is_refused_before_the_database_is_asked() -> None:
    with pytest.raises(InvalidRequest) as caught:
        await service.find_claims(None, service.ClaimFilters(), "Tote", "created_at", None, 10)  # type: ignore[arg-type]
    assert caught.value.errors is not None and caught.value.errors[0].field == "/sort"


def _claim(**extra: object) -> dict[str, object]:
    return {
        "id": str(CLAIM_ID),
        "article_id": str(uuid4()),
        "text": "164 Tote",
        "quote": "164 Tote",
        "span": {"start": 0, "end": 8},
        "selector": {"exact": "164 Tote", "prefix": "", "suffix": ""},
        "anchor_status": "anchored",
        "revision": 1,
        "language": "de",
        "claimant": None,
        "claimant_type": None,
        "claim_date": None,
        "tags": [],
        "status": "unverified",
        "rating": None,
        "review_url": None,
        "version": 1,
        "created_by": None,
        "updated_by": None,
        "created_at": "2026-11-27T10:00:00Z",
        "updated_at": "2026-11-27T10:00:00Z",
        "sources": [],
        "quantities": [],
        "quote_quantities": [],
        **extra,
    }


def test_a_claim_carries_search_only_when_it_is_a_hit() -> None:
    plain = msgspec.json.decode(msgspec.json.encode(_claim()), type=ClaimHit)
    shown = msgspec.json.decode(msgspec.json.encode(plain))
    assert "search" not in shown
    # Required, so never omitted, though equal to what a default would be.
    assert shown["quantities"] == [] and shown["quote_quantities"] == []
    assert shown["revision"] == 1 and shown["claimant_type"] is None
    hit = msgspec.structs.replace(plain, search=SearchHit(rank=0.5, snippet="<mark>164</mark> Tote"))
    assert msgspec.json.decode(msgspec.json.encode(hit))["search"] == {
        "rank": 0.5,
        "snippet": "<mark>164</mark> Tote",
    }
    assert UUID(str(hit.id)) == CLAIM_ID


@pytest.mark.parametrize(
    "body",
    [
        b'{"text": "164 Tote", "extra": 1}',
        b'{"text": "164 Tote", "limit": "5"}',
        b'{"text": "164 Tote", "limit": 0}',
        b'{"text": "164 Tote", "language": "deutsch-sprache"}',
        b'{"text": "a\\u0000b"}',
        b'{"language": "de"}',
    ],
)
def test_a_match_request_is_decoded_strictly(body: bytes) -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(body, type=MatchRequest)


def test_a_match_request_defaults() -> None:
    request = msgspec.json.decode(b'{"text": "164 Tote"}', type=MatchRequest)
    assert (request.language, request.limit) == (None, 10)
