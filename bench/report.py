"""The results: one table, the goals met or not, a JSON file and a chart."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TITLES = {
    "article_claims": "claims of one article",
    "list_claims": "GET /v1/claims?status=verified",
    "verify": "POST verification",
}


@dataclass(frozen=True, slots=True)
class Goal:
    text: str
    measure: Callable[[dict[str, Any]], float | None]  # from the results; None when not measured
    target: float
    at_most: bool  # the measure must stay at or below the target (else at or above)


def _run(
    results: dict[str, Any], scenario: str, connections: int, size: int | None = None
) -> dict[str, Any] | None:
    size = size if size is not None else results["main_size"]
    for run in results["runs"]:
        if (run["scenario"], run["connections"], run["claims"]) == (scenario, connections, size):
            return run
    return None


def _ratio(scenario: str, connections: int) -> Callable[[dict[str, Any]], float | None]:
    def measure(results: dict[str, Any]) -> float | None:
        run = _run(results, scenario, connections)
        return None if run is None or "ratio" not in run else float(run["ratio"])

    return measure


def _api(scenario: str, connections: int, field: str) -> Callable[[dict[str, Any]], float | None]:
    def measure(results: dict[str, Any]) -> float | None:
        run = _run(results, scenario, connections)
        return None if run is None else float(run["api"][field])

    return measure


def _errors(results: dict[str, Any]) -> float:
    return float(
        sum(run[side]["errors"] for run in results["runs"] for side in ("api", "pgbench") if side in run)
    )


def _size_growth(results: dict[str, Any]) -> float | None:
    small = _run(results, "article_claims", 1, results["sizes"][0])
    large = _run(results, "article_claims", 1, results["sizes"][-1])
    if small is None or large is None or small is large:
        return None
    return float(large["api"]["p50_ms"] / small["api"]["p50_ms"])


GOALS = (
    Goal(
        "claims of one article, 16 connections: API ≥ 0.35 × pgbench",
        _ratio("article_claims", 16),
        0.35,
        False,
    ),
    Goal(
        "claims of one article, 16 connections: p99 ≤ 15 ms", _api("article_claims", 16, "p99_ms"), 15.0, True
    ),
    Goal("claims of one article, 1 connection: p50 ≤ 2 ms", _api("article_claims", 1, "p50_ms"), 2.0, True),
    Goal("verification update, 16 connections: API ≥ 0.6 × pgbench", _ratio("verify", 16), 0.6, False),
    Goal("verification update, 16 connections: p99 ≤ 25 ms", _api("verify", 16, "p99_ms"), 25.0, True),
    Goal("no errors (API and pgbench, every run)", _errors, 0.0, True),
    Goal(
        "claims of one article, 1 connection: p50 at the large size ≤ 1.25 × at the small",
        _size_growth,
        1.25,
        True,
    ),
)


def judge(results: dict[str, Any]) -> list[dict[str, Any]]:
    judged = []
    for goal in GOALS:
        value = goal.measure(results)
        met = None if value is None else (value <= goal.target if goal.at_most else value >= goal.target)
        judged.append({"goal": goal.text, "value": value, "target": goal.target, "met": met})
    return judged


def _ms(value: float) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.2f}"


def table(results: dict[str, Any]) -> str:
    head = (
        f"{'scenario':<32} {'claims':>9} {'conns':>5} |"
        f" {'API req/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} |"
        f" {'pgbench tps':>11} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} | {'API÷pg':>6}"
    )
    lines = [head, "-" * len(head)]
    missing = {"per_second": math.nan, "p50_ms": math.nan, "p99_ms": math.nan, "errors": "-"}
    for run in results["runs"]:
        api, pg = run["api"], run.get("pgbench", missing)
        lines.append(
            f"{TITLES[run['scenario']]:<32} {run['claims']:>9,} {run['connections']:>5} |"
            f" {api['per_second']:>9.0f} {_ms(api['p50_ms']):>7} {_ms(api['p99_ms']):>7} {api['errors']:>6} |"
            f" {pg['per_second']:>11.0f} {_ms(pg['p50_ms']):>7} {_ms(pg['p99_ms']):>7} {pg['errors']:>6} |"
            f" {run.get('ratio', math.nan):>6.2f}"
        )
    lines.append("")
    if "incomplete" in results:
        lines.append(f"INCOMPLETE: {results['incomplete']}")
    for goal in results["goals"]:
        mark = {True: "met    ", False: "NOT MET", None: "n/a    "}[goal["met"]]
        value = "not measured" if goal["value"] is None else f"{goal['value']:.3g}"
        lines.append(f"[{mark}] {goal['goal']}: {value}")
    return "\n".join(lines)


def write(results: dict[str, Any], out_dir: Path, stamp: str) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(results, indent=2, ensure_ascii=False) + "\n"
    path = out_dir / f"{stamp}.json"
    path.write_text(text, encoding="utf-8")
    (out_dir / "latest.json").write_text(text, encoding="utf-8")
    chart = out_dir / f"{stamp}.png"
    draw(results, chart)
    (out_dir / "latest.png").write_bytes(chart.read_bytes())
    return path, chart


def draw(results: dict[str, Any], path: Path) -> None:
    """Throughput and p99 by connections (claims of one article); p50 at 1 connection by data size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = [
        r
        for r in results["runs"]
        if r["scenario"] == "article_claims" and r["claims"] == results["main_size"]
    ]
    runs.sort(key=lambda r: r["connections"])
    conns = [r["connections"] for r in runs]
    fig, (rate, tail, size) = plt.subplots(1, 3, figsize=(15, 4.5))
    fig.suptitle(
        f"claimtrack: claims of one article, {results['main_size']:,} claims"
        f" ({results['machine']['summary']})"
    )
    for who, style in (("api", "o-"), ("pgbench", "s--")):
        label = "API (wrk)" if who == "api" else "pgbench, same SQL"
        rate.plot(conns, [r[who]["per_second"] for r in runs], style, label=label)
        tail.plot(conns, [r[who]["p99_ms"] for r in runs], style, label=label)
    rate.set(xscale="log", xlabel="connections", ylabel="requests/s", title="throughput")
    tail.set(xscale="log", xlabel="connections", ylabel="ms", title="p99 latency")
    tail.axhline(15, color="grey", linewidth=0.8, linestyle=":", label="goal at 16: 15 ms")
    for axis in (rate, tail):
        axis.set_xticks(conns, [str(c) for c in conns])
        axis.legend()
        axis.grid(alpha=0.3)
    sized = [_run(results, "article_claims", 1, s) for s in results["sizes"]]
    pairs = [(s, r) for s, r in zip(results["sizes"], sized, strict=True) if r is not None and "pgbench" in r]
    labels = [f"{s:,}" for s, _ in pairs]
    x = range(len(pairs))
    size.bar([i - 0.2 for i in x], [r["api"]["p50_ms"] for _, r in pairs], width=0.4, label="API (wrk)")
    size.bar([i + 0.2 for i in x], [r["pgbench"]["p50_ms"] for _, r in pairs], width=0.4, label="pgbench")
    size.set_xticks(list(x), labels)
    size.set(xlabel="claims in the database", ylabel="ms", title="p50 at 1 connection by data size")
    size.legend()
    size.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
