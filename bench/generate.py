"""Fill a claimtrack database with articles, claims, sources, links and verification history.

    python -m bench.generate --database-url URL --articles N --claims-per-article 20 --sources-per-claim 2

Every row obeys the schema: each claim's quote is exactly ``body[span_start:span_end]`` of its
article (the deferred trigger ``claims_span_in_body`` checks it at each commit), prefix and
suffix are the 32 code points around it, ratings match statuses, every link carries its
claim's article_id, and a claim past ``unverified`` has the history rows that got it there,
with the evidence its status needs. About 1 claim in 200 is orphaned (no span).

Rows go in through binary COPY, in transactions of ``CHUNK_ARTICLES`` articles, from a few
worker processes so that building the rows in Python and storing them in PostgreSQL overlap.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from api.settings import asyncpg_dsn
from bench.vocabulary import VOCABULARIES, Vocabulary

CHUNK_ARTICLES = 500
CONTEXT = 32  # code points of prefix and suffix, as the API stores them
ACTOR = "bench-generator"

ARTICLE_COLUMNS = (
    "id", "url", "external_id", "title", "language", "outlet", "published_at", "body",
    "created_by", "updated_by", "created_at", "updated_at",
)  # fmt: skip
CLAIM_COLUMNS = (
    "id", "article_id", "text", "quote", "span_start", "span_end", "prefix", "suffix", "language",
    "claimant", "claim_date", "tags", "status", "rating_value", "rating_text", "review_url", "version",
    "created_by", "updated_by", "created_at", "updated_at",
)  # fmt: skip
SOURCE_COLUMNS = (
    "id", "url", "title", "publisher", "kind", "language", "published_at", "created_by", "updated_by",
    "created_at", "updated_at",
)  # fmt: skip
LINK_COLUMNS = ("claim_id", "source_id", "article_id", "relation", "excerpt", "added_by", "added_at")
VERIFICATION_COLUMNS = (
    "id", "claim_id", "article_id", "status", "previous_status", "rating_value", "rating_text", "note",
    "evidence", "actor", "claim_version", "created_at",
)  # fmt: skip

# The final status of a generated claim, with its weight; most claims are never checked.
STATUS_WEIGHTS = {
    "unverified": 64,
    "in_review": 10,
    "verified": 12,
    "false": 5,
    "misleading": 4,
    "disputed": 3,
    "unverifiable": 2,
}
RATINGS = {
    "verified": (5, "True"),
    "misleading": (2, "Misleading"),
    "disputed": (3, "Disputed"),
    "false": (1, "False"),
    "unverifiable": (None, "Unverifiable"),
}
# The relations a status rests on come first among a claim's links (see api.claims.rules).
EVIDENCE = {"verified": ("supports",), "false": ("refutes",), "disputed": ("supports", "refutes")}
NEEDS_NOTE = {"misleading", "unverifiable"}
RELATIONS = ("supports", "refutes", "context", "origin")
SOURCE_KINDS = (
    "official_statement",
    "news_report",
    "social_post",
    "document",
    "dataset",
    "fact_check",
    "other",
)
ORPHANED_PER_MILLE = 5


@dataclass(frozen=True, slots=True)
class Plan:
    database_url: str
    articles: int
    claims_per_article: int
    sources_per_claim: int
    source_ids: tuple[uuid.UUID, ...]
    now: datetime
    seed: int


# ---- text -----------------------------------------------------------------------------------


def _number(vocab: Vocabulary, value: int) -> str:
    return f"{value:,}".replace(",", vocab.thousands)


def _slots(rng: random.Random, vocab: Vocabulary) -> dict[str, str]:
    place = rng.choice(vocab.places)
    magnitude = rng.choice((100, 1_000, 10_000, 100_000, 1_000_000))
    year = rng.randint(1991, 2025)
    subject = rng.choice(vocab.subjects)
    return {
        "S": subject,
        # Lower-cased inside a sentence, except for abbreviations such as МВД.
        "s": subject[0].lower() + subject[1:] if subject[1:2].islower() else subject,
        "p": place,
        "P": place[0].upper() + place[1:],
        "u": rng.choice(vocab.units),
        "n": _number(vocab, rng.randint(magnitude // 10 + 1, magnitude)),
        "pct": f"{rng.randint(1, 95)}{vocab.decimal}{rng.randint(0, 9)}",
        "m": f"{rng.randint(1, 999)}{vocab.decimal}{rng.randint(0, 9)}",
        "k": str(rng.randint(2, 18)),
        "y": str(year),
        "y2": str(rng.randint(2026, 2040)),
    }


def _fill(template: str, slots: dict[str, str]) -> str:
    return template.format_map(slots)


def _article_text(
    rng: random.Random, vocab: Vocabulary, lead: dict[str, str], claims: int
) -> tuple[str, list[tuple[str, str, int, int]]]:
    """A body (a lead, then each claim's sentence with filler sentences around it) and, for
    each claim, (its text, its quote, start, end); start and end are -1 for an orphaned claim."""
    sentences = [_fill(rng.choice(vocab.fillers), lead)]
    length = len(sentences[0])
    placed: list[tuple[str, str, int, int]] = []
    for _ in range(claims):
        slots = _slots(rng, vocab)
        said, phrased = rng.choice(vocab.claims)
        sentence = _fill(said, slots)
        if rng.randrange(1000) < ORPHANED_PER_MILLE:
            placed.append((_fill(phrased, slots), sentence, -1, -1))
        else:
            # The quote is the sentence without its full stop, or all of it.
            quote = sentence[:-1] if rng.random() < 0.5 else sentence
            start = length + 1
            sentences.append(sentence)
            length = start + len(sentence)
            placed.append((_fill(phrased, slots), quote, start, start + len(quote)))
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            sentences.append(_fill(rng.choice(vocab.fillers), _slots(rng, vocab)))
            length += 1 + len(sentences[-1])
    return " ".join(sentences), placed


# ---- rows -----------------------------------------------------------------------------------


def _chunk_rows(plan: Plan, first: int, count: int) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of articles ``first`` .. ``first + count - 1``; the same seed gives the same text."""
    rng = random.Random(plan.seed * 1_000_003 + first)
    statuses, weights = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())
    sources = plan.source_ids
    # A few sources are cited far more often than the rest, as in a real newsroom.
    popular = max(1, len(sources) // 20)
    rows: dict[str, list[tuple[Any, ...]]] = {"articles": [], "claims": [], "links": [], "verifications": []}
    for _ in range(count):
        vocab = rng.choice(VOCABULARIES)
        article_id = uuid.uuid4()
        created = plan.now - timedelta(seconds=rng.randint(3_600, 730 * 86_400))
        outlet, domain = rng.choice(vocab.outlets)

        title_slots = _slots(rng, vocab)
        body, placed = _article_text(rng, vocab, title_slots, plan.claims_per_article)
        rows["articles"].append(
            (
                article_id,
                f"https://www.{domain}/{rng.choice(vocab.tags)}/{article_id.hex}",
                f"bench-{article_id.hex}",
                _fill(rng.choice(vocab.titles), title_slots),
                vocab.language,
                outlet,
                created - timedelta(hours=rng.randint(0, 48)),
                body,
                ACTOR,
                ACTOR,
                created,
                created,
            )
        )

        for claim_text, quote, start, end in placed:
            claim_id = uuid.uuid4()
            claim_created = created + timedelta(seconds=rng.randint(60, 3_600))
            status = rng.choices(statuses, weights)[0]
            n_links = plan.sources_per_claim
            needed = EVIDENCE.get(status, ())
            if len(needed) > n_links:
                status = "misleading" if n_links == 0 else "verified"
                needed = EVIDENCE.get(status, ())
            relations = [*needed]
            while len(relations) < n_links:
                relations.append(rng.choice(RELATIONS))
            rng.shuffle(relations)
            linked: set[uuid.UUID] = set()
            links: list[tuple[uuid.UUID, str, str | None, datetime]] = []
            for i, relation in enumerate(relations):
                while True:
                    pool = popular if rng.random() < 0.3 else len(sources)
                    source_id = sources[rng.randrange(pool)]
                    if source_id not in linked:
                        break
                linked.add(source_id)
                excerpt = rng.choice(vocab.excerpts) if rng.random() < 0.4 else None
                links.append((source_id, relation, excerpt, claim_created + timedelta(seconds=i)))
                rows["links"].append(
                    (claim_id, source_id, article_id, relation, excerpt, ACTOR, links[-1][3])
                )

            # The history: unverified -> [in_review ->] status, each update one version up.
            steps: list[str] = []
            if status != "unverified":
                if status != "in_review" and rng.random() < 0.3:
                    steps.append("in_review")
                steps.append(status)
            updated = claim_created
            previous = "unverified"
            evidence = json.dumps(
                [{"source_id": str(s), "relation": r, "excerpt": e} for s, r, e, _a in links],
                ensure_ascii=False,
            )
            for version, step in enumerate(steps, start=2):
                updated = updated + timedelta(seconds=rng.randint(600, 20 * 86_400))
                updated = min(updated, plan.now - timedelta(seconds=1))
                value, text = RATINGS.get(step, (None, None))
                note = rng.choice(vocab.notes) if step in NEEDS_NOTE or rng.random() < 0.5 else None
                rows["verifications"].append(
                    (uuid.uuid4(), claim_id, article_id, step, previous, value, text, note, evidence,
                     ACTOR, version, updated)
                )  # fmt: skip
                previous = step
            value, text = RATINGS.get(status, (None, None))
            rows["claims"].append(
                (
                    claim_id,
                    article_id,
                    claim_text,
                    quote,
                    None if start < 0 else start,
                    None if start < 0 else end,
                    "" if start < 0 else body[max(0, start - CONTEXT) : start],
                    "" if start < 0 else body[end : end + CONTEXT],
                    vocab.language,
                    rng.choice(vocab.claimants) if rng.random() < 0.7 else None,
                    date(rng.randint(2015, 2025), rng.randint(1, 12), rng.randint(1, 28))
                    if rng.random() < 0.4
                    else None,
                    rng.sample(vocab.tags, rng.choice((0, 1, 1, 2, 3))),
                    status,
                    value,
                    text,
                    f"https://www.{domain}/faktencheck/{claim_id.hex}"
                    if text and rng.random() < 0.3
                    else None,
                    1 + len(steps),
                    ACTOR,
                    ACTOR,
                    claim_created,
                    updated,
                )
            )
    return rows


def _source_rows(rng: random.Random, count: int, now: datetime) -> list[tuple[Any, ...]]:
    rows = []
    for _ in range(count):
        vocab = rng.choice(VOCABULARIES)
        source_id = uuid.uuid4()
        outlet, domain = rng.choice(vocab.outlets)
        created = now - timedelta(seconds=rng.randint(3_600, 900 * 86_400))
        slots = _slots(rng, vocab)
        rows.append(
            (
                source_id,
                f"https://{domain}/quellen/{source_id.hex}",
                _fill(rng.choice(vocab.titles), slots),
                outlet,
                rng.choice(SOURCE_KINDS),
                vocab.language,
                created - timedelta(days=rng.randint(0, 30)),
                ACTOR,
                ACTOR,
                created,
                created,
            )
        )
    return rows


# ---- loading --------------------------------------------------------------------------------


async def _load_articles(plan: Plan, first: int, count: int) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(plan.database_url))
    try:
        # Loading is repeatable from the seed; a lost chunk on a crash is not worth an fsync each.
        await conn.execute("SET synchronous_commit = off")
        for start in range(first, first + count, CHUNK_ARTICLES):
            rows = _chunk_rows(plan, start, min(CHUNK_ARTICLES, first + count - start))
            async with conn.transaction():
                await conn.copy_records_to_table(
                    "articles", records=rows["articles"], columns=ARTICLE_COLUMNS
                )
                await conn.copy_records_to_table("claims", records=rows["claims"], columns=CLAIM_COLUMNS)
                await conn.copy_records_to_table("claim_sources", records=rows["links"], columns=LINK_COLUMNS)
                await conn.copy_records_to_table(
                    "verifications", records=rows["verifications"], columns=VERIFICATION_COLUMNS
                )
    finally:
        await conn.close()


def _worker(plan: Plan, first: int, count: int) -> None:
    asyncio.run(_load_articles(plan, first, count))


async def _prepare(database_url: str, sources: int, seed: int, now: datetime, reset: bool) -> list[uuid.UUID]:
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        if reset:
            await conn.execute("TRUNCATE verifications, claim_sources, claims, articles, sources")
        rows = _source_rows(random.Random(seed), sources, now)
        await conn.copy_records_to_table("sources", records=rows, columns=SOURCE_COLUMNS)
        return [r[0] for r in rows]
    finally:
        await conn.close()


async def _analyze(database_url: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        # Fresh statistics and a visibility map, as a database in steady use would have: every
        # table, those the schema's triggers filled too (the stored claim documents, whose rows
        # were written once per claim and again for its links).
        await conn.execute("VACUUM (ANALYZE)")
    finally:
        await conn.close()


def generate(
    database_url: str,
    articles: int,
    claims_per_article: int = 20,
    sources_per_claim: int = 2,
    *,
    seed: int = 0,
    workers: int = 2,
    reset: bool = False,
    migrate: bool = True,
) -> dict[str, Any]:
    """Add ``articles`` articles (with their claims, links and history) to the database.

    Migrates the database to head first unless ``migrate`` is false; ``reset`` empties the
    tables before. Returns what was loaded and how long it took.
    """
    if articles < 0 or claims_per_article < 0 or sources_per_claim < 0:
        raise ValueError("counts must not be negative")
    began = time.perf_counter()
    if migrate:
        from api.migrate import upgrade

        upgrade(database_url)
    now = datetime.now(UTC).replace(microsecond=0)
    source_count = max(50, articles * max(sources_per_claim, 1), sources_per_claim * 2)
    source_ids = asyncio.run(_prepare(database_url, source_count, seed, now, reset))
    plan = Plan(database_url, articles, claims_per_article, sources_per_claim, tuple(source_ids), now, seed)

    # Whole chunks per worker, so a seed gives the same rows whatever the number of workers.
    chunks = [(s, min(CHUNK_ARTICLES, articles - s)) for s in range(0, articles, CHUNK_ARTICLES)]
    workers = max(1, min(workers, len(chunks)))
    if workers == 1:
        for first, count in chunks:
            _worker(plan, first, count)
    else:
        context = multiprocessing.get_context("spawn")
        with context.Pool(workers) as pool:
            pool.starmap(_worker, [(plan, *chunk) for chunk in chunks], chunksize=1)
    loaded = time.perf_counter() - began
    asyncio.run(_analyze(database_url))
    return {
        "articles": articles,
        "claims": articles * claims_per_article,
        "sources": source_count,
        "links": articles * claims_per_article * sources_per_claim,
        "seconds_loading": round(loaded, 1),
        "seconds_total": round(time.perf_counter() - began, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate",
        description="Fill a claimtrack database with generated German, English and Russian claims.",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="the database to fill (default: DATABASE_URL); it is migrated to head first",
    )
    parser.add_argument("--articles", type=int, required=True, help="articles to add")
    parser.add_argument("--claims-per-article", type=int, default=20)
    parser.add_argument("--sources-per-claim", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0, help="the same seed gives the same texts")
    parser.add_argument("--workers", type=int, default=2, help="loading processes (default 2)")
    parser.add_argument("--reset", action="store_true", help="empty the claimtrack tables first")
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("give --database-url or set DATABASE_URL")
    stats = generate(
        args.database_url,
        args.articles,
        args.claims_per_article,
        args.sources_per_claim,
        seed=args.seed,
        workers=args.workers,
        reset=args.reset,
    )
    print(json.dumps(stats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
