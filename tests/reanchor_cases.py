"""The edit set for re-anchoring: scripted corrections of three articles, each with the outcome
expected for every claim (anchored, reworded at a given place, or orphaned).

An article is a body and its claims, each a quote and which of its occurrences it sits on. An
edit turns the body into a new one; its expectations name the claims whose outcome is not
"anchored with the same words, on the same occurrence". An expected place is given by the
words found there and their occurrence in the new body, never by offsets, so that a case reads
as an editor would describe it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# The seed article, as the demo ships it.
SEED_TEXT = (
    Path(__file__).resolve().parents[1] / "api" / "demo" / "kasachstan-ovks-2022-01-08.de.txt"
).read_text(encoding="utf-8")

EN_TEXT = """\
City approves tram plan

The city council approved a budget of 4.2 million dollars on Monday. According to the mayor, the new tram line will open in 2027.

It is the first time the city has invested in pubic transport since 1998. Critics say the project is the most expensive in the region.

Ticket prices will rise by 15 percent because of higher energy costs. The opposition called the plan "reckless" and demanded a referendum.

About 12,000 residents signed a petition against it. The mayor said: "We will deliver on time and on budget."

The council meets again in March.
"""

RU_TEXT = """\
Городской совет утвердил бюджет

В понедельник городской совет утвердил бюджет в размере 4,2 млн рублей. По данным мэрии, новая линия трамвая откроется в 2027 году.

Впервые с 1998 года город вкладывает деньги в общественый транспорт. Критики считают проект самым дорогим в регионе.

Цены на билеты вырастут на 15 процентов из-за роста цен на энергию. Оппозиция назвала план «безрассудным» и потребовала референдума.

Около 12 000 жителей подписали петицию против проекта. Мэр заявил: «Мы уложимся в сроки и в бюджет».

Совет снова соберётся в марте.
"""


@dataclass(frozen=True)
class Claim:
    quote: str
    occurrence: int = 0  # which occurrence of the quote in the body the claim sits on


@dataclass(frozen=True)
class Expect:
    outcome: str  # anchored | reworded | orphaned
    words: str | None = None  # the words at the new place (anchored: None means the quote)
    occurrence: int = 0


@dataclass(frozen=True)
class Edit:
    name: str
    change: Callable[[str], str]
    expect: dict[str, Expect] = field(default_factory=dict)


def swap(old: str, new: str, count: int = 1) -> Callable[[str], str]:
    def change(body: str) -> str:
        assert old in body, f"{old!r} is not in the body"
        return body.replace(old, new, count)

    return change


def chain(*changes: Callable[[str], str]) -> Callable[[str], str]:
    def change(body: str) -> str:
        for c in changes:
            body = c(body)
        return body

    return change


def move_paragraph(index: int, to: int) -> Callable[[str], str]:
    def change(body: str) -> str:
        paragraphs = body.split("\n\n")
        paragraphs.insert(to, paragraphs.pop(index))
        return "\n\n".join(paragraphs)

    return change


def drop_paragraph(index: int) -> Callable[[str], str]:
    def change(body: str) -> str:
        paragraphs = body.split("\n\n")
        del paragraphs[index]
        return "\n\n".join(paragraphs)

    return change


LEAD = (
    "Hierzu gehören auch Verbände Armeniens, die am Samstag im wirtschaftlichen Zentrum Kasachstans landeten."
)

DE_CLAIMS = {
    "troops": Claim("Seine 3.600 Mann starke sogenannte Friedenstruppe wird von der UNO anerkannt."),
    "wechat": Claim("erstmals auch die chinesische App WeChat"),
    "dead": Claim("Mindestens 164 Tote bei Protesten in Kasachstan"),
    "killed": Claim("über 150 Menschen getötet"),
    "lead": Claim(LEAD, occurrence=1),
    "terror": Claim("Tokajew bezeichnete die Demonstranten als „Terroristen“ und „Banditen“."),
    "injured": Claim("mehr als als 2200 Menschen verletzt"),
    "gas": Claim("die Preisobergrenzen für Flüssiggas aufhob – ein kohlenstoffarmer Treibstoff"),
}

DE_EDITS = [
    Edit(
        "de: a doubled word fixed",
        swap("mehr als als 2200", "mehr als 2200"),
        {"injured": Expect("reworded", "mehr als 2200 Menschen verletzt")},
    ),
    Edit(
        "de: German quotation marks become straight ones",
        swap("„Terroristen“ und „Banditen“", '"Terroristen" und "Banditen"'),
        {
            "terror": Expect(
                "anchored", 'Tokajew bezeichnete die Demonstranten als "Terroristen" und "Banditen".'
            )
        },
    ),
    Edit(
        "de: a line wrapped inside a quote",
        swap("sogenannte Friedenstruppe", "sogenannte\nFriedenstruppe"),
        {
            "troops": Expect(
                "anchored", "Seine 3.600 Mann starke sogenannte\nFriedenstruppe wird von der UNO anerkannt."
            )
        },
    ),
    Edit("de: a paragraph inserted at the top", lambda b: "Eilmeldung: Die Lage bleibt angespannt.\n\n" + b),
    Edit("de: the tweet's paragraph deleted", drop_paragraph(4)),
    Edit("de: the death toll's paragraph moved to the end", move_paragraph(5, 9)),
    Edit(
        "de: the repeated lead paragraph removed",
        drop_paragraph(0),
        {"lead": Expect("anchored", LEAD, 0)},
    ),
    Edit(
        "de: the number of dead corrected",
        swap("Mindestens 164 Tote", "Mindestens 225 Tote"),
        {"dead": Expect("reworded", "Mindestens 225 Tote bei Protesten in Kasachstan")},
    ),
    Edit(
        "de: the WeChat sentence rewritten beyond recognition",
        swap(
            "Die Regierung hat auch versucht, die Demonstrationen durch die Verhängung des Ausnahmezustands und "
            "die Sperrung von sozialen Netzwerken und Chat-Apps, darunter Facebook, WhatsApp, Telegram und "
            "erstmals auch die chinesische App WeChat, zu unterdrücken.",
            "Landesweit blieb das Internet mehrere Tage lang abgeschaltet.",
        ),
        {"wechat": Expect("orphaned")},
    ),
    Edit(
        "de: the peacekeepers' sentence replaced by another",
        swap(
            "Seine 3.600 Mann starke sogenannte Friedenstruppe wird von der UNO anerkannt.",
            "Über die Größe der armenischen Einheit gibt es keine Angaben.",
        ),
        {"troops": Expect("orphaned")},
    ),
    Edit(
        "de: the number of killed updated",
        swap("über 150 Menschen getötet", "über 160 Menschen getötet"),
        {"killed": Expect("reworded", "über 160 Menschen getötet")},
    ),
    Edit(
        "de: a typo made inside a quote",
        swap("sogenannte Friedenstruppe", "sogenannte Friedenstrupe"),
        {
            "troops": Expect(
                "reworded", "Seine 3.600 Mann starke sogenannte Friedenstrupe wird von der UNO anerkannt."
            )
        },
    ),
    Edit(
        "de: a paragraph inserted and the quotation marks changed",
        chain(
            lambda b: b.replace("\n\nDie OVKS ist", "\n\nEin neuer Absatz über die Lage.\n\nDie OVKS ist", 1),
            swap("„ohne Vorwarnung“", "«ohne Vorwarnung»"),
        ),
    ),
    Edit(
        "de: a sentence without claims deleted",
        swap(
            "Es seien mittlerweile fast 6000 Menschen festgenommen worden, darunter auch viele Ausländer. ",
            "",
        ),
    ),
    Edit(
        "de: a word dropped from a quoted sentence",
        swap(
            "Seine 3.600 Mann starke sogenannte Friedenstruppe wird von der UNO anerkannt.",
            "Seine 3.600 Mann starke Friedenstruppe ist von der UNO anerkannt.",
        ),
        {"troops": Expect("reworded", "Seine 3.600 Mann starke Friedenstruppe ist von der UNO anerkannt.")},
    ),
    Edit(
        "de: a dash changed inside a quote",
        swap("aufhob – ein", "aufhob — ein"),
        {
            "gas": Expect(
                "anchored", "die Preisobergrenzen für Flüssiggas aufhob — ein kohlenstoffarmer Treibstoff"
            )
        },
    ),
    Edit(
        "de: the killed figure cut, the injured one left beside it",
        swap("über 150 Menschen getötet und ", ""),
        {"killed": Expect("orphaned")},
    ),
    Edit(
        "de: the death toll's paragraph moved and its number corrected",
        chain(move_paragraph(5, 9), swap("Mindestens 164 Tote", "Mindestens 225 Tote")),
        {"dead": Expect("reworded", "Mindestens 225 Tote bei Protesten in Kasachstan")},
    ),
    Edit(
        "de: the death toll's heading deleted",
        swap("Mindestens 164 Tote bei Protesten in Kasachstan\n\n", ""),
        {"dead": Expect("orphaned")},
    ),
]

EN_CLAIMS = {
    "budget": Claim("approved a budget of 4.2 million dollars on Monday"),
    "first": Claim("It is the first time the city has invested in pubic transport since 1998."),
    "prices": Claim("Ticket prices will rise by 15 percent because of higher energy costs."),
    "petition": Claim("About 12,000 residents signed a petition against it."),
    "quote": Claim('The mayor said: "We will deliver on time and on budget."'),
    "open": Claim("the new tram line will open in 2027"),
}

EN_EDITS = [
    Edit(
        "en: a typo fixed",
        swap("pubic transport", "public transport"),
        {
            "first": Expect(
                "reworded", "It is the first time the city has invested in public transport since 1998."
            )
        },
    ),
    Edit(
        "en: curly quotes",
        swap('"We will deliver on time and on budget."', "“We will deliver on time and on budget.”"),
        {"quote": Expect("anchored", "The mayor said: “We will deliver on time and on budget.”")},
    ),
    Edit(
        "en: the budget corrected",
        swap("4.2 million", "4.7 million"),
        {"budget": Expect("reworded", "approved a budget of 4.7 million dollars on Monday")},
    ),
    Edit(
        "en: a paragraph inserted in the middle",
        swap("\n\nTicket prices", "\n\nThe vote was 7 to 4.\n\nTicket prices"),
    ),
    Edit("en: the last paragraph deleted", swap("\nThe council meets again in March.\n", "\n")),
    Edit("en: two paragraphs swapped", move_paragraph(3, 1)),
    Edit(
        "en: the year of opening rewritten beyond recognition",
        swap("the new tram line will open in 2027", "nobody knows yet when trams will run"),
        {"open": Expect("orphaned")},
    ),
    Edit(
        "en: a sentence reworded",
        swap(
            "Ticket prices will rise by 15 percent because of higher energy costs.",
            "Ticket prices will rise by 15 percent due to higher energy costs.",
        ),
        {"prices": Expect("reworded", "Ticket prices will rise by 15 percent due to higher energy costs.")},
    ),
    Edit(
        "en: lines re-wrapped",
        lambda b: b.replace(". Critics", ".\nCritics").replace(". The opposition", ".\nThe opposition"),
    ),
    Edit(
        "en: the petition sentence replaced",
        swap(
            "About 12,000 residents signed a petition against it.",
            "Shops on the route reported higher sales.",
        ),
        {"petition": Expect("orphaned")},
    ),
    Edit(
        "en: the first-time sentence doubled in a summary at the top",
        lambda b: "It is the first time the city has invested in pubic transport since 1998.\n\n" + b,
        {"first": Expect("anchored", None, 1)},
    ),
    Edit(
        "en: a number changed and a paragraph added",
        chain(swap("15 percent", "18 percent"), lambda b: b + "\nMore to follow.\n"),
        {
            "prices": Expect(
                "reworded", "Ticket prices will rise by 18 percent because of higher energy costs."
            )
        },
    ),
]

RU_CLAIMS = {
    "budget": Claim("утвердил бюджет в размере 4,2 млн рублей"),
    "first": Claim("Впервые с 1998 года город вкладывает деньги в общественый транспорт."),
    "prices": Claim("Цены на билеты вырастут на 15 процентов из-за роста цен на энергию."),
    "petition": Claim("Около 12 000 жителей подписали петицию против проекта."),
    "quote": Claim("Мэр заявил: «Мы уложимся в сроки и в бюджет»."),
    "open": Claim("новая линия трамвая откроется в 2027 году"),
}

RU_EDITS = [
    Edit(
        "ru: a typo fixed",
        swap("общественый", "общественный"),
        {
            "first": Expect(
                "reworded", "Впервые с 1998 года город вкладывает деньги в общественный транспорт."
            )
        },
    ),
    Edit(
        "ru: a letter changed in a word",
        swap("соберётся", "соберется"),
    ),
    Edit(
        "ru: guillemets become straight quotes",
        swap("«Мы уложимся в сроки и в бюджет»", '"Мы уложимся в сроки и в бюджет"'),
        {"quote": Expect("anchored", 'Мэр заявил: "Мы уложимся в сроки и в бюджет".')},
    ),
    Edit(
        "ru: the budget corrected",
        swap("4,2 млн", "4,8 млн"),
        {"budget": Expect("reworded", "утвердил бюджет в размере 4,8 млн рублей")},
    ),
    Edit("ru: a paragraph inserted at the top", lambda b: "Срочно: новости дополняются.\n\n" + b),
    Edit("ru: two paragraphs swapped", move_paragraph(2, 4)),
    Edit(
        "ru: a sentence rewritten beyond recognition",
        swap(
            "Цены на билеты вырастут на 15 процентов из-за роста цен на энергию.",
            "Пассажиры пока не знают, что их ждёт.",
        ),
        {"prices": Expect("orphaned")},
    ),
    Edit(
        "ru: a word changed in a quote",
        swap("подписали петицию против проекта", "подписали обращение против проекта"),
        {"petition": Expect("reworded", "Около 12 000 жителей подписали обращение против проекта.")},
    ),
    Edit(
        "ru: a space in a number changed",
        swap("Около 12 000", "Около 12\u00a0000"),
        {"petition": Expect("anchored", "Около 12\u00a0000 жителей подписали петицию против проекта.")},
    ),
    Edit(
        "ru: the year of opening changed",
        swap("в 2027 году", "в 2028 году"),
        {"open": Expect("reworded", "новая линия трамвая откроется в 2028 году")},
    ),
    Edit("ru: a paragraph deleted", drop_paragraph(5)),
    Edit(
        "ru: the first-time sentence deleted",
        swap("Впервые с 1998 года город вкладывает деньги в общественый транспорт. ", ""),
        {"first": Expect("orphaned")},
    ),
]

ARTICLES = [
    ("de", SEED_TEXT, DE_CLAIMS, DE_EDITS),
    ("en", EN_TEXT, EN_CLAIMS, EN_EDITS),
    ("ru", RU_TEXT, RU_CLAIMS, RU_EDITS),
]
