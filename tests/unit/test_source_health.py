"""A page's fingerprint ignores what changes on every load, and health follows the check's rules."""

from __future__ import annotations

import pytest

from api.sourcecheck.fetch import Fetched
from api.sourcecheck.service import judge
from api.sourcecheck.text import extract, normalise

PAGE = """<!doctype html><html lang="de"><head><title> Pressemitteilung  </title>
<meta charset="utf-8"><script>var slot = "{ad}";</script><style>.x{{}}</style></head><body>
<header>Heute, {time}</header><nav><a href="/">Start</a></nav>
<div role="banner">Werbung {ad}</div><div hidden>Cookie {ad}</div>
<article><h1>Lage</h1><p>Stand {stamp}: 164 Tote.</p><div><div>Zitat</div></div></article>
<aside>Mehr zum Thema {ad}</aside><footer>{time}</footer></body></html>"""


def page(ad: str = "a1", time: str = "10:15", stamp: str = "2022-01-08T10:15:00Z", text: str = "") -> bytes:
    html = PAGE.format(ad=ad, time=time, stamp=stamp)
    return html.replace("164 Tote.", text or "164 Tote.").encode()


def test_ads_scripts_navigation_and_times_do_not_change_the_fingerprint() -> None:
    first, title = extract(page(), "text/html")
    assert title == "Pressemitteilung"
    again, _ = extract(page(ad="b2", time="23:59", stamp="2022-01-09T08:00:00+01:00"), "text/html")
    assert again == first


def test_a_changed_number_changes_the_fingerprint() -> None:
    assert extract(page(text="150 Tote."), "text/html")[0] != extract(page(), "text/html")[0]


def test_only_the_main_text_counts_when_the_page_marks_it() -> None:
    with_teaser = b"<body><p>Teaser 1</p><main><p>Text</p></main><p>Teaser 2</p></body>"
    other_teaser = b"<body><p>Anderer Teaser</p><main><p>Text</p></main></body>"
    assert extract(with_teaser, "text/html")[0] == extract(other_teaser, "text/html")[0]
    without_main = b"<body><p>Text</p></body>"
    assert extract(without_main, None)[0] != extract(b"<body><p>Anderer</p></body>", None)[0]


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("um 14:05 Uhr", "um Uhr"),
        ("9:30pm and 14:05:33.", "and"),
        ("am 01.03.2024 und 3/1/24", "am und"),
        ("(2024-03-01) 164 Tote, 2030 Linien", "164 Tote, 2030 Linien"),
        ("Ｆｕｌｌ\u00a0width   text", "Full width text"),
    ],
)
def test_normalising_drops_times_and_numeric_dates_but_keeps_other_numbers(raw: str, kept: str) -> None:
    assert normalise(raw) == kept


def test_the_character_set_comes_from_the_header_or_the_page() -> None:
    latin = "<html><body><main>Straße</main></body></html>".encode("latin-1")
    utf8 = "<html><body><main>Straße</main></body></html>".encode()
    declared = b'<html><head><meta charset="iso-8859-1"></head>' + latin[6:]
    assert extract(latin, "text/html; charset=ISO-8859-1")[0] == extract(utf8, "text/html")[0]
    assert extract(declared, "text/html")[0] == extract(utf8, "text/html")[0]


def test_binary_documents_are_fingerprinted_by_their_bytes() -> None:
    assert extract(b"%PDF-1.7 a", "application/pdf") != extract(b"%PDF-1.7 b", "application/pdf")
    assert extract(b"%PDF-1.7 a", "application/pdf")[1] is None


def fetched(**fields: object) -> Fetched:
    return Fetched(url="https://example.org/", **fields)  # type: ignore[arg-type]


OK_PAGE = {"status_code": 200, "content_type": "text/html", "body": b"<main>Text</main>"}


def test_the_first_page_seen_is_the_baseline() -> None:
    verdict = judge(fetched(**OK_PAGE), "unchecked", None, 0, 3)
    assert (verdict.outcome, verdict.health) == ("ok", "ok")
    assert verdict.baseline == verdict.content_hash


def test_a_different_text_is_changed_and_the_baseline_stays_until_accepted() -> None:
    base = judge(fetched(**OK_PAGE), "unchecked", None, 0, 3).baseline
    other = {**OK_PAGE, "body": b"<main>Neu</main>"}
    verdict = judge(fetched(**other), "ok", base, 0, 3)
    assert (verdict.outcome, verdict.health, verdict.baseline) == ("changed", "changed", base)
    accepted = judge(fetched(**other), "changed", base, 0, 3, accept_change=True)
    assert (accepted.outcome, accepted.health) == ("ok", "ok")
    assert accepted.baseline == accepted.content_hash != base


@pytest.mark.parametrize("status", [404, 410])
def test_gone_is_dead_at_once(status: int) -> None:
    verdict = judge(fetched(status_code=status), "ok", "h", 0, 3)
    assert (verdict.outcome, verdict.health, verdict.failures) == ("gone", "dead", 1)


def test_an_unknown_host_is_dead_at_once_but_a_resolver_hiccup_only_counts() -> None:
    gone = judge(fetched(failure="unresolvable", permanent=True), "ok", "h", 0, 3)
    assert gone.health == "dead"
    hiccup = judge(fetched(failure="unresolvable", permanent=False), "ok", "h", 0, 3)
    assert (hiccup.health, hiccup.failures) == ("ok", 1)


def test_failures_in_a_row_make_a_source_dead() -> None:
    results = [judge(fetched(failure="timeout"), "ok", "h", n, 3) for n in range(3)]
    assert [r.health for r in results] == ["ok", "ok", "dead"]
    assert judge(fetched(status_code=503), "ok", "h", 2, 3).health == "dead"


def test_a_refused_fetch_changes_nothing() -> None:
    verdict = judge(fetched(failure="refused", error="refused"), "changed", "h", 2, 3)
    assert (verdict.outcome, verdict.health, verdict.baseline, verdict.failures) == (
        "refused",
        "changed",
        "h",
        2,
    )
