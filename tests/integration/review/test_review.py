"""The review pages: public, strict headers, offline; and the page itself in headless Chromium.

The browser tests drive Debian's /usr/bin/chromium with Playwright's own API (no downloaded
browsers). Without Chromium or Playwright they skip and say why, unless
CLAIMTRACK_BROWSER_TESTS=required (as in CI), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar

from api.review.controller import STATIC_DIR, review_router
from tests.conftest import ROOT, LiveServer, create_key, settings_for
from tests.integration.helpers import BODY, create_article, create_claim, create_source

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts"
KEY_STORAGE = "claimtrack.apiKey"
# Hebrew after the German, Russian and emoji of the shared body: right-to-left text in one article.
MIXED_BODY = BODY + " העירייה הודיעה כי הגשר החדש ייפתח בקיץ."


@pytest.fixture(scope="module")
def review_server(database_url: str) -> Iterator[LiveServer]:
    """The API with the review pages, whether or not the app already mounts them."""
    server = LiveServer(settings_for(database_url))
    app = server.server.config.app
    assert isinstance(app, Litestar)
    if not any(route.path.startswith("/review") for route in app.routes):
        app.register(review_router())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
async def review_key(review_desk_key: str) -> str:
    # One key for the session (conftest.py): the modules reusing these fixtures share it.
    return review_desk_key


@pytest.fixture(scope="module")
async def http(review_server: LiveServer, review_key: str) -> AsyncIterator[httpx.AsyncClient]:
    """The API with the key the pages use."""
    headers = {"Authorization": f"Bearer {review_key}"}
    async with httpx.AsyncClient(base_url=review_server.url, timeout=30, headers=headers) as client:
        yield client


@pytest.fixture(scope="module")
async def anonymous_http(review_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=review_server.url, timeout=30) as client:
        yield client


# ---------------------------------------------------------------- the pages over HTTP


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/review/", "text/html"),
        ("/review/articles/00000000-0000-0000-0000-000000000000", "text/html"),
        ("/review/static/review.js", "text/javascript"),
        ("/review/static/review.css", "text/css"),
    ],
)
async def test_pages_are_public_with_strict_headers(
    anonymous_http: httpx.AsyncClient, path: str, media_type: str
) -> None:
    response = await anonymous_http.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(media_type)
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


async def test_the_data_still_needs_a_key(anonymous_http: httpx.AsyncClient) -> None:
    assert (await anonymous_http.get("/v1/articles")).status_code == 401
    assert (await anonymous_http.get("/review/static/missing.js")).status_code == 404
    assert (await anonymous_http.get("/review/static/../controller.py")).status_code == 404


def test_pages_load_nothing_from_elsewhere_and_run_no_inline_code() -> None:
    html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    css = (STATIC_DIR / "review.css").read_text(encoding="utf-8")
    js = (STATIC_DIR / "review.js").read_text(encoding="utf-8")
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert re.findall(r"<[^>]*\s(?:style|on[a-z]+)=", html) == []
    assert re.findall(r"(?:src|href)=\"(?!/review/|data:)[^\"]*\"", html) == []
    assert "url(" not in css and "@import" not in css
    assert re.findall(r"https?://", js) == []
    assert "innerHTML" not in js and "eval(" not in js


# ---------------------------------------------------------------- the page in a browser


def _chromium_installed() -> bool:
    return CHROMIUM.exists()


def _browser_missing(reason: str) -> None:
    if os.environ.get("CLAIMTRACK_BROWSER_TESTS") == "required":
        pytest.fail(f"{reason} (CLAIMTRACK_BROWSER_TESTS=required)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Any]:
    if not _chromium_installed():
        _browser_missing(f"{CHROMIUM} is missing: apt-get install -y chromium")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        _browser_missing("Playwright is not installed: pip install -e '.[dev]'")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
        )
        yield launched
        await launched.close()


class Tab:
    """One browser tab on the review pages, collecting script errors and CSP refusals."""

    def __init__(self, page: Any, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        # A 4xx the page asked for on purpose is logged by Chromium too; those are expected.
        if message.type == "error" and "status of 4" not in message.text:
            self.errors.append(f"console: {message.text}")

    async def open(self, path: str) -> None:
        await self.page.goto(self.base_url + path)


@pytest.fixture
async def tab(browser: Any, review_server: LiveServer) -> AsyncIterator[Tab]:
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="de-DE")
    page = await context.new_page()
    # What the page shows comes after requests and the feed's poll: wait for it generously
    # (a deadline only bounds a failure).
    from playwright.async_api import expect

    expect.set_options(timeout=30_000)
    page.set_default_timeout(30_000)
    opened = Tab(page, review_server.url)
    yield opened
    await context.close()
    assert opened.errors == []


@pytest.fixture
async def keyed_tab(tab: Tab, review_key: str) -> Tab:
    """A tab that already holds the key, as after entering it once."""
    await tab.page.context.add_init_script(f"sessionStorage.setItem({KEY_STORAGE!r}, {review_key!r})")
    return tab


async def _demo_article(database_url: str) -> str:
    """The demo article, loaded as `claimtrack demo` loads it (once; a second load changes nothing)."""
    from api.demo.load import load

    loaded = await load(settings_for(database_url), database_url)
    return str(loaded.article_id)


async def _claims(http: httpx.AsyncClient, article_id: str) -> list[dict[str, Any]]:
    response = await http.get(f"/v1/articles/{article_id}/claims")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def _layers_text(page: Any, claim_id: str) -> str:
    text: str = await page.eval_on_selector_all(
        f'#article-text .layer[data-claim="{claim_id}"]',
        "layers => layers.map(l => l.textContent).join('')",
    )
    return text


async def test_review_the_demo_article_and_give_a_verdict(
    tab: Tab, http: httpx.AsyncClient, review_key: str, database_url: str
) -> None:
    from playwright.async_api import expect

    article_id = await _demo_article(database_url)
    article = (await http.get(f"/v1/articles/{article_id}")).json()
    claims = await _claims(http, article_id)
    page = tab.page

    # The key is asked for once, then the list leads to the article.
    await tab.open("/review/")
    await expect(page.locator("#key-view")).to_be_visible()
    await page.get_by_role("textbox", name="API key").fill(review_key)
    await page.get_by_role("button", name="Use this key").click()
    await page.get_by_role("link", name=article["title"]).click()
    await page.wait_for_url(f"**/review/articles/{article_id}")
    await expect(page.locator("#claim-list .claim-item")).to_have_count(len(claims))

    # The text is the body, unchanged; every anchored claim is highlighted over its quote.
    assert await page.locator("#article-text").text_content() == article["body"]
    for claim in claims:
        if claim["anchor_status"] != "anchored":
            continue
        first = page.locator(f'#article-text .layer[data-claim="{claim["id"]}"]').first
        await expect(first).to_have_class(re.compile(rf"\bst-{claim['status']}\b"))
        assert await _layers_text(page, claim["id"]) == claim["quote"]
    assert await page.locator('#article-text mark[tabindex="0"]').count() >= 1

    # A verdict on a claim that is not yet verified, with the supporting source sent by URL.
    target = next(c for c in claims if c["status"] != "verified" and c["anchor_status"] == "anchored")
    highlight = page.locator(f'#article-text .layer[data-claim="{target["id"]}"]').first
    colour_before = await highlight.evaluate("node => getComputedStyle(node).backgroundColor")
    await highlight.click()
    while await page.locator("#claim-detail").get_attribute("data-claim") != target["id"]:
        await highlight.click()  # overlapping claims: each click selects the next one
    await page.get_by_label("Status", exact=True).select_option("verified")
    await page.get_by_label("Note", exact=True).fill("Bestätigt durch die Mitteilung der OVKS.")
    await page.get_by_role("button", name="Add a source").click()
    await page.get_by_label("Source URL").fill("https://example.org/review/ovks-mitteilung")
    await page.get_by_label("Relation").select_option("supports")
    await page.get_by_role("button", name="Submit update").click()
    await expect(page.locator("#verify-message")).to_contain_text("is now Verified")
    await expect(highlight).to_have_class(re.compile(r"\bst-verified\b"))
    colour_after = await highlight.evaluate("node => getComputedStyle(node).backgroundColor")
    assert colour_after != colour_before
    await expect(page.locator(f'#claim-list .claim-item[data-claim="{target["id"]}"]')).to_contain_text(
        "Verified"
    )
    await expect(page.locator("#detail-history li").last).to_contain_text("Verified")

    # The API has it at once, with the actor and the link.
    fresh = (await http.get(f"/v1/claims/{target['id']}")).json()
    assert fresh["status"] == "verified"
    assert fresh["version"] == target["version"] + 1
    assert fresh["updated_by"] == "review-desk"
    links = {link["source"]["url"]: link["relation"] for link in fresh["sources"]}
    assert links["https://example.org/review/ovks-mitteilung"] == "supports"

    ARTIFACTS.mkdir(exist_ok=True)
    await page.locator(f'#claim-list li[data-claim="{target["id"]}"]').evaluate(
        "item => { window.scrollTo(0, 0); item.scrollIntoView({block: 'start'}); }"
    )
    await page.screenshot(path=str(ARTIFACTS / "review.png"))


async def _mixed_article(http: httpx.AsyncClient) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """German, Russian, an emoji and Hebrew, with overlapping claims and one in the Hebrew."""
    article = await create_article(http, body=MIXED_BODY, title="Straßenbahn, трамвай, גשר")
    claims = {
        "tram": await create_claim(
            http, article["id"], text="Die Tram fährt öfter.", quote="Straßenbahn fahre ab März"
        ),
        "march": await create_claim(http, article["id"], text="Ab März.", quote="ab März öfter"),
        "russian": await create_claim(
            http, article["id"], text="Трамвай будет ходить чаще.", quote="трамвай будет ходить чаще"
        ),
        "bridge": await create_claim(
            http, article["id"], text="הגשר ייפתח בקיץ.", quote="הגשר החדש ייפתח בקיץ"
        ),
    }
    return article, claims


async def _select_claim(page: Any, claim_id: str) -> None:
    await page.locator(f'#claim-list .claim-item[data-claim="{claim_id}"]').click()
    await page.wait_for_function(f"document.getElementById('claim-detail').dataset.claim === {claim_id!r}")


async def test_overlaps_keyboard_rules_and_conflicts(
    keyed_tab: Tab, http: httpx.AsyncClient, database_url: str
) -> None:
    from playwright.async_api import expect

    article, claims = await _mixed_article(http)
    page = keyed_tab.page
    await keyed_tab.open(f"/review/articles/{article['id']}")
    await expect(page.locator("#claim-list .claim-item")).to_have_count(4)

    # "ab März" is in two claims: one segment, two nested layers, each claim's text intact.
    shared = page.locator("#article-text mark", has_text="ab März").first
    assert set((await shared.get_attribute("data-claims") or "").split()) == {
        claims["tram"]["id"],
        claims["march"]["id"],
    }
    await expect(shared.locator(".layer")).to_have_count(1)  # the mark itself is the outer layer
    assert await _layers_text(page, claims["tram"]["id"]) == "Straßenbahn fahre ab März"
    assert await _layers_text(page, claims["march"]["id"]) == "ab März öfter"
    assert await page.locator("#article-text").get_attribute("dir") == "auto"
    assert await _layers_text(page, claims["bridge"]["id"]) == "הגשר החדש ייפתח בקיץ"

    # By keyboard: a highlight takes focus and Enter selects its claim.
    russian = page.locator(f'#article-text mark[data-claims="{claims["russian"]["id"]}"]')
    await russian.focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("#detail-title")).to_have_text("Claim 3")
    await expect(page.locator("#claim-list .claim-item[aria-current=true]")).to_have_attribute(
        "data-claim", claims["russian"]["id"]
    )

    # Evidence rules come back as words, not JSON, and nothing is stored.
    await page.get_by_label("Status", exact=True).select_option("verified")
    await page.get_by_role("button", name="Submit update").click()
    message = page.locator("#verify-message")
    await expect(message).to_contain_text("This status needs evidence.")
    assert "{" not in (await message.text_content() or "")
    assert (await http.get(f"/v1/claims/{claims['russian']['id']}")).json()["status"] == "unverified"

    # Another desk changes the claim while polling is held back: the page's update gets a 412,
    # reloads the claim and says so; sent again, it goes through.
    async def hold(route: Any) -> None:
        await route.abort()

    def is_poll(url: str) -> bool:
        return url.endswith("/claims")

    await page.route(is_poll, hold)
    other = await create_key(database_url, "other-desk", ["read", "write", "verify"])
    changed = await http.post(
        f"/v1/claims/{claims['russian']['id']}/verifications",
        json={"status": "in_review", "note": "Wird geprüft."},
        headers={"Authorization": f"Bearer {other}"},
    )
    assert changed.status_code == 201, changed.text
    await page.get_by_label("Status", exact=True).select_option("in_review")
    await page.get_by_label("Note", exact=True).fill("Я тоже проверяю.")
    await page.get_by_role("button", name="Submit update").click()
    await expect(message).to_contain_text("Someone else changed this claim meanwhile")
    await expect(message).to_contain_text("other-desk")
    await expect(page.locator("#detail-info")).to_contain_text("version 2")
    await page.unroute(is_poll, hold)
    await page.get_by_role("button", name="Submit update").click()
    await expect(message).to_contain_text("is now In review")
    history = (await http.get(f"/v1/claims/{claims['russian']['id']}/verifications")).json()["items"]
    assert [(v["actor"], v["note"]) for v in history] == [
        ("other-desk", "Wird geprüft."),
        ("review-desk", "Я тоже проверяю."),
    ]


async def test_add_a_claim_by_selecting_text_after_an_emoji(keyed_tab: Tab, http: httpx.AsyncClient) -> None:
    from playwright.async_api import expect

    article, _ = await _mixed_article(http)
    page = keyed_tab.page
    await keyed_tab.open(f"/review/articles/{article['id']}")
    await expect(page.locator("#claim-list .claim-item")).to_have_count(4)

    # Select "12 neue Linien" with a DOM range, as a mouse would, after the 🚋 (two UTF-16 units).
    quote = "12 neue Linien"
    await page.evaluate(
        """quote => {
            const text = document.getElementById('article-text');
            const walker = document.createTreeWalker(text, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const at = node.data.indexOf(quote);
                if (at === -1) continue;
                const range = document.createRange();
                range.setStart(node, at);
                range.setEnd(node, at + quote.length);
                const selection = window.getSelection();
                selection.removeAllRanges();
                selection.addRange(range);
                text.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
                return;
            }
            throw new Error('quote not in the text');
        }""",
        quote,
    )
    start = MIXED_BODY.index(quote)  # Python counts code points, as the contract does
    await expect(page.locator("#new-claim")).to_be_visible()
    await expect(page.locator("#new-claim-span")).to_have_text(f"Characters {start}–{start + len(quote)}")
    await page.get_by_label("The claim, as a fact-checker phrases it").fill("Bis 2030 kommen 12 neue Linien.")
    await page.get_by_role("button", name="Add claim").click()
    await expect(page.locator("#claim-list .claim-item")).to_have_count(5)

    created = [c for c in await _claims(http, article["id"]) if c["quote"] == quote]
    assert len(created) == 1
    assert created[0]["span"] == {"start": start, "end": start + len(quote)}
    assert created[0]["created_by"] == "review-desk"
    await expect(page.locator("#claim-detail")).to_have_attribute("data-claim", created[0]["id"])
    assert await _layers_text(page, created[0]["id"]) == quote


async def test_changes_by_another_desk_appear_without_reloading(
    keyed_tab: Tab, http: httpx.AsyncClient
) -> None:
    from playwright.async_api import expect

    article, claims = await _mixed_article(http)
    page = keyed_tab.page
    await keyed_tab.open(f"/review/articles/{article['id']}")
    await _select_claim(page, claims["bridge"]["id"])
    bridge = page.locator(f'#article-text .layer[data-claim="{claims["bridge"]["id"]}"]').first
    await expect(bridge).to_have_class(re.compile(r"\bst-unverified\b"))

    source = await create_source(http)
    response = await http.post(
        f"/v1/claims/{claims['bridge']['id']}/verifications",
        json={"status": "false", "sources": [{"source_id": source["id"], "relation": "refutes"}]},
    )
    assert response.status_code == 201, response.text
    await expect(bridge).to_have_class(re.compile(r"\bst-false\b"))
    await expect(page.locator("#messages")).to_contain_text("Claim 4 is now False")
    await expect(page.locator("#detail-sources")).to_contain_text("refutes")
    await expect(page.locator("#detail-history li").last).to_contain_text("False")
