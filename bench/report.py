"""The results: the rounds put together, the tables, the goals met or not, a JSON file and a chart."""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TITLES = {
    "article_claims": "claims of one article",
    "list_claims": "GET /v1/claims?status=verified",
    "verify": "POST verification",
}
AFTER, AFTER_NO_ACCESS_LOG, BEFORE = "after", "after, access log off", "before"


def combine(measurements: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Several measured runs of one thing as one: requests per second over all of them, the
    median of their p50 and of their p99 (the mean of two), errors added up."""
    if not measurements:
        return None
    requests = sum(m["requests"] for m in measurements)
    seconds = sum(m["seconds"] for m in measurements)
    cpu = {}
    for key in ("worker_cpu_ms", "database_cpu_ms"):
        if requests and all(key in m for m in measurements):
            cpu[key] = round(sum(m[key] * m["requests"] for m in measurements) / requests, 4)
    return {
        "requests": requests,
        "seconds": round(seconds, 2),
        "per_second": round(requests / seconds, 1) if seconds else 0.0,
        "p50_ms": round(statistics.median(m["p50_ms"] for m in measurements), 3),
        "p99_ms": round(statistics.median(m["p99_ms"] for m in measurements), 3),
        "errors": sum(m["errors"] for m in measurements),
        "runs": len(measurements),
        "per_second_each": [m["per_second"] for m in measurements],
        **cpu,
    }


def _api(
    results: dict[str, Any], server: str, scenario: str, connections: int, size: int
) -> dict[str, Any] | None:
    return combine(
        [
            r["api"]
            for r in results["runs"]
            if (r["server"], r["scenario"], r["connections"], r["claims"])
            == (server, scenario, connections, size)
        ]
    )


def _pgbench(
    results: dict[str, Any], statement: str, scenario: str, connections: int, size: int
) -> dict[str, Any] | None:
    return combine(
        [
            r["pgbench"]
            for r in results["pgbench"]
            if (r["statement"], r["scenario"], r["connections"], r["claims"])
            == (statement, scenario, connections, size)
        ]
    )


def _ratio(a: dict[str, Any] | None, b: dict[str, Any] | None, field: str = "per_second") -> float | None:
    if a is None or b is None or not b[field]:
        return None
    return round(a[field] / b[field], 3)


def summarise(results: dict[str, Any]) -> dict[str, Any]:
    """This checkout against the limit, before against after, the access log's cost, memory."""
    rows = []
    seen = set()
    for run in results["runs"]:
        key = (run["scenario"], run["claims"], run["connections"])
        if run["server"] != AFTER or key in seen:
            continue
        seen.add(key)
        scenario, size, connections = key
        api = _api(results, AFTER, scenario, connections, size)
        limit = _pgbench(results, "limit", scenario, connections, size)
        statement = _pgbench(results, "api", scenario, connections, size)
        rows.append(
            {
                "scenario": scenario,
                "claims": size,
                "connections": connections,
                "api": api,
                "limit": limit,
                "api_statement": statement,
                "api_per_limit": _ratio(api, limit),
                "api_per_statement": _ratio(api, statement),
                "statement_per_limit": _ratio(statement, limit),
            }
        )
    rows.sort(key=lambda r: (list(TITLES).index(r["scenario"]), r["claims"], r["connections"]))
    size = results["main_size"]
    compared = []
    for scenario in ("article_claims", "verify"):
        before = _api(results, BEFORE, scenario, 16, size)
        after = _api(results, AFTER, scenario, 16, size)
        if before is None or after is None:
            continue
        compared.append(
            {
                "scenario": scenario,
                "claims": size,
                "connections": 16,
                "before": before,
                "after": after,
                "after_per_before": _ratio(after, before),
                "p50_after_per_before": _ratio(after, before, "p50_ms"),
                "p99_after_per_before": _ratio(after, before, "p99_ms"),
            }
        )
    access_log = None
    on = _api(results, AFTER, "article_claims", 16, size)
    off = _api(results, AFTER_NO_ACCESS_LOG, "article_claims", 16, size)
    if on is not None and off is not None and off["per_second"]:
        access_log = {
            "scenario": "article_claims",
            "claims": size,
            "connections": 16,
            "on": on,
            "off": off,
            "cost_percent": round(100 * (1 - on["per_second"] / off["per_second"]), 1),
        }
        if "worker_cpu_ms" in on and "worker_cpu_ms" in off:
            # The access line's own cost, in a worker's CPU time per request.
            access_log["worker_cpu_us_per_request"] = round(
                1000 * (on["worker_cpu_ms"] - off["worker_cpu_ms"]), 1
            )
    memory: dict[str, Any] = {}
    for server in results["servers"]:
        if server["claims"] == size and server.get("worker_rss_mb"):
            entry = memory.setdefault(server["server"], {"workers": server["workers"], "worker_rss_mb": []})
            entry["worker_rss_mb"].append(server["worker_rss_mb"])
    for entry in memory.values():
        entry["max_mb"] = max(max(sizes) for sizes in entry["worker_rss_mb"])
    return {"rows": rows, "before_after": compared, "access_log": access_log, "memory": memory}


@dataclass(frozen=True, slots=True)
class Goal:
    text: str
    measure: Callable[[dict[str, Any]], float | None]  # from the results; None when not measured
    target: float
    at_most: bool  # the measure must stay at or below the target (else at or above)
    unit: str = ""
    strict: bool = False  # below the target, not at it


def _row(
    results: dict[str, Any], scenario: str, connections: int, size: int | None = None
) -> dict[str, Any] | None:
    size = results["main_size"] if size is None else size
    for row in results["summary"]["rows"]:
        if (row["scenario"], row["connections"], row["claims"]) == (scenario, connections, size):
            return dict(row)
    return None


def _field(scenario: str, connections: int, field: str) -> Callable[[dict[str, Any]], float | None]:
    def measure(results: dict[str, Any]) -> float | None:
        row = _row(results, scenario, connections)
        return None if row is None or row[field] is None else float(row[field])

    return measure


def _compared(scenario: str, field: str) -> Callable[[dict[str, Any]], float | None]:
    def measure(results: dict[str, Any]) -> float | None:
        for entry in results["summary"]["before_after"]:
            if entry["scenario"] == scenario and entry[field] is not None:
                return float(entry[field])
        return None

    return measure


def _p99_per_limit(results: dict[str, Any]) -> float | None:
    row = _row(results, "article_claims", 16)
    if row is None or row["api"] is None or row["limit"] is None or not row["limit"]["p99_ms"]:
        return None
    return float(row["api"]["p99_ms"] / row["limit"]["p99_ms"])


def _size_growth(results: dict[str, Any]) -> float | None:
    small = _row(results, "article_claims", 1, results["sizes"][0])
    large = _row(results, "article_claims", 1, results["sizes"][-1])
    if small is None or large is None or small["claims"] == large["claims"]:
        return None
    return float(large["api"]["p50_ms"] / small["api"]["p50_ms"])


def _memory(results: dict[str, Any]) -> float | None:
    after = results["summary"]["memory"].get(AFTER)
    return None if after is None else float(after["max_mb"])


def _access_log(results: dict[str, Any]) -> float | None:
    entry = results["summary"]["access_log"]
    return None if entry is None else float(entry["cost_percent"])


def _errors(results: dict[str, Any]) -> float:
    return float(
        sum(r["api"]["errors"] for r in results["runs"])
        + sum(r["pgbench"]["errors"] for r in results["pgbench"])
    )


# "No slower than before by more than 15 %": a latency at most 1.15 times before's, a
# throughput at least before's divided by 1.15.
SLOWER = 1.15

GOALS = (
    Goal(
        "claims of one article, 16 connections: API ÷ limit ≥ 0.35",
        _field("article_claims", 16, "api_per_limit"),
        0.35,
        False,
    ),
    Goal(
        "claims of one article, 16 connections: after ÷ before ≥ 4",
        _compared("article_claims", "after_per_before"),
        4.0,
        False,
    ),
    Goal("claims of one article, 16 connections: API p99 ≤ 3 × the limit's p99", _p99_per_limit, 3.0, True),
    Goal(
        "verification update, 16 connections: req/s after ÷ before ≥ 1/1.15",
        _compared("verify", "after_per_before"),
        round(1 / SLOWER, 3),
        False,
    ),
    Goal(
        "verification update, 16 connections: p50 after ÷ before ≤ 1.15",
        _compared("verify", "p50_after_per_before"),
        SLOWER,
        True,
    ),
    Goal(
        "verification update, 16 connections: p99 after ÷ before ≤ 1.15",
        _compared("verify", "p99_after_per_before"),
        SLOWER,
        True,
    ),
    Goal(
        "claims of one article, 1 connection: p50 at the large size ≤ 1.25 × at the small",
        _size_growth,
        1.25,
        True,
    ),
    Goal(
        "each API worker's memory (VmRSS) after the run at the large size < 150 MB",
        _memory,
        150.0,
        True,
        " MB",
        True,
    ),
    Goal("access log on: throughput cost at 16 connections < 5 %", _access_log, 5.0, True, " %", True),
    Goal("no errors (API and pgbench, every run)", _errors, 0.0, True),
)


def judge(results: dict[str, Any]) -> list[dict[str, Any]]:
    judged = []
    for goal in GOALS:
        value = goal.measure(results)
        if value is None:
            met = None
        elif goal.at_most:
            met = value < goal.target if goal.strict else value <= goal.target
        else:
            met = value >= goal.target
        judged.append(
            {"goal": goal.text, "value": value, "target": goal.target, "met": met, "unit": goal.unit}
        )
    return judged


def _ms(value: float | None) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.2f}"


def _rate(m: dict[str, Any] | None) -> str:
    return "-" if m is None else f"{m['per_second']:.0f}"


def _x(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _cpu(m: dict[str, Any]) -> str:
    if "worker_cpu_ms" not in m:
        return "-"
    return f"workers {m['worker_cpu_ms']:.3f} + database {m.get('database_cpu_ms', 0):.3f}"


def _side(m: dict[str, Any] | None, rate_width: int = 9) -> str:
    if m is None:
        return f" {'-':>{rate_width}} {'-':>7} {'-':>7}"
    return f" {m['per_second']:>{rate_width}.0f} {_ms(m['p50_ms']):>7} {_ms(m['p99_ms']):>7}"


def table(results: dict[str, Any]) -> str:
    summary = results["summary"]
    head = (
        f"{'scenario':<31} {'claims':>9} {'conns':>5} |"
        f" {'API req/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} |"
        f" {'limit tps':>9} {'p50 ms':>7} {'p99 ms':>7} |"
        f" {'API SQL tps':>11} {'p50 ms':>7} {'p99 ms':>7} |"
        f" {'API÷limit':>9} {'API÷SQL':>7}"
    )
    lines = [head, "-" * len(head)]
    for row in summary["rows"]:
        api = row["api"]
        lines.append(
            f"{TITLES[row['scenario']]:<31} {row['claims']:>9,} {row['connections']:>5} |"
            f"{_side(api)} {api['errors']:>6} |{_side(row['limit'])} |{_side(row['api_statement'], 11)} |"
            f" {_x(row['api_per_limit']):>9} {_x(row['api_per_statement']):>7}"
        )
    if summary["before_after"]:
        lines.append("")
        head = (
            f"{'before ' + str(results.get('before_commit')) + ' vs after':<31} {'claims':>9} {'conns':>5} |"
            f" {'before/s':>9} {'p50 ms':>7} {'p99 ms':>7} |"
            f" {'after/s':>9} {'p50 ms':>7} {'p99 ms':>7} |"
            f" {'after÷before':>12} {'p50':>5} {'p99':>5}"
        )
        lines += [head, "-" * len(head)]
        for entry in summary["before_after"]:
            lines.append(
                f"{TITLES[entry['scenario']]:<31} {entry['claims']:>9,} {entry['connections']:>5} |"
                f"{_side(entry['before'])} |{_side(entry['after'])} |"
                f" {_x(entry['after_per_before']):>12} {_x(entry['p50_after_per_before']):>5}"
                f" {_x(entry['p99_after_per_before']):>5}"
            )
            each = " / ".join(
                f"{b:.0f}→{a:.0f}"
                for b, a in zip(
                    entry["before"]["per_second_each"], entry["after"]["per_second_each"], strict=False
                )
            )
            lines.append(f"{'  each round, req/s':<47} | {each}")
            lines.append(f"{'  CPU ms per request':<47} | {_cpu(entry['before'])} → {_cpu(entry['after'])}")
    entry = summary["access_log"]
    if entry is not None:
        lines.append("")
        on, off = entry["on"], entry["off"]
        lines.append(
            f"access log, claims of one article, {entry['connections']} connections:"
            f" on {on['per_second']:.0f}/s (p50 {_ms(on['p50_ms'])}, p99 {_ms(on['p99_ms'])} ms),"
            f" off {off['per_second']:.0f}/s (p50 {_ms(off['p50_ms'])}, p99 {_ms(off['p99_ms'])} ms):"
            f" costs {entry['cost_percent']:.1f} %"
        )
        each = " / ".join(
            f"{a:.0f} vs {b:.0f}" for a, b in zip(on["per_second_each"], off["per_second_each"], strict=False)
        )
        lines.append(f"  each round, on vs off req/s: {each}")
        lines.append(f"  CPU ms per request: on {_cpu(on)}; off {_cpu(off)}")
        if "worker_cpu_us_per_request" in entry:
            lines.append(
                f"  the access line costs {entry['worker_cpu_us_per_request']:.1f} µs"
                " of a worker's CPU per request"
            )
    for server, entry in summary["memory"].items():
        sizes = "; ".join(", ".join(f"{mb:.0f}" for mb in each) for each in entry["worker_rss_mb"])
        lines.append(f"worker memory ({server}, {entry['workers']} workers), VmRSS MB at each stop: {sizes}")
    machine = results["machine"]
    during = machine.get("load_during")
    lines.append(
        f"load average: {machine['load_before'][0]:.2f} before, "
        + (f"{during[0]:.2f}–{during[1]:.2f} during, " if during else "")
        + f"{machine['load_after'][0]:.2f} after"
    )
    lines.append("")
    if "incomplete" in results:
        lines.append(f"INCOMPLETE: {results['incomplete']}")
    for goal in results["goals"]:
        mark = {True: "met    ", False: "NOT MET", None: "n/a    "}[goal["met"]]
        value = "not measured" if goal["value"] is None else f"{goal['value']:.3g}{goal.get('unit', '')}"
        lines.append(f"[{mark}] {goal['goal']}: {value}")
    return "\n".join(lines)


def write(results: dict[str, Any], out_dir: Path, stamp: str) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(results, indent=2, ensure_ascii=False) + "\n"
    path = out_dir / f"{stamp}.json"
    path.write_text(text, encoding="utf-8")
    (out_dir / "latest.json").write_text(text, encoding="utf-8")
    (out_dir / f"{stamp}.txt").write_text(table(results) + "\n", encoding="utf-8")
    (out_dir / "latest.txt").write_text(table(results) + "\n", encoding="utf-8")
    chart = out_dir / f"{stamp}.png"
    draw(results, chart)
    (out_dir / "latest.png").write_bytes(chart.read_bytes())
    return path, chart


def draw(results: dict[str, Any], path: Path) -> None:
    """Claims of one article by connections (API, limit, the API's SQL: throughput and p99), p50
    at 1 connection by data size, and before against after at 16 connections."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summary = results["summary"]
    rows = [
        r
        for r in summary["rows"]
        if r["scenario"] == "article_claims" and r["claims"] == results["main_size"]
    ]
    conns = [r["connections"] for r in rows]
    fig, ((rate, tail), (size, versus)) = plt.subplots(2, 2, figsize=(13, 9))
    fig.suptitle(
        f"claimtrack {results['commit']}: claims of one article, {results['main_size']:,} claims"
        f" ({results['machine']['summary']})"
    )
    sides = (
        ("api", "o-", "API (wrk)"),
        ("limit", "s--", "limit (pgbench)"),
        ("api_statement", "^:", "API's SQL (pgbench)"),
    )
    for key, style, label in sides:
        shown = [(r["connections"], r[key]) for r in rows if r[key] is not None]
        rate.plot([c for c, _ in shown], [m["per_second"] for _, m in shown], style, label=label)
        tail.plot([c for c, _ in shown], [m["p99_ms"] for _, m in shown], style, label=label)
    rate.set(xscale="log", xlabel="connections", ylabel="requests/s", title="throughput")
    tail.set(xscale="log", xlabel="connections", ylabel="ms", title="p99 latency")
    for axis in (rate, tail):
        if conns:
            axis.set_xticks(conns, [str(c) for c in conns])
        axis.legend()
        axis.grid(alpha=0.3)
    sized = [_row(results, "article_claims", 1, s) for s in results["sizes"]]
    pairs = [(s, r) for s, r in zip(results["sizes"], sized, strict=True) if r is not None]
    x = range(len(pairs))
    size.bar([i - 0.2 for i in x], [r["api"]["p50_ms"] for _, r in pairs], width=0.4, label="API (wrk)")
    size.bar(
        [i + 0.2 for i in x],
        [r["limit"]["p50_ms"] if r["limit"] else 0 for _, r in pairs],
        width=0.4,
        label="limit (pgbench)",
    )
    size.set_xticks(list(x), [f"{s:,}" for s, _ in pairs])
    size.set(xlabel="claims in the database", ylabel="ms", title="p50 at 1 connection by data size")
    size.legend()
    size.grid(alpha=0.3, axis="y")
    compared = summary["before_after"]
    labels = [TITLES[e["scenario"]] for e in compared]
    x = range(len(compared))
    versus.bar([i - 0.2 for i in x], [e["before"]["per_second"] for e in compared], width=0.4, label="before")
    versus.bar([i + 0.2 for i in x], [e["after"]["per_second"] for e in compared], width=0.4, label="after")
    versus.set_xticks(list(x), labels)
    versus.set(
        ylabel="requests/s", title=f"before ({results.get('before_commit')}) and after, 16 connections"
    )
    versus.legend()
    versus.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
