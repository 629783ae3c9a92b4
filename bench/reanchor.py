"""What re-placing an article's claims costs when its body changes.

    python -m bench.reanchor                      # 200 claims, a 50,000-character body, 30 edits
    python -m bench.reanchor --claims 200 --chars 50000 --rounds 30

Two measurements, on the same generated article and the same edits:

1. the re-anchoring alone (api.reanchoring.reanchor for every claim, in this process);
2. PATCH of the body through the API (`claimtrack serve` with its defaults, as in bench.run), of
   an article with the claims and of the same body without claims; the difference of their
   p50 is what re-placing the claims adds to the PATCH (goal: at most 100 ms).

Each edit is what a correction desk does: a typo fixed inside three claims' quotes (placed
approximately), a paragraph inserted (every claim after it moves), and every third edit the
quotation marks of the whole body retypeset (placed by their words, typography aside).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import asyncpg

from api import anchoring
from api.migrate import upgrade
from api.reanchoring import reanchor
from bench import http
from bench.checkouts import current
from bench.database import with_database

DATABASE = "claimtrack_bench_reanchor"
RESULTS = Path(__file__).with_name("results")

_FILLER = (
    "Die Stadtverwaltung verwies auf frühere Beschlüsse des Rates und kündigte weitere Gespräche an. "
    "Anwohner äußerten sich in einer Versammlung am Abend teils zustimmend, teils skeptisch. "
)


def article(claims: int, chars: int, seed: int = 7) -> tuple[str, list[str]]:
    """A body of about ``chars`` code points holding ``claims`` distinct sentences worth a claim,
    some with quotation marks, and those sentences."""
    rng = random.Random(seed)
    quotes = []
    for n in range(claims):
        said = f"„{rng.choice(['Wir liefern', 'Das stimmt nicht', 'Es wird teurer'])} bis {2020 + n % 9}“"
        quotes.append(
            f"Im Bezirk {n} wurden {n * 7 + 13} Bäume gepflanzt, sagte Sprecherin {n}: {said}."
            if n % 4 == 0
            else f"Im Bezirk {n} wurden {n * 7 + 13} Bäume gepflanzt, teilte die Stadt am Montag mit."
        )
    per_paragraph = max(1, claims // 40)
    paragraphs = []
    for i in range(0, claims, per_paragraph):
        paragraphs.append(" ".join(quotes[i : i + per_paragraph]) + " " + _FILLER)
    body = "\n\n".join(paragraphs)
    while len(body) < chars:
        at = rng.randrange(len(paragraphs))
        paragraphs[at] += _FILLER
        body = "\n\n".join(paragraphs)
    return body, quotes


def edit(body: str, quotes: list[str], round_: int) -> str:
    """The round's correction: three typos fixed in claims, a paragraph inserted, and every third
    round the quotation marks retypeset."""
    rng = random.Random(round_)
    for quote in rng.sample(quotes, 3):
        if quote in body:
            body = body.replace(quote, quote.replace("Bäume", "Baeume", 1), 1)
    paragraphs = body.split("\n\n")
    paragraphs.insert(rng.randrange(len(paragraphs)), f"Nachtrag {round_}: " + _FILLER)
    body = "\n\n".join(paragraphs)
    if round_ % 3 == 0:
        body = body.replace("„", '"').replace("“", '"') if "„" in body else body.replace('"', "„", 1)
    return body


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def in_process(body: str, quotes: list[str], rounds: int) -> dict[str, float]:
    """Re-anchoring every claim after each edit, in this process: ms p50, p99, and the outcomes."""
    places = []
    for quote in quotes:
        start = body.index(quote)
        places.append((quote, anchoring.placement_at(body, start, start + len(quote))))
    times: list[float] = []
    outcomes: dict[str, int] = {"anchored": 0, "reworded": 0, "orphaned": 0}
    current_body = body
    for r in range(rounds):
        new_body = edit(current_body, quotes, r)
        started = time.perf_counter()
        found = [reanchor(new_body, q, p.start, p.end, p.prefix, p.suffix) for q, p in places]
        times.append((time.perf_counter() - started) * 1000)
        for f in found:
            outcomes[f.outcome] += 1
    return {"p50_ms": _percentile(times, 0.5), "p99_ms": _percentile(times, 0.99), **outcomes}


async def _fresh_database(server_url: str) -> str:
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await conn.close()
    return with_database(server_url, DATABASE)


def _json(method: Callable[..., tuple[int, bytes]], *args: object) -> dict[str, object]:
    status, raw = method(*args)
    if status >= 300:
        raise RuntimeError(f"{args[1]} {args[2]} answered {status}: {raw[:500]!r}")
    result: dict[str, object] = json.loads(raw)
    return result


def through_the_api(body: str, quotes: list[str], rounds: int, server_url: str) -> dict[str, float]:
    url = asyncio.run(_fresh_database(server_url))
    upgrade(url)
    checkout = current()
    token = http.create_key(checkout, url, "bench-reanchor")
    log = Path(tempfile.mkdtemp(prefix="bench-reanchor-")) / "serve.log"
    with http.serve(checkout, url, log) as server:

        def post(payload: dict[str, object]) -> str:
            made = _json(
                http.request, server.base_url, "POST", "/v1/articles", token, json.dumps(payload).encode()
            )
            return str(made["id"])

        claims = [{"text": q[:80], "quote": q} for q in quotes]
        with_claims = post({"title": "Bäume", "language": "de", "body": body, "claims": claims})
        without = post({"title": "Bäume ohne Aussagen", "language": "de", "body": body})
        times: dict[str, list[float]] = {"claims": [], "none": []}
        current_body = body
        for r in range(rounds):
            current_body = edit(current_body, quotes, r)
            patch = json.dumps({"body": current_body}).encode()
            # Alternate which goes first, so that neither always meets a warmer cache.
            order = [("claims", with_claims), ("none", without)]
            for name, article_id in order if r % 2 else reversed(order):
                started = time.perf_counter()
                _json(http.request, server.base_url, "PATCH", f"/v1/articles/{article_id}", token, patch)
                times[name].append((time.perf_counter() - started) * 1000)
        revisions = _json(
            http.request, server.base_url, "GET", f"/v1/articles/{with_claims}/revisions", token
        )
    result = {
        "patch_p50_ms": _percentile(times["claims"], 0.5),
        "patch_p99_ms": _percentile(times["claims"], 0.99),
        "patch_without_claims_p50_ms": _percentile(times["none"], 0.5),
        "patch_without_claims_p99_ms": _percentile(times["none"], 0.99),
        "revisions": float(len(revisions["items"])),  # type: ignore[arg-type]
    }
    result["added_p50_ms"] = result["patch_p50_ms"] - result["patch_without_claims_p50_ms"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--claims", type=int, default=200)
    parser.add_argument("--chars", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument(
        "--database-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="a server on which the bench may create and drop its own database",
    )
    args = parser.parse_args()
    body, quotes = article(args.claims, args.chars)
    alone = in_process(body, quotes, args.rounds)
    api = through_the_api(body, quotes, args.rounds, args.database_url)
    print(f"re-anchoring {args.claims} claims in {len(body):,} characters, {args.rounds} edits")
    print(f"  alone:      p50 {alone['p50_ms']:.1f} ms, p99 {alone['p99_ms']:.1f} ms")
    print(
        f"  outcomes:   {alone['anchored']:.0f} anchored, {alone['reworded']:.0f} reworded, "
        f"{alone['orphaned']:.0f} orphaned"
    )
    print(
        f"  PATCH:      p50 {api['patch_p50_ms']:.1f} ms, p99 {api['patch_p99_ms']:.1f} ms (with the claims)"
    )
    print(
        f"              p50 {api['patch_without_claims_p50_ms']:.1f} ms, "
        f"p99 {api['patch_without_claims_p99_ms']:.1f} ms (the same body, no claims)"
    )
    verdict = "met" if api["added_p50_ms"] <= 100 else "NOT met"
    print(f"  added p50:  {api['added_p50_ms']:.1f} ms (goal at most 100 ms: {verdict})")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "reanchor-latest.json"
    out.write_text(
        json.dumps(
            {"claims": args.claims, "chars": len(body), "rounds": args.rounds, "alone": alone, "api": api},
            indent=2,
        )
        + "\n"
    )
    print(f"  written to {out}")


if __name__ == "__main__":
    main()
