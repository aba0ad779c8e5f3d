"""Snippet HTML built by us: escaped text with <mark> around matched ranges.

Engines give a fragment and the ranges that matched; everything a reader
sees is escaped here, so a stored or typed ``<script>`` stays text.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def _merge(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for start, end in sorted(r for r in ranges if r[1] > r[0]):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def mark(text: str, ranges: Iterable[tuple[int, int]], *, byte_offsets: bool = True,
         lead: bool = False, trail: bool = False) -> SafeString:
    """``text`` escaped, with each range wrapped in ``<mark>``.

    Tantivy reports UTF-8 byte offsets; ``byte_offsets=False`` takes
    character offsets. ``lead``/``trail`` add an ellipsis where the fragment
    was cut from a longer text.
    """
    data = text.encode() if byte_offsets else text
    out, pos = [], 0
    for start, end in _merge(ranges):
        start, end = max(start, pos), min(end, len(data))
        if start >= end:
            continue
        out.append(_piece(data, pos, start))
        out.append(f"<mark>{_piece(data, start, end)}</mark>")
        pos = end
    out.append(_piece(data, pos, len(data)))
    html = "".join(out)
    return mark_safe(("… " if lead else "") + html + (" …" if trail else ""))


def _piece(data: bytes | str, start: int, end: int) -> str:
    chunk = data[start:end]
    if isinstance(chunk, bytes):
        chunk = chunk.decode("utf-8", errors="ignore")
    return escape(chunk)


def plain(text: str, limit: int = 220) -> SafeString:
    """The start of ``text``, escaped, cut at a word boundary."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return mark_safe(escape(text))
    cut = text[:limit].rsplit(" ", 1)[0]
    return mark_safe(escape(cut) + " …")
