"""Article text shown short. Text as editors and importers hand it in is
cleaned by ``newsroom.core.text.clean_text`` (shared with the picture
library)."""

from __future__ import annotations


def cut_at_word(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word boundary with an ellipsis."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ")
    if space > limit // 2:
        head = head[:space]
    return head.rstrip(" ,;:.-") + "…"
