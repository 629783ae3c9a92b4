"""How long finding the candidates of a 20,000-character article takes (goal: p50 under 200 ms).

    .venv/bin/python -m bench.candidates [--chars 20000] [--runs 50] [--language de]

The article is the seed article's text repeated (German), or the English and Russian sentences
of tests/quality/candidates.json, up to ``--chars`` code points. Each run is
``api.candidates.rules.find`` on the whole body, as GET /v1/articles/{id}/candidates runs it the
first time it sees an article version (later requests for the same version are served from
the process's cache). Prints one JSON line: p50, p90 and max in ms, and candidates found.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from api.candidates.rules import find
from api.demo import data as demo

SENTENCES = Path(__file__).resolve().parents[1] / "tests" / "quality" / "candidates.json"


def article(language: str, chars: int) -> str:
    if language == "de":
        text = demo.body()
    else:
        items = json.loads(SENTENCES.read_text(encoding="utf-8"))["sentences"]
        text = " ".join(item["text"] for item in items if item["language"] == language)
    paragraphs = []
    while sum(len(p) + 2 for p in paragraphs) < chars:
        paragraphs.append(text)
    return "\n\n".join(paragraphs)[:chars]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--language", choices=("de", "en", "ru"), default="de")
    args = parser.parse_args(argv)
    body = article(args.language, args.chars)
    for _ in range(args.warmup):
        find(body, args.language)
    times = []
    found = 0
    for _ in range(args.runs):
        started = time.perf_counter()
        found = len(find(body, args.language))
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    print(
        json.dumps(
            {
                "language": args.language,
                "chars": len(body),
                "runs": args.runs,
                "candidates": found,
                "p50_ms": round(statistics.median(times), 1),
                "p90_ms": round(times[int(len(times) * 0.9) - 1], 1),
                "max_ms": round(times[-1], 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
