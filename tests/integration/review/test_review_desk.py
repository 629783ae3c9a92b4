"""The desk's review pages in headless Chromium: the queue, the article list's dates and counts,
the claim actions (unlink, edit, place on other words, delete) and revisions.

Same browser setup as test_review.py (Debian's chromium through Playwright, skipped without it
unless CLAIMTRACK_BROWSER_TESTS=required); its fixtures are reused from there. Each test checks
what the page shows and, through the API, what it stored; screenshots go to test-artifacts/.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from api.review.controller import STATIC_DIR
from tests.integration.helpers import BODY, create_article, create_claim, create_source, token, verify
from tests.integration.review import test_review as review

# The browser, server, key and tab fixtures of test_review.py, shared.
browser = review.browser
review_server = review.review_server
review_key = review.review_key
http = review.http
anonymous_http = review.anonymous_http
tab = review.tab
keyed_tab = review.keyed_tab
Tab = review.Tab
ARTIFACTS = review.ARTIFACTS

DEAD = "Mindestens 164 Tote bei Protesten in Kasachstan"


async def _claim(http: httpx.AsyncClient, claim_id: str) -> dict[str, Any]:
    response = await http.get(f"/v1/claims/{claim_id}")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / name))


async def _select_words(page: Any, words: str) -> None:
    """Select words of the article text with a DOM range and release the mouse, as a reader would."""
    await page.evaluate(
        """words => {
            const text = document.getElementById('article-text');
            const walker = document.createTreeWalker(text, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const at = node.data.indexOf(words);
                if (at === -1) continue;
                const range = document.createRange();
                range.setStart(node, at);
                range.setEnd(node, at + words.length);
                const selection = window.getSelection();
                selection.removeAllRanges();
                selection.addRange(range);
                text.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
                return;
            }
            throw new Error('the words are not in one text node');
        }""",
        words,
    )


async def _open_claim(tab: Tab, article_id: str, claim_id: str) -> Any:
    from playwright.async_api import expect

    page = tab.page
    await tab.open(f"/review/articles/{article_id}")
    await page.locator(f'#claim-list .claim-item[data-claim="{claim_id}"]').click()
    await expect(page.locator("#claim-detail")).to_have_attribute("data-claim", claim_id)
    return page


# ---------------------------------------------------------------- the pages over HTTP


async def test_the_queue_page_is_public_with_strict_headers(anonymous_http: httpx.AsyncClient) -> None:
    for path in ("/review/queue", "/review/static/desk.js", "/review/static/desk.css"):
        response = await anonymous_http.get(path)
        assert response.status_code == 200, path
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("name", ["desk.js", "review.js"])
def test_scripts_write_text_never_html(name: str) -> None:
    js = (STATIC_DIR / name).read_text(encoding="utf-8")
    assert "innerHTML" not in js and "outerHTML" not in js and "insertAdjacentHTML" not in js
    assert "eval(" not in js and "document.write" not in js
    assert re.findall(r"https?://", js) == []
    css = (STATIC_DIR / "desk.css").read_text(encoding="utf-8")
    assert "url(" not in css and "@import" not in css


# ---------------------------------------------------------------- the article list


async def test_the_article_list_shows_dates_outlets_and_claims_per_status(
    keyed_tab: Tab, http: httpx.AsyncClient
) -> None:
    from playwright.async_api import expect

    dated = await create_article(http, outlet="Beispiel-Kurier", published_at="2022-01-08T10:00:00Z")
    undated = await create_article(http, outlet=None, published_at=None, title="Ohne Datum")
    first = await create_claim(http, dated["id"], quote="Straßenbahn")
    await create_claim(http, dated["id"], quote="12 neue Linien", text="Zwölf neue Linien.")
    source = await create_source(http)
    await verify(http, first["id"], "verified", sources=[{"source_id": source["id"], "relation": "supports"}])

    page = keyed_tab.page
    await keyed_tab.open("/review/")
    item = page.locator(f'#article-list li[data-article="{dated["id"]}"]')
    await expect(item.locator(".small").first).to_have_text("Beispiel-Kurier · Deutsch (de) · 08.01.2022")
    await expect(item.locator('.count[data-status="verified"]')).to_have_text("1 Verified")
    await expect(item.locator('.count[data-status="unverified"]')).to_have_text("1 Unverified")
    await expect(item.locator(".counts")).to_contain_text("2 claims:")
    plain = page.locator(f'#article-list li[data-article="{undated["id"]}"]')
    await expect(plain.locator(".small").first).to_contain_text("no publication date")
    await expect(plain.locator(".counts")).to_have_text("No claims yet.")
    await _shot(page, "review-list.png")


# ---------------------------------------------------------------- the queue


async def test_the_queue_lists_waiting_claims_oldest_first_and_follows_changes(
    keyed_tab: Tab, http: httpx.AsyncClient
) -> None:
    from playwright.async_api import expect

    tag = f"queue-{token()}"
    article = await create_article(http, title="Warteschlange")
    source = await create_source(http)
    oldest = await create_claim(
        http, article["id"], quote="Straßenbahn", tags=[tag], text="Die Tram fährt öfter."
    )
    done = await create_claim(http, article["id"], quote="ab März", tags=[tag], text="Ab März.")
    reviewed = await create_claim(
        http, article["id"], quote="Мэр заявил", tags=[tag], text="Мэр заявил.", language="ru"
    )
    newest = await create_claim(
        http, article["id"], quote="12 neue Linien", tags=[tag], text="Zwölf neue Seilbahnlinien."
    )
    await verify(http, done["id"], "verified", sources=[{"source_id": source["id"], "relation": "supports"}])
    await verify(http, reviewed["id"], "in_review", note="Wird geprüft.")  # changed last

    page = keyed_tab.page
    await keyed_tab.open(f"/review/queue?tag={tag}")
    items = page.locator("#queue-list .queue-item")
    # Unverified and in review by default, waiting longest first; the verified claim is not there.
    await expect(items).to_have_count(3)
    assert [await i.get_attribute("data-claim") for i in await items.all()] == [
        oldest["id"],
        newest["id"],
        reviewed["id"],
    ]
    await expect(page.locator("#queue-summary")).to_contain_text("3 claims (Unverified or In review")
    await expect(items.first).to_contain_text("Warteschlange")
    await expect(items.first.locator(".chip")).to_have_text("Unverified")

    # Another desk: a new claim joins the queue at its end, a verdict takes one out.
    joined = await create_claim(http, article["id"], quote="verspricht", tags=[tag], text="Versprochen.")
    await expect(items).to_have_count(4)
    await expect(items.last).to_have_attribute("data-claim", joined["id"])
    await verify(
        http, joined["id"], "verified", sources=[{"source_id": source["id"], "relation": "supports"}]
    )
    await expect(items).to_have_count(3)

    # Filters: in review only, then a text search; the address keeps them.
    await page.get_by_label("Unverified").uncheck()
    await page.get_by_role("button", name="Show claims").click()
    await expect(items).to_have_count(1)
    await expect(items.first).to_have_attribute("data-claim", reviewed["id"])
    assert parse_qs(urlsplit(page.url).query) == {"status": ["in_review"], "tag": [tag]}
    await page.get_by_label("Unverified").check()
    await page.get_by_label("Text search").fill("Seilbahnlinien")
    await page.get_by_role("button", name="Show claims").click()
    await expect(items).to_have_count(1)
    await expect(items.first).to_have_attribute("data-claim", newest["id"])
    await expect(items.first.locator("mark.hit")).to_have_text(re.compile("Seilbahnlinien", re.I))
    await page.get_by_label("Text search").fill("")
    await page.get_by_label("Language").fill("ru")
    await page.get_by_role("button", name="Show claims").click()
    await expect(items).to_have_count(1)
    await expect(items.first).to_have_attribute("data-claim", reviewed["id"])
    await page.get_by_label("Language").fill("")
    await page.get_by_role("button", name="Show claims").click()
    await expect(items).to_have_count(3)
    await _shot(page, "review-queue.png")

    # Each claim leads to its place in its article.
    await items.first.get_by_role("link").click()
    await page.wait_for_url(f"**/review/articles/{article['id']}#claim-{oldest['id']}")
    await expect(page.locator("#claim-detail")).to_have_attribute("data-claim", oldest["id"])
    await expect(
        page.locator(f'#article-text .layer.is-selected[data-claim="{oldest["id"]}"]')
    ).to_have_count(1)


async def test_the_queue_finds_claims_whose_words_a_correction_changed(
    keyed_tab: Tab, http: httpx.AsyncClient, seed_body: str
) -> None:
    from playwright.async_api import expect

    tag = f"reworded-{token()}"
    article = await create_article(http, body=seed_body, title="Korrigiert")
    dead = await create_claim(http, article["id"], quote=DEAD, text="Mindestens 164 Tote.", tags=[tag])
    await create_claim(
        http, article["id"], quote="fast 6000 Menschen", text="Fast 6000 Festnahmen.", tags=[tag]
    )
    changed = await http.patch(
        f"/v1/articles/{article['id']}", json={"body": seed_body.replace("Mindestens 164", "Mindestens 225")}
    )
    assert changed.status_code == 200, changed.text

    page = keyed_tab.page
    await keyed_tab.open(f"/review/queue?tag={tag}")
    await expect(page.locator("#queue-list .queue-item")).to_have_count(2)
    await page.get_by_label("Words in the text").select_option("reworded")
    await page.get_by_role("button", name="Show claims").click()
    items = page.locator("#queue-list .queue-item")
    await expect(items).to_have_count(1)
    await expect(items.first).to_have_attribute("data-claim", dead["id"])
    await expect(items.first.locator(".anchor-badge")).to_have_text("words changed")
    await expect(items.first).to_contain_text("Mindestens 225 Tote")
    assert parse_qs(urlsplit(page.url).query)["anchor_status"] == ["reworded"]


# ---------------------------------------------------------------- claim actions


async def test_unlink_a_source_and_edit_text_and_claimant(keyed_tab: Tab, http: httpx.AsyncClient) -> None:
    from playwright.async_api import expect

    article = await create_article(http)
    claim = await create_claim(http, article["id"], quote="Straßenbahn", claimant="Der Bürgermeister")
    statement = await create_source(http, title="Mitteilung der Stadt")
    timetable = await create_source(http, title="Fahrplan 2022")
    await verify(
        http,
        claim["id"],
        "verified",
        sources=[
            {"source_id": statement["id"], "relation": "supports"},
            {"source_id": timetable["id"], "relation": "context"},
        ],
    )
    page = await _open_claim(keyed_tab, article["id"], claim["id"])
    sources = page.locator("#detail-sources li")
    await expect(sources).to_have_count(2)
    message = page.locator("#detail-message")

    # Unlinking the context source works; the supporting one is the verdict's evidence.
    await page.get_by_role("button", name="Unlink Fahrplan 2022").click()
    await expect(message).to_contain_text("Unlinked “Fahrplan 2022”")
    await expect(sources).to_have_count(1)
    fresh = await _claim(http, claim["id"])
    assert [link["source"]["id"] for link in fresh["sources"]] == [statement["id"]]
    assert fresh["version"] == 3
    await page.get_by_role("button", name="Unlink Mitteilung der Stadt").click()
    await expect(message).to_contain_text("This status needs evidence.")
    await expect(sources).to_have_count(1)
    assert (await _claim(http, claim["id"]))["version"] == 3

    # Text and claimant, edited; the claim's history records the new wording.
    await page.get_by_role("button", name="Edit text and claimant").click()
    await page.get_by_label("Text", exact=True).fill("Die Straßenbahn fährt ab März häufiger.")
    await page.get_by_label("Claimant (empty: none)").fill("Die Stadtwerke")
    await page.get_by_role("button", name="Save changes").click()
    await expect(message).to_contain_text("Saved: claim 1 is at version 4")
    await expect(page.locator(f'#claim-list .claim-item[data-claim="{claim["id"]}"]')).to_contain_text(
        "Die Straßenbahn fährt ab März häufiger."
    )
    fresh = await _claim(http, claim["id"])
    assert (fresh["text"], fresh["claimant"], fresh["updated_by"]) == (
        "Die Straßenbahn fährt ab März häufiger.",
        "Die Stadtwerke",
        "review-desk",
    )
    history = (await http.get(f"/v1/claims/{claim['id']}/verifications")).json()["items"]
    assert history[-1]["kind"] == "reworded"
    await expect(page.locator("#detail-history li.reworded-entry")).to_contain_text("häufiger")

    # The form keeps the version it was opened on: a change by another desk meanwhile is a 412.
    await page.get_by_role("button", name="Edit text and claimant").click()
    other = await http.patch(f"/v1/claims/{claim['id']}", json={"tags": ["verkehr"]})
    assert other.status_code == 200, other.text
    await page.get_by_label("Claimant (empty: none)").fill("")
    await page.get_by_role("button", name="Save changes").click()
    await expect(message).to_contain_text("Someone else changed this claim meanwhile")
    assert (await _claim(http, claim["id"]))["claimant"] == "Die Stadtwerke"
    await page.get_by_role("button", name="Edit text and claimant").click()
    await page.get_by_label("Claimant (empty: none)").fill("")
    await page.get_by_role("button", name="Save changes").click()
    await expect(message).to_contain_text("Saved")
    assert (await _claim(http, claim["id"]))["claimant"] is None


async def test_delete_a_claim_after_a_confirmation_naming_what_is_lost(
    keyed_tab: Tab, http: httpx.AsyncClient
) -> None:
    from playwright.async_api import expect

    article = await create_article(http)
    kept = await create_claim(http, article["id"], quote="12 neue Linien", text="Zwölf neue Linien.")
    claim = await create_claim(http, article["id"], quote="Straßenbahn", text="Die Tram fährt öfter.")
    source = await create_source(http, title="Mitteilung der Stadt")
    await verify(http, claim["id"], "in_review", note="Prüfen.")
    await verify(http, claim["id"], "verified", sources=[{"source_id": source["id"], "relation": "supports"}])
    page = await _open_claim(keyed_tab, article["id"], claim["id"])

    await page.get_by_role("button", name="Delete claim…").click()
    dialog = page.get_by_role("alertdialog", name="Delete this claim?")
    await expect(dialog).to_be_visible()
    await expect(dialog).to_contain_text("Delete claim 1, “Die Tram fährt öfter.”?")
    await expect(dialog).to_contain_text("its 1 source link: “Mitteilung der Stadt” (supports)")
    await expect(dialog).to_contain_text("its history of 2 entries (Unverified → In review → Verified)")
    await expect(dialog).to_contain_text("its rating “True”")
    await expect(dialog).to_contain_text("cannot be undone")
    await expect(page.get_by_role("button", name="Keep it")).to_be_focused()
    await _shot(page, "review-delete.png")

    await page.get_by_role("button", name="Keep it").click()
    await expect(dialog).to_be_hidden()
    assert (await http.get(f"/v1/claims/{claim['id']}")).status_code == 200

    await page.get_by_role("button", name="Delete claim…").click()
    await page.get_by_role("button", name="Delete claim 1").click()
    await expect(page.locator("#messages")).to_contain_text("Claim 1 (“Die Tram fährt öfter.”) was deleted")
    await expect(page.locator("#claim-list .claim-item")).to_have_count(1)
    await expect(page.locator("#claim-detail")).to_be_hidden()
    assert (await http.get(f"/v1/claims/{claim['id']}")).status_code == 404
    assert (await http.get(f"/v1/claims/{kept['id']}")).status_code == 200
    assert (await http.get(f"/v1/sources/{source['id']}")).status_code == 200


async def test_place_an_orphaned_claim_on_words_selected_in_the_text(
    keyed_tab: Tab, http: httpx.AsyncClient
) -> None:
    from playwright.async_api import expect

    article = await create_article(http)
    claim = await create_claim(http, article["id"], quote="ab März öfter", text="Ab März öfter.")
    corrected = BODY.replace("ab März öfter", "im Frühjahr häufiger")
    changed = await http.patch(f"/v1/articles/{article['id']}", json={"body": corrected})
    assert changed.status_code == 200, changed.text
    assert (await _claim(http, claim["id"]))["anchor_status"] == "orphaned"

    page = await _open_claim(keyed_tab, article["id"], claim["id"])
    await expect(page.locator(f'#claim-list .claim-item[data-claim="{claim["id"]}"]')).to_contain_text(
        "not found in the text"
    )
    await expect(page.locator("#detail-wording")).to_contain_text(
        "Not found in the current text (revision 2)"
    )
    await expect(page.locator("#detail-wording")).to_contain_text("“ab März öfter”")

    await page.get_by_role("button", name="Place it on words in the text").click()
    await expect(page.locator("#place-banner")).to_contain_text("Select the words claim 1 refers to")
    await expect(page.get_by_role("button", name="Place it here")).to_be_disabled()
    words = "im Frühjahr häufiger"
    await _select_words(page, words)
    start = corrected.index(words)
    await expect(page.locator("#place-span")).to_have_text(f"Characters {start}–{start + len(words)}")
    await expect(page.locator("#new-claim")).to_be_hidden()  # the selection is for the claim
    await page.get_by_role("button", name="Place it here").click()
    await expect(page.locator("#detail-message")).to_contain_text("is placed on “im Frühjahr häufiger”")
    await expect(page.locator("#place-banner")).to_be_hidden()

    fresh = await _claim(http, claim["id"])
    assert fresh["anchor_status"] == "anchored"
    assert fresh["span"] == {"start": start, "end": start + len(words)}
    assert fresh["quote"] == words and fresh["version"] == claim["version"] + 2
    layers = await review._layers_text(page, claim["id"])
    assert layers == words


# ---------------------------------------------------------------- revisions


async def test_revisions_reworded_claims_and_the_changes_between_two(
    keyed_tab: Tab, http: httpx.AsyncClient, seed_body: str
) -> None:
    from playwright.async_api import expect

    article = await create_article(http, body=seed_body, title="Kasachstan, korrigiert")
    dead = await create_claim(
        http, article["id"], quote=DEAD, text="Bei den Protesten starben mindestens 164 Menschen."
    )
    second = seed_body.replace("Mindestens 164 Tote", "Mindestens 225 Tote")
    changed = await http.patch(f"/v1/articles/{article['id']}", json={"body": second})
    assert changed.status_code == 200, changed.text

    page = await _open_claim(keyed_tab, article["id"], dead["id"])
    await expect(page.locator("#revisions-summary")).to_have_text(
        "Revision 2 of 2: the text was changed 1 time"
    )
    await expect(page.locator(f'#claim-list .claim-item[data-claim="{dead["id"]}"]')).to_contain_text(
        "words changed"
    )
    await expect(page.locator(f'#article-text .layer.is-reworded[data-claim="{dead["id"]}"]')).to_have_count(
        1
    )
    wording = page.locator("#detail-wording")
    await expect(wording).to_contain_text("Its words changed in revision 2")
    await expect(wording.locator(".before del")).to_have_text("164")
    await expect(wording.locator(".after ins")).to_have_text("225")
    await expect(wording.locator(".before")).to_contain_text(DEAD)
    await expect(wording.locator(".after")).to_contain_text("Mindestens 225 Tote bei Protesten in Kasachstan")
    await expect(page.locator("#detail-history li.reworded-entry")).to_contain_text("Mindestens 225 Tote")

    # The difference between two revisions, word by word.
    await page.locator("#revisions summary").click()
    await expect(page.locator("#revision-list li")).to_have_count(2)
    await page.get_by_role("button", name="Show the changes").click()
    await expect(page.locator("#diff-summary")).to_have_text(
        "From revision 1 to 2: 1 word removed, 1 word added (removed struck through, added underlined)."
    )
    assert await page.locator("#diff-output del").all_text_contents() == ["164"]
    assert await page.locator("#diff-output ins").all_text_contents() == ["225"]
    await _shot(page, "review-revisions.png")

    # Another desk corrects again: the page follows, and any two revisions can be compared.
    third = second.replace("fast 6000 Menschen", "fast 10.000 Menschen").replace(
        " Öffentliche Proteste ohne Genehmigung waren bereits illegal.", ""
    )
    changed = await http.patch(f"/v1/articles/{article['id']}", json={"body": third})
    assert changed.status_code == 200, changed.text
    await expect(page.locator("#revisions-summary")).to_have_text(
        "Revision 3 of 3: the text was changed 2 times"
    )
    await page.get_by_label("Compare revision").select_option("1")
    await page.get_by_label("with revision").select_option("3")
    await page.get_by_role("button", name="Show the changes").click()
    await expect(page.locator("#diff-summary")).to_contain_text("From revision 1 to 3:")
    removed = await page.locator("#diff-output del").all_text_contents()
    added = await page.locator("#diff-output ins").all_text_contents()
    assert "164" in removed and "6000" in removed
    assert any("Öffentliche Proteste ohne Genehmigung waren bereits illegal." in r for r in removed)
    assert "225" in added and "10.000" in added
    # The diff is text: the page shows the bodies' words, never markup from them.
    output = await page.locator("#diff-output").evaluate(
        "node => node.querySelectorAll('*:not(del):not(ins):not(span)').length"
    )
    assert output == 0
