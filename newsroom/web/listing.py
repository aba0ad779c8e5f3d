"""Keyset pagination for article lists: as fast on page 5,000 as on page 1.

A list is ordered by (published_at, id) newest first; the "older" link carries
the last row's position instead of an OFFSET, so deep pages never scan and
skip rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime


@dataclass
class Page:
    items: list
    older: str | None  # cursor for the next (older) page, None at the end


def encode_cursor(published_at: datetime, pk: int) -> str:
    return f"{published_at.isoformat()}~{pk}"


def decode_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor or "~" not in cursor:
        return None
    stamp, _, pk = cursor.rpartition("~")
    when = parse_datetime(stamp.replace(" ", "+"))
    if when is None or not pk.isdigit():
        return None
    return when, int(pk)


def keyset_page(queryset: QuerySet, cursor: str | None, size: int = 20) -> Page:
    position = decode_cursor(cursor)
    qs = queryset.order_by("-published_at", "-id")
    if position:
        when, pk = position
        qs = qs.filter(Q(published_at__lt=when) | Q(published_at=when, id__lt=pk))
    rows = list(qs[: size + 1])
    older = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        older = encode_cursor(last.published_at, last.pk)
    return Page(items=rows, older=older)
