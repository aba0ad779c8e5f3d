"""Text as editors and importers hand it in, made safe to store and show."""

from __future__ import annotations

import re
import unicodedata

# C0/C1 controls (tab and newline are handled apart), DEL, and the Unicode
# line/paragraph separators, which break feeds and XML sitemaps.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_INLINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def clean_text(text: str, *, multiline: bool = True) -> str:
    """NFC, one kind of line ending, and no control characters.

    In multi-line text, tab and newline stay; a vertical tab or form feed (a
    word processor's line break) becomes a newline. In a one-line field every
    control character, newlines included, becomes a space.
    """
    if not text:
        return text
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if multiline:
        text = text.replace("\x0b", "\n").replace("\x0c", "\n")
        return _CONTROL.sub("", text)
    return " ".join(_CONTROL_INLINE.sub(" ", text).split())
