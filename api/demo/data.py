"""The demo data: one German article of 8 January 2022 on the CSTO troops in Kazakhstan,
claims quoted from it, the real documents that bear on them, and the verification updates.

Source URLs are copied from the seed list of real January 2022 documents and no others. The
164 dead are "disputed": the 9 January report (jenimedia's copy of The Washington Post's
article of that day) gives the government's figure, the later report of its withdrawal as a
"technical error" refutes it — two documents, since a claim links each source once.
Titles and excerpts are given only where the source's own words were read; ``None`` elsewhere,
and no publication times, which the list does not give.

The article is dated 8 January 2022 (it quotes the CSTO's post of that day and says the Armenian
troops landed "am Samstag", the 8th). Where it was published is not known, so it has no ``url``
and no ``outlet``: the seed list names documents about its claims, none of which is the article.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from schemas.claims import ClaimantType
from schemas.common import Relation, Status
from schemas.sources import SourceCreate

EXTERNAL_ID = "demo/kasachstan-ovks-2022-01-08"
TITLE = "Kasachstan-Krise: Armenische Truppen treffen in Kasachstan ein"
LANGUAGE = "de"
ARTICLE_DATE = date(2022, 1, 8)
# The day is known, the hour is not: noon UTC is 8 January in every time zone from UTC-11 to UTC+11.
PUBLISHED_AT = datetime(2022, 1, 8, 12, 0, tzinfo=UTC)
BODY_FILE = Path(__file__).resolve().with_name("kasachstan-ovks-2022-01-08.de.txt")

# The lead paragraph opens the text and is repeated after the headline "Almaty – ".
BODY_COPY = "Almaty – "

SOURCES: dict[str, SourceCreate] = {
    "csto-tweet": SourceCreate(
        url="https://t.co/ZitOQbh0jk",
        title="Пашинян заявил, что Армения займётся подготовкой видеоконференции лидеров ОДКБ",
        publisher="CSTO_ОДКБ (@CSTO_ODKB)",
        kind="social_post",
        language="ru",
    ),
    "europediplomatic": SourceCreate(
        url="https://europediplomatic.com/2022/01/06/kazakhstan-csto-troops-to-quell-protests/",
        publisher="europediplomatic.com",
        kind="news_report",
        language="en",
    ),
    "d1softballnews": SourceCreate(
        url="https://d1softballnews.com/moscow-quickly-withdraw-its-troops/",
        publisher="d1softballnews.com",
        kind="news_report",
        language="en",
    ),
    "marketscreener": SourceCreate(
        url="https://it.marketscreener.com/notizie/ultimo/Il-presidente-del-Kazakistan-l-ordine-e-stato-ristabilito--37505588",
        publisher="it.marketscreener.com",
        kind="news_report",
        language="it",
    ),
    "jenimedia": SourceCreate(
        url="http://jenimedia.com/2022/01/09/kazakhstan-claims-country-stabilized-as-capital-police-search-door-to-door-for-violators-of-public-order-the-washington-post/",
        title="Kazakhstan claims country 'stabilized' as capital police search door to door "
        "for 'violators of public order' – The Washington Post",
        publisher="jenimedia.com",
        kind="news_report",
        language="en",
    ),
    "omscroll": SourceCreate(
        url="https://omscroll.com/2022/02/22/whats-going-on-in-kazakhstan/",
        publisher="omscroll.com",
        kind="news_report",
        language="en",
    ),
}


@dataclass(frozen=True, slots=True)
class Evidence:
    source: str  # a key of SOURCES
    relation: Relation
    excerpt: str | None = None


@dataclass(frozen=True, slots=True)
class Update:
    status: Status
    note: str | None = None
    evidence: tuple[Evidence, ...] = ()
    rating_text: str | None = None


@dataclass(frozen=True, slots=True)
class DemoClaim:
    text: str
    quote: str
    prefix: str | None = None
    suffix: str | None = None
    claimant: str | None = None
    claimant_type: ClaimantType | None = None
    tags: tuple[str, ...] = ()
    updates: tuple[Update, ...] = ()


_D1_164 = (
    "Quoting the Ministry of Health, several media reported at least 164 people who died in the "
    "protests (a toll that cannot be independently verified), but the Kazakh Ministry of Information "
    "later retracted the statement speaking of a “technical error”."
)

CLAIMS: tuple[DemoClaim, ...] = (
    DemoClaim(
        text="OVKS-Truppen kommen auf Bitten von Präsident Tokajew nach Kasachstan.",
        quote="Seit Tagen treffen auf Bitten des kasachischen Staatschefs Kassym-Schomart Tokajew "
        "Truppen der OVKS (Organisation des Vertrags über kollektive Sicherheit) in Almaty ein.",
        prefix=BODY_COPY,
        tags=("ovks", "truppen"),
        updates=(
            Update(
                "verified",
                note="Der Beschluss des Kollektiven Sicherheitsrats folgte Tokajews Ersuchen; "
                "rund 2.500 Soldaten landeten ab dem 6. Januar.",
                evidence=(
                    Evidence("europediplomatic", "supports"),
                    Evidence(
                        "jenimedia",
                        "supports",
                        "About 2,500 foreign troops landed in Kazakhstan on Thursday after Tokayev’s "
                        "appealed to the CSTO for assistance.",
                    ),
                    Evidence("marketscreener", "context"),
                ),
            ),
        ),
    ),
    DemoClaim(
        text="Armenische Einheiten der OVKS landeten am Samstag, dem 8. Januar 2022, in Almaty.",
        quote="Hierzu gehören auch Verbände Armeniens, die am Samstag im wirtschaftlichen Zentrum "
        "Kasachstans landeten.",
        suffix="\n\nDie OVKS",
        tags=("ovks", "armenien", "truppen"),
    ),
    DemoClaim(
        text="Die OVKS wurde 2002 unter Führung Russlands in Chișinău gegründet.",
        quote="im Jahr 2002 unter der Führung Russlands in der moldauischen Hauptstadt Chișinău "
        "gegründetes internationales Militärbündnis",
        tags=("ovks", "geschichte"),
        updates=(
            Update(
                "in_review",
                note="Gründungsjahr und -ort gegen die Charta der OVKS prüfen; "
                "die vorliegenden Quellen nennen beides nicht.",
            ),
        ),
    ),
    DemoClaim(
        text="Armenien hat derzeit den Vorsitz in der OVKS.",
        quote="Armenien hat derzeit den Vorsitz in der Organisation inne.",
        tags=("ovks", "armenien"),
        updates=(
            Update(
                "verified",
                note="Paschinjan verkündete den Entsendebeschluss als Vorsitzender des Kollektiven "
                "Sicherheitsrats; das OVKS-Konto meldet, Armenien bereite die Videokonferenz vor.",
                evidence=(
                    Evidence("europediplomatic", "supports"),
                    Evidence("csto-tweet", "context"),
                ),
            ),
        ),
    ),
    DemoClaim(
        text="Die 3.600 Mann starke Friedenstruppe der OVKS ist von den Vereinten Nationen anerkannt.",
        quote="Seine 3.600 Mann starke sogenannte Friedenstruppe wird von der UNO anerkannt.",
        tags=("ovks", "uno", "truppen"),
        updates=(
            Update(
                "unverifiable",
                note="Keine Quelle belegt die Zahl 3.600 oder eine Anerkennung durch die UNO; "
                "außerdem bleibt offen, ob „Seine“ Armenien oder das Bündnis meint.",
            ),
        ),
    ),
    DemoClaim(
        text="Die OVKS verfügt über eine 20.000 Mann starke schnelle Eingreiftruppe.",
        quote="Insgesamt verfügt das Bündnis über eine 20.000 Mann starke schnelle Eingreiftruppe.",
        tags=("ovks", "truppen"),
        updates=(
            Update(
                "in_review",
                note="Stärke der Eingreiftruppe bei der OVKS anfragen. Zum Vergleich: in Kasachstan "
                "waren es laut Tokajew 2.030 Soldaten und 250 Stück Militärtechnik.",
                evidence=(Evidence("marketscreener", "context"),),
            ),
        ),
    ),
    DemoClaim(
        text="Paschinjan kündigte an, Armenien werde eine Videokonferenz der OVKS-Staatschefs vorbereiten.",
        quote="Пашинян заявил, что Армения займётся подготовкой видеоконференции лидеров ОДКБ",
        claimant="CSTO_ОДКБ (@CSTO_ODKB)",
        claimant_type="organization",
        tags=("ovks", "armenien"),
        updates=(
            Update(
                "verified",
                note="Der Tweet des OVKS-Kontos vom 8. Januar 2022 ist im Artikel zitiert.",
                evidence=(
                    Evidence(
                        "csto-tweet",
                        "supports",
                        "Пашинян заявил, что Армения займётся подготовкой видеоконференции лидеров ОДКБ",
                    ),
                ),
            ),
        ),
    ),
    DemoClaim(
        text="Bei den Protesten in Kasachstan starben mindestens 164 Menschen.",
        quote="Mindestens 164 Tote bei Protesten in Kasachstan",
        tags=("opfer",),
        updates=(
            Update(
                "in_review",
                note="Am 9. Januar nannte die Regierung 164 Tote.",
                evidence=(Evidence("jenimedia", "supports"),),
            ),
            Update(
                "disputed",
                note="Das Informationsministerium zog die Zahl als „technischen Fehler“ zurück; "
                "eine bestätigte Gesamtzahl liegt nicht vor.",
                evidence=(Evidence("d1softballnews", "refutes", _D1_164),),
                rating_text="Umstritten",
            ),
        ),
    ),
    DemoClaim(
        text="Bei den Auseinandersetzungen wurden über 150 Menschen getötet.",
        quote="über 150 Menschen getötet",
        claimant="Medienberichte",
        claimant_type="organization",
        tags=("opfer",),
        updates=(
            Update(
                "in_review",
                note="Geht wohl auf dieselbe Zahl von 164 Toten zurück, die das Informationsministerium "
                "später zurückzog; auf eine bestätigte Zahl warten.",
                evidence=(Evidence("d1softballnews", "context", _D1_164),),
            ),
        ),
    ),
    DemoClaim(
        text="Fast 6.000 Menschen wurden festgenommen, darunter viele Ausländer.",
        quote="Es seien mittlerweile fast 6000 Menschen festgenommen worden, darunter auch viele Ausländer.",
        claimant="Medienberichte",
        claimant_type="organization",
        tags=("festnahmen",),
        updates=(
            Update(
                "verified",
                note="Stand 9. Januar. Spätere Angaben: über 8.000, laut Innenministerium fast 10.000. "
                "Wie viele Ausländer darunter waren, nennen die Quellen nicht.",
                evidence=(
                    Evidence("jenimedia", "supports"),
                    Evidence("omscroll", "context"),
                    Evidence("d1softballnews", "context"),
                ),
                rating_text="Zutreffend (Stand 9. Januar)",
            ),
        ),
    ),
    DemoClaim(
        text="Tokajew bezeichnete die Demonstranten als „Terroristen“ und „Banditen“.",
        quote="Tokajew bezeichnete die Demonstranten als „Terroristen“ und „Banditen“.",
        claimant="Tokajew",
        tags=("tokajew",),
    ),
    DemoClaim(
        text="Tokajew befahl Polizei und Armee, ohne Vorwarnung auf Demonstranten zu schießen.",
        quote="Er wies am Freitag Polizei und Armee an, „ohne Vorwarnung“ auf sie zu schießen.",
        claimant="Tokajew",
        tags=("tokajew", "gewalt"),
        updates=(
            Update(
                "verified",
                note="Der Bericht gibt den Befehl als „shoot to kill without warning“ wieder; der Artikel "
                "datiert ihn auf Freitag, den 7. Januar.",
                evidence=(Evidence("omscroll", "supports"), Evidence("d1softballnews", "context")),
            ),
        ),
    ),
    DemoClaim(
        text="Kasachstan sperrte neben Facebook, WhatsApp und Telegram erstmals auch WeChat.",
        quote="erstmals auch die chinesische App WeChat",
        tags=("internet", "zensur"),
        updates=(
            Update(
                "unverifiable",
                note="Keine Quelle nennt Sperren einzelner Apps, und „erstmals“ setzt eine Übersicht "
                "früherer Sperren voraus, die nicht vorliegt.",
            ),
        ),
    ),
)


def body() -> str:
    return BODY_FILE.read_text(encoding="utf-8")
