"""A page's main text and its fingerprint, so that a check notices what a reader would notice.

Pages change on every load without saying anything new: rotating ads, "updated 3 minutes ago",
the date in the header, related-article teasers. The fingerprint is a SHA-256 of the text that
is left after

- dropping whole elements that are not the document: script, style, noscript, template, svg,
  iframe, form, button, select, nav, header, footer, aside, and elements whose ARIA role is
  navigation, banner, contentinfo, complementary, search or dialog;
- keeping only <main> and <article> when the page has them (else the whole body);
- normalising Unicode (NFKC), collapsing whitespace;
- dropping tokens that are clock times (``14:05``, ``9:30pm``, ``14:05:33``) and numeric dates
  (``2024-03-01``, ``2024-03-01T14:05Z``, ``01.03.2024``, ``3/1/24``).

Other numbers are kept on purpose: a source whose "164 dead" becomes "150 dead" has changed in
exactly the way a fact-checker needs to hear about. Dates written in words ("1 March") are kept
too; a page that prints today's date in words inside its main text will read as changed.

Other text types (plain text, JSON, XML, CSV) are fingerprinted by their whitespace-collapsed
text; anything else (PDF, images) by its bytes.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from email.message import Message
from html.parser import HTMLParser

SKIPPED = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "iframe",
        "form",
        "button",
        "select",
        "nav",
        "header",
        "footer",
        "aside",
        "head",
    }
)
SKIPPED_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search", "dialog"})
MAIN = frozenset({"main", "article"})
VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)
# Block elements end a word even when the markup has no space between them.
BLOCKS = frozenset(
    {"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "tr", "br", "section"}
    | {"blockquote", "pre", "figcaption", "dd", "dt", "table", "main", "article"}
)

_VOLATILE = re.compile(
    r"""^[(\[]?(?:
        \d{1,2}:\d{2}(?::\d{2})?(?:\s?[ap]\.?m\.?|h|uhr)?            # 14:05, 9:30pm, 14:05:33
      | \d{4}-\d{2}-\d{2}(?:[t\s]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:z|[+-]\d{2}:?\d{2})?)?  # ISO
      | \d{1,2}[./]\d{1,2}[./]\d{2,4}                               # 01.03.2024, 3/1/24
    )[)\].,;:]?$""",
    re.IGNORECASE | re.VERBOSE,
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
TITLE_MAX = 1_000


class _MainText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.all: list[str] = []
        self.main: list[str] = []
        self.title: list[str] = []
        self._skip: tuple[str, int] | None = None  # (element name, how many of it are open)
        self._main: tuple[str, int] | None = None
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        if tag in VOID:
            if tag == "br":
                self._gap()
            return
        if self._skip is not None:
            if tag == self._skip[0]:
                self._skip = (tag, self._skip[1] + 1)
            return
        role = next((v for k, v in attrs if k == "role"), None)
        if (
            tag in SKIPPED
            or (role and role.strip().lower() in SKIPPED_ROLES)
            or any(k == "hidden" for k, _ in attrs)
        ):
            self._skip = (tag, 1)
            return
        if self._main is not None:
            if tag == self._main[0]:
                self._main = (tag, self._main[1] + 1)
        elif tag in MAIN:
            self._main = (tag, 1)
        if tag in BLOCKS:
            self._gap()

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if self._skip is not None:
            if tag == self._skip[0]:
                count = self._skip[1] - 1
                self._skip = (tag, count) if count else None
            return
        if tag in BLOCKS:
            self._gap()
        if self._main is not None and tag == self._main[0]:
            count = self._main[1] - 1
            self._main = (tag, count) if count else None
            self.main.append(" ")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)
        if self._skip is not None:
            return
        self.all.append(data)
        if self._main is not None:
            self.main.append(data)

    def _gap(self) -> None:
        self.all.append(" ")
        if self._main is not None:
            self.main.append(" ")


def normalise(text: str) -> str:
    """NFKC, whitespace collapsed, clock times and numeric dates dropped."""
    tokens = unicodedata.normalize("NFKC", text).split()
    return " ".join(t for t in tokens if not _VOLATILE.match(t))


def fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def charset(content_type: str | None, body: bytes) -> str:
    """The body's character set: from the header, else a <meta> in the first 2 KiB, else UTF-8."""
    if content_type:
        message = Message()
        message["content-type"] = content_type
        declared = message.get_param("charset")
        if isinstance(declared, str):
            return declared
    found = _META_CHARSET.search(body[:2048])
    return found.group(1).decode("ascii") if found else "utf-8"


def decode(body: bytes, content_type: str | None) -> str:
    try:
        return body.decode(charset(content_type, body), errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_html(content_type: str | None, body: bytes) -> bool:
    kind = media_type(content_type)
    if kind in ("text/html", "application/xhtml+xml"):
        return True
    head = body[:512].lstrip().lower()
    return not kind and (head.startswith(b"<!doctype html") or head.startswith(b"<html"))


def is_text(content_type: str | None) -> bool:
    kind = media_type(content_type)
    return kind.startswith("text/") or kind.endswith(("+json", "+xml", "/json", "/xml", "/csv"))


def extract(body: bytes, content_type: str | None) -> tuple[str, str | None]:
    """(fingerprint of the page's main text, the page's title or None)."""
    if is_html(content_type, body):
        parser = _MainText()
        parser.feed(decode(body, content_type))
        parser.close()
        main = normalise("".join(parser.main))
        text = main or normalise("".join(parser.all))
        title = " ".join("".join(parser.title).split())[:TITLE_MAX] or None
        return fingerprint(text), title
    if is_text(content_type):
        return fingerprint(normalise(decode(body, content_type))), None
    return hashlib.sha256(body).hexdigest(), None
