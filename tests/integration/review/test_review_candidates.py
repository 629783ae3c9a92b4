"""The review page's candidates layer in headless Chromium: switched on, one made a claim in two clicks.

Same browser setup as test_review.py (Debian's chromium through Playwright, skipped without
it unless CLAIMTRACK_BROWSER_TESTS=required); its fixtures are reused from there.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import create_key
from tests.integration.helpers import create_article
from tests.integration.review import test_review as review

# The browser, server and tab fixtures of test_review.py, shared; the key is this module's own,
# since key names are unique and both modules run against one database.
KEY_NAME = "review-desk-candidates"
browser = review.browser
review_server = review.review_server
http = review.http
tab = review.tab
keyed_tab = review.keyed_tab
Tab = review.Tab
ARTIFACTS = review.ARTIFACTS

DEAD = "Mindestens 164 Tote bei Protesten in Kasachstan"


@pytest.fixture(scope="module")
async def review_key(database_url: str) -> str:
    return await create_key(database_url, KEY_NAME, ["read", "write", "verify"])


async def test_switch_on_candidates_and_make_one_a_claim_in_two_clicks(
    keyed_tab: Tab, http: httpx.AsyncClient, seed_body: str
) -> None:
    from playwright.async_api import expect

    article = await create_article(http, body=seed_body, title="Armenische Truppen treffen in Kasachstan ein")
    expected = (
        await http.get(f"/v1/articles/{article['id']}/candidates", params={"uncovered": "true"})
    ).json()
    page: Any = keyed_tab.page
    await keyed_tab.open(f"/review/articles/{article['id']}")
    await expect(page.locator("#article-title")).to_have_text(article["title"])
    await expect(page.locator("#candidate-panel")).to_be_hidden()
    assert await page.locator("#article-text .candidate").count() == 0

    # The layer: every uncovered candidate listed and dotted in the text; the text unchanged.
    await page.get_by_label("Show sentences worth checking that no claim covers yet").check()
    items = page.locator("#candidate-list .candidate-item")
    await expect(items).to_have_count(len(expected["items"]))
    assert await page.locator("#article-text").text_content() == seed_body
    dotted: str = await page.eval_on_selector_all(
        "#article-text .candidate", "spans => spans.map(s => s.textContent).join('|')"
    )
    for candidate in expected["items"]:
        assert candidate["quote"] in dotted

    # Two clicks: "Make claim" on the candidate, then "Add claim".
    index = next(i for i, c in enumerate(expected["items"]) if c["quote"] == DEAD)
    wanted = expected["items"][index]
    await items.nth(index).get_by_role("button", name="Make claim").click()
    await expect(page.locator("#new-claim-span")).to_have_text(
        f"Characters {wanted['span']['start']}–{wanted['span']['end']}"
    )
    await page.get_by_role("button", name="Add claim").click()
    await expect(page.locator("#claim-list .claim-item")).to_have_count(1)
    # The new claim covers the candidate, which leaves the layer.
    await expect(items).to_have_count(len(expected["items"]) - 1)

    claims = (await http.get(f"/v1/articles/{article['id']}/claims")).json()["items"]
    assert [(c["quote"], c["span"], c["text"]) for c in claims] == [(DEAD, wanted["span"], DEAD)]
    assert claims[0]["created_by"] == KEY_NAME
    await expect(page.locator("#claim-detail")).to_have_attribute("data-claim", claims[0]["id"])

    ARTIFACTS.mkdir(exist_ok=True)
    await page.evaluate("window.scrollTo(0, 0)")
    await page.screenshot(path=str(ARTIFACTS / "review-candidates.png"))

    # Switched off, the layer leaves the text as it was.
    await page.get_by_label("Show sentences worth checking that no claim covers yet").uncheck()
    await expect(page.locator("#candidate-panel")).to_be_hidden()
    assert await page.locator("#article-text .candidate").count() == 0
