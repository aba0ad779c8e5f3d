"""The query log: what readers searched and how many results they got.

Only the normalised words and the result count are kept: no IP address, no
user, no session. Rows are buffered in the process and written in one
``bulk_create`` every ``FLUSH_SECONDS`` or ``FLUSH_ROWS``, so a search costs
no database write; a killed process loses at most that buffer.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

from django.db.models import Count, Max, QuerySet
from django.utils import timezone

from .models import SearchQuery

FLUSH_SECONDS = 5.0
FLUSH_ROWS = 100
_buffer: list[SearchQuery] = []
_state = {"flushed": time.monotonic()}
_lock = threading.Lock()


def normalise(text: str) -> str:
    return " ".join(text.lower().split())[:200]


def record(query_text: str, results: int, when: datetime | None = None) -> None:
    text = normalise(query_text)
    if not text:
        return
    row = SearchQuery(query=text, results=results, searched_at=when or timezone.now())
    with _lock:
        _buffer.append(row)
        due = (
            len(_buffer) >= FLUSH_ROWS
            or time.monotonic() - _state["flushed"] > FLUSH_SECONDS
        )
    if due:
        flush()


def flush() -> int:
    with _lock:
        rows = _buffer[:]
        _buffer.clear()
        _state["flushed"] = time.monotonic()
    if rows:
        SearchQuery.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def discard() -> None:
    """Drop the unwritten buffer (tests start clean)."""
    with _lock:
        _buffer.clear()


def period(days: int) -> QuerySet:
    return SearchQuery.objects.filter(
        searched_at__gte=timezone.now() - timedelta(days=days)
    )


def top_queries(days: int = 7, limit: int = 50) -> list[dict]:
    return list(
        period(days)
        .values("query")
        .annotate(searches=Count("id"), results=Max("results"))
        .order_by("-searches", "query")[:limit]
    )


def zero_result_queries(days: int = 7, limit: int = 50) -> list[dict]:
    return list(
        period(days)
        .filter(results=0)
        .values("query")
        .annotate(searches=Count("id"))
        .order_by("-searches", "query")[:limit]
    )
