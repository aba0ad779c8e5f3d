"""Snippet HTML built by us: escaped text with <mark> around matched ranges.

Engines give a fragment and the ranges that matched; everything a reader
sees is escaped here, so a stored or typed ``<script>`` stays text.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from django.utils.safestring import SafeString, mark_safe

from newsroom.core.html import escape


def _merge(
    ranges: Iterable[tuple[int, int]], data: bytes | str = b""
) -> list[tuple[int, int]]:
    """Overlapping ranges, and ranges with only joining punctuation between
    them, become one: the tokenizer splits "U.S.", "2,500" and "don't" into
    runs of letters and digits, and a reader should see <mark>U.S</mark>.
    rather than two marks."""
    merged: list[list[int]] = []
    for start, end in sorted(r for r in ranges if r[1] > r[0]):
        if merged and (start <= merged[-1][1] or _joined(data, merged[-1][1], start)):
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def _joined(data: bytes | str, end: int, start: int) -> bool:
    """Only joining punctuation between ``end`` and ``start`` (at most 3 bytes:
    "’" is three in UTF-8)."""
    gap = data[end:start]
    if not gap or len(gap) > 3:
        return False
    if isinstance(gap, bytes):
        gap = gap.decode("utf-8", errors="replace")
    return all(ch in ".,'’-" for ch in gap)


def mark(
    text: str,
    ranges: Iterable[tuple[int, int]],
    *,
    byte_offsets: bool = True,
    lead: bool = False,
    trail: bool = False,
) -> SafeString:
    """``text`` escaped, with each range wrapped in ``<mark>``.

    Tantivy reports UTF-8 byte offsets; ``byte_offsets=False`` takes
    character offsets. ``lead``/``trail`` add an ellipsis where the fragment
    was cut from a longer text.
    """
    data = text.encode() if byte_offsets else text
    out, pos = [], 0
    for start, end in _merge(ranges, data):
        start, end = max(start, pos), min(end, len(data))
        if start >= end:
            continue
        out.append(_piece(data, pos, start))
        out.append(f"<mark>{_piece(data, start, end)}</mark>")
        pos = end
    out.append(_piece(data, pos, len(data)))
    marked = "".join(out)
    return mark_safe(("… " if lead else "") + marked + (" …" if trail else ""))


def _piece(data: bytes | str, start: int, end: int) -> str:
    chunk = data[start:end]
    if isinstance(chunk, bytes):
        chunk = chunk.decode("utf-8", errors="ignore")
    return html.escape(chunk)  # plain str: joined, then marked safe once


def plain(text: str, limit: int = 220) -> SafeString:
    """The start of ``text``, escaped, cut at a word boundary."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return mark_safe(escape(text))
    cut = text[:limit].rsplit(" ", 1)[0]
    return mark_safe(escape(cut) + " …")
