"""Text as people and files hand it in, made safe to store and show.

One rule for every app's forms and importers: NFC (so the same words
compare equal however they were typed), one kind of line ending, and no
control characters: C0 and C1 controls (NUL included, which the page cache's
markers begin with), lone surrogates and the noncharacters U+FFFE/U+FFFF,
none of which XML 1.0 (feeds, sitemaps) admits.
"""

from __future__ import annotations

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


def clean_text(text: str, *, multiline: bool = True) -> str:
    """NFC, one kind of line ending, and no control characters.

    In multi-line text, tab and newline stay; every other line break becomes
    a newline. In a one-line field every control character, newlines
    included, becomes a space, runs of whitespace one space, and bidi
    embeddings, overrides and isolates are dropped.
    """
    if not text:
        return text
    text = _BREAKS.sub("\n", text)
    if multiline:
        text = _CONTROL.sub("", text)
        return unicodedata.normalize("NFC", text)
    text = _BIDI_INLINE.sub("", _CONTROL_INLINE.sub(" ", text))
    return " ".join(unicodedata.normalize("NFC", text).split())
