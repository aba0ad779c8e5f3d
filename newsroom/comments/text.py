"""Comment text to HTML: paragraphs and links only, everything else escaped.

Readers write plain text. Blank lines make paragraphs, single newlines line
breaks, bare http(s) URLs and ``[text](url)`` become links. Every other
character is escaped first, so ``<b>`` shows as ``<b>``; nh3 then checks the
result as a second line of defence and adds ``rel="nofollow ugc"``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import urlsplit

import nh3
from django.utils.html import escape

from newsroom.core.addresses import address, mailbox
from newsroom.core.text import few_marks

LINK_RE = re.compile(
    r"\[(?P<label>[^\]\n]{1,200})\]\((?P<target>https?://[^\s()<>]+)\)"
    r"|(?P<bare>https?://[^\s<>\"']+)",
    re.IGNORECASE,
)
TRAILING = ".,;:!?)]}'\""
# Characters that change how text around them is shown without being seen:
# bidi embeddings, overrides, isolates and marks, zero-width spaces and
# joiners, the word joiner and invisible operators, the BOM, soft hyphen,
# Mongolian vowel separator and the Hangul fillers. And the control
# characters XML 1.0 refuses or discourages (C0 but tab, newline and carriage
# return; DEL and C1; lone surrogates; U+FFFE/U+FFFF): the comment feeds
# answered 500 (or invalid XML) for a name with an escape sequence.
INVISIBLE = re.compile(
    "[\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0"
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]"
)
# A label that reads like an address: a scheme, "www.", or name.tld.
LOOKS_LIKE_URL = re.compile(
    r"(?i)(?:[a-z][a-z0-9+.-]*://|www\.|\b[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b)"
)


def clean_text(text: str) -> str:
    """NFC, without the invisible characters that could make text spoof, and
    at most MAX_MARKS combining marks in a row (``core.text.few_marks``)."""
    return few_marks(INVISIBLE.sub("", unicodedata.normalize("NFC", text or "")))


def domain(url: str) -> str:
    """The host a link really goes to (IDNA shown as punycode, lower case);
    "" when there is none Python can read (``https://[::1/``, ``https://[x]/``)."""
    try:
        host = (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:  # an unclosed or non-address bracket
        return ""
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return host.lower()


def count_links(text: str) -> int:
    return sum(1 for _ in LINK_RE.finditer(text))


# Dots a reader takes for "." that NFKC leaves alone (it folds the one dot
# leader U+2024 and the full-width full stop itself), and a name.tld whose
# ending is letters of any script ("paypal.\u0441om", a Cyrillic "с").
DOT_LIKE = str.maketrans({"\u3002": ".", "\uff61": "."})
ANY_TLD = re.compile(r"\b[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}\b")
# An address by number ("192.168.1.1": a router's own page, say).
IPV4 = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")


def looks_like_url(label: str) -> bool:
    """Whether a link's label reads as an address (a name, a scheme or an
    address by number), look-alike dots included, and read without the
    characters that show nothing (``IGNORABLE``): "bank\ufe0f.example"
    reads as "bank.example"."""
    folded = unicodedata.normalize("NFKC", IGNORABLE.sub("", label))
    folded = folded.translate(DOT_LIKE)
    return bool(
        LOOKS_LIKE_URL.search(folded) or ANY_TLD.search(folded) or IPV4.search(folded)
    )


def _link(url: str, label: str) -> str:
    return f'<a href="{escape(url)}">{escape(label)}</a>'


def _inline(paragraph: str) -> str:
    out, pos = [], 0
    for match in LINK_RE.finditer(paragraph):
        out.append(escape(paragraph[pos : match.start()]))
        if match.group("bare"):
            url = match.group("bare")
            tail = ""
            while url and url[-1] in TRAILING:
                url, tail = url[:-1], url[-1] + tail
            out.append(_link(url, url) + escape(tail))
        else:
            target, label = match.group("target"), match.group("label")
            if not looks_like_url(label):
                out.append(_link(target, label))
            elif host := domain(target):
                # A label that looks like an address could name another one:
                # the real destination is shown beside it.
                out.append(f"{_link(target, label)} [{escape(host)}]")
            else:
                # No host to show beside it: the text as typed, not a link.
                out.append(escape(match.group(0)))
        pos = match.end()
    out.append(escape(paragraph[pos:]))
    return "<br>".join("".join(out).split("\n"))


def render_body(text: str) -> str:
    text = clean_text(text).replace("\r\n", "\n").replace("\r", "\n").strip()
    paragraphs = [p.strip() for p in re.split(r"\n[ \t]*\n", text) if p.strip()]
    html = "".join(f"<p>{_inline(p)}</p>" for p in paragraphs)
    return nh3.clean(
        html,
        tags={"p", "br", "a"},
        attributes={"a": {"href"}},
        url_schemes={"http", "https"},
        link_rel="nofollow ugc",
    )


def address_key(text: str) -> str:
    """How an address is compared and looked up (bans, a reader's data
    request): :func:`mailbox`, or lower case when it is not one."""
    try:
        return mailbox(text)
    except ValueError:
        return address(text).strip().lower()


# Characters that show nothing and that clean_text keeps, since emoji need
# them (variation selectors, tag letters of flags) or they are rare enough
# to leave (the grapheme joiner, Khmer inherent vowels, Mongolian selectors):
# inside a word they split it for the rules while it reads as one.
IGNORABLE = re.compile(
    "[\u034f\u17b4\u17b5\u180b-\u180f\ufe00-\ufe0f\U000e0000-\U000e0fff]"
)


def fold(text: str) -> str:
    """Text as the rules compare it: compatibility forms folded (NFKC), case
    folded and without the characters that show nothing, so "ｃａｓｉｎｏ",
    "𝐜𝐚𝐬𝐢𝐧𝐨" and "cas\ufe0fino" read as "casino" (as a reader reads
    them). Only for comparing: the stored text keeps its letters."""
    folded = unicodedata.normalize(
        "NFKC", unicodedata.normalize("NFKC", text).casefold()
    )
    return IGNORABLE.sub("", folded)


def body_hash(text: str) -> str:
    """Same words, same hash: case, spacing, punctuation, compatibility
    forms (full-width, mathematical letters) and look-alikes of another
    script among a word's Latin letters (``words.as_latin``) do not matter."""
    from .words import as_latin  # words reads fold() from here

    words = [as_latin(w) for w in re.findall(r"\w+", fold(text))]
    return hashlib.sha256(" ".join(words).encode()).hexdigest()
