"""Text as people and files hand it in, made safe to store and show.

One rule for every app's forms and importers: NFC (so the same words
compare equal however they were typed), one kind of line ending, and no
control characters: C0 and C1 controls (NUL included, which the page cache's
markers begin with), lone surrogates and the noncharacters U+FFFE/U+FFFF,
none of which XML 1.0 (feeds, sitemaps) admits.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# Line breaks of every kind: CRLF, CR, vertical tab and form feed (a word
# processor's line break), NEL, and the Unicode line/paragraph separators.
_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_CONTROL_INLINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Bidi embeddings, overrides and isolates: a one-line field (a name, a
# dateline) is shown inline beside other text, and one left open there turns
# round everything after it (an author's name reversed the whole byline).
# The marks (LRM, RLM, ALM), which open nothing, stay.
_BIDI_INLINE = re.compile("[\u202a-\u202e\u2066-\u2069]")
# In multi-line text (a body, a caption) the overrides alone: LRO and RLO
# show the letters after them in the other order, so a link's words can read
# as an address they do not say. Right-to-left prose keeps its marks,
# embeddings and isolates, which turn no letters round, and a paragraph ends
# any left open.
_BIDI_OVERRIDE = re.compile("[\u202d\u202e]")


def no_overrides(text: str) -> str:
    """``text`` without bidi overrides (LRO, RLO)."""
    return _BIDI_OVERRIDE.sub("", text)


# Combining marks kept in a row: real spellings stack two to four (pointed
# Hebrew, Vietnamese, Yoruba tones, Devanagari); "Zalgo" text stacks
# hundreds, which tower over the text around them or push the page sideways.
MAX_MARKS = 5
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


@functools.cache
def _mark_runs() -> re.Pattern[str]:
    """More than MAX_MARKS combining marks (Mn, Me) of the BMP in a row.
    Built once per process (~10 ms) from this Python's Unicode data."""
    ranges: list[list[int]] = []
    for code in range(0x10000):
        if unicodedata.category(chr(code)) in ("Mn", "Me"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    marks = "".join(
        re.escape(chr(a)) + ("" if a == b else "-" + re.escape(chr(b)))
        for a, b in ranges
    )
    return re.compile(f"([{marks}]{{{MAX_MARKS}}})[{marks}]+")


def few_marks(text: str) -> str:
    """``text`` with at most MAX_MARKS combining marks in a row. A regular
    expression for text of the BMP (0.2 ms for 16,000 CJK characters); text
    with astral characters (emoji, mathematical letters) goes character by
    character, since marks beyond the BMP would break up the expression's
    runs."""
    if text.isascii():
        return text
    if not _ASTRAL.search(text):
        return _mark_runs().sub(r"\1", text)
    out, run = [], 0
    for ch in text:
        if unicodedata.category(ch) in ("Mn", "Me"):
            run += 1
            if run > MAX_MARKS:
                continue
        else:
            run = 0
        out.append(ch)
    return "".join(out)


def clean_text(text: str, *, multiline: bool = True) -> str:
    """NFC, one kind of line ending, no control characters, and at most
    MAX_MARKS combining marks in a row (``few_marks``).

    In multi-line text, tab and newline stay; every other line break becomes
    a newline, and bidi overrides are dropped (``no_overrides``). In a
    one-line field every control character, newlines included, becomes a
    space, runs of whitespace one space, and bidi
    embeddings, overrides and isolates are dropped.
    """
    if not text:
        return text
    text = _BREAKS.sub("\n", text)
    if multiline:
        text = _BIDI_OVERRIDE.sub("", _CONTROL.sub("", text))
        return few_marks(unicodedata.normalize("NFC", text))
    text = _BIDI_INLINE.sub("", _CONTROL_INLINE.sub(" ", text))
    return " ".join(few_marks(unicodedata.normalize("NFC", text)).split())
