"""Finding the sentences worth checking (api/candidates/rules.py)."""

from __future__ import annotations

from api.candidates.rules import DEFAULT_MIN_SCORE, assess, find, sentences
from api.demo import data as demo


def texts(body: str, language: str | None) -> list[str]:
    return [body[s:e] for s, e in sentences(body, language)]


def test_german_abbreviations_and_figures_do_not_end_a_sentence() -> None:
    body = (
        "Das ist z. B. ein Test. Herr Dr. Müller wohnt in Haus Nr. 5 mit 3.600 Leuten. "
        "Am 8. Januar kamen 20.000 Mann."
    )
    assert texts(body, "de") == [
        "Das ist z. B. ein Test.",
        "Herr Dr. Müller wohnt in Haus Nr. 5 mit 3.600 Leuten.",
        "Am 8. Januar kamen 20.000 Mann.",
    ]


def test_a_segment_starting_in_lower_case_continues_the_sentence() -> None:
    body = "По данным МВД, погибли 164 чел. в т. ч. 10 детей. Далее."
    assert texts(body, "ru") == ["По данным МВД, погибли 164 чел. в т. ч. 10 детей.", "Далее."]


def test_the_repeated_lead_of_the_seed_article_gives_two_candidates_at_their_own_spans() -> None:
    body = demo.body()
    lead = "Seit Tagen treffen auf Bitten des kasachischen Staatschefs"
    found = [c for c in find(body, "de") if c.quote.startswith(lead)]
    assert len(found) == 2
    first, second = found
    assert first.start == 0
    assert body[second.start - len(demo.BODY_COPY) : second.start] == demo.BODY_COPY
    for c in found:
        assert body[c.start : c.end] == c.quote
        assert c.score >= DEFAULT_MIN_SCORE


def test_every_candidate_quote_is_the_body_at_its_span_in_text_order() -> None:
    body = demo.body()
    found = find(body, "de")
    assert [c.start for c in found] == sorted(c.start for c in found)
    for c in found:
        assert body[c.start : c.end] == c.quote
        assert c.quote == c.quote.strip()


def test_reasons_come_from_the_article_s_language() -> None:
    score, reasons, quantities = assess("Medienberichten zufolge starben erstmals über 150 Menschen.", "de")
    assert reasons == ("number", "first_time", "attribution")
    assert [q.text for q in quantities] == ["über 150 Menschen"]
    assert 0 < score <= 1
    assert assess("According to officials, 150 people died because of the heat.", "en")[1] == (
        "number",
        "attribution",
        "causal",
    )
    assert assess("По данным МВД, впервые погибли более 150 человек из-за жары.", "ru")[1] == (
        "number",
        "first_time",
        "attribution",
        "causal",
    )


def test_an_unknown_language_gets_the_language_free_reasons_only() -> None:
    _, reasons, _ = assess(
        "Selon le ministère, 150 personnes sont mortes pour la première fois « hier ».", "fr"
    )
    assert reasons == ("number", "quotation")


def test_a_cyrillic_passage_uses_the_russian_rules_in_any_article() -> None:
    assert "attribution" in assess("Пашинян заявил, что Армения займётся подготовкой", "de")[1]


def test_a_dateline_and_a_byline_stand_apart_from_the_statement() -> None:
    body = (
        "Almaty – Seit Tagen treffen Truppen ein, sagte ein Sprecher. "
        "Er sagte — https://t.co/x — @someone January 8, 2022"
    )
    quotes = [c.quote for c in find(body, "de")]
    assert quotes[0] == "Seit Tagen treffen Truppen ein, sagte ein Sprecher."


def test_opinions_questions_and_scene_setting_stay_below_the_default() -> None:
    for text, language in [
        ("I think the new stadium is the most beautiful building in the city.", "en"),
        ("What will happen to the protesters now?", "en"),
        ("Snow covered the empty square as the evening light faded.", "en"),
        ("Ich finde, Almaty ist die schönste Stadt des Landes.", "de"),
    ]:
        assert assess(text, language)[0] < DEFAULT_MIN_SCORE, text
