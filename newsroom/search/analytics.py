"""The query log: what readers searched, as daily aggregates.

One row per normalised query and day: searches, how many found nothing, the
most results one found. No IP address, user, session or user agent is
kept. So that a script cannot put its string at the top of "Top queries",
one network counts at most ``NEWSROOM_SEARCH_ANALYTICS_PER_NETWORK`` times
per query per day: the counter's key is a keyed hash of network, query and
day (``core.limits``), never the network itself. Days older than
``NEWSROOM_SEARCH_ANALYTICS_DAYS`` are deleted on a flush, at most once a day
per process.

Counts are buffered in the process, per query, day and network, and added
to the rows every ``FLUSH_SECONDS`` or ``FLUSH_ROWS`` searches. The
per-network cap is applied then too, one counter update per network and
query for the whole batch, so a search costs no write of its own (it cost
one for the cap, a write transaction on SQLite). A killed process loses at
most that buffer.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import date, datetime, timedelta

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F, Max, QuerySet, Sum
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from newsroom.core import limits

from .conf import conf
from .models import SearchQuery

FLUSH_SECONDS = 5.0
FLUSH_ROWS = 100
DAY = 86400
# (query, day) -> {network or None: [searches, zero hits, most results]}
_buffer: dict[tuple[str, date], dict[str | None, list[int]]] = {}
_state: dict[str, float] = {"flushed": time.monotonic()}
_pruned: dict[str, date] = {}  # "day": the last day this process pruned
_lock = threading.Lock()
log = logging.getLogger(__name__)


def normalise(text: str) -> str:
    return " ".join(text.lower().split())[:200]


def _counted(network: str, query: str, day: date, searches: int) -> int:
    """How many of ``searches`` by this network for ``query`` on ``day`` still
    count under the per-network cap (each is counted against it)."""
    key = salted_hmac(
        "newsroom.search.analytics", f"{network}\x1f{query}\x1f{day.isoformat()}"
    ).hexdigest()
    cap = conf.NEWSROOM_SEARCH_ANALYTICS_PER_NETWORK
    return limits.allowed_of(
        limits.hit("search.log", key, cap, DAY, amount=searches), searches
    )


def record(
    query_text: str,
    results: int,
    when: datetime | None = None,
    network: str | None = None,
) -> None:
    """Count one search (``network``: the searcher's, for the per-network cap;
    None counts unconditionally, for scripts and tests)."""
    text = normalise(query_text)
    if not text:
        return
    day = timezone.localdate(when or timezone.now())
    with _lock:
        row = _buffer.setdefault((text, day), {}).setdefault(network, [0, 0, 0])
        row[0] += 1
        row[1] += results == 0
        row[2] = max(row[2], results)
        due = (
            len(_buffer) >= FLUSH_ROWS
            or time.monotonic() - _state["flushed"] > FLUSH_SECONDS
        )
    if due:
        # The log is a side effect of the reader's search: a write that fails
        # here (table locked too long, disk full) loses this batch, not the page.
        try:
            flush()
        except DatabaseError:
            log.warning("search analytics: a batch of counts was lost", exc_info=True)


def flush() -> int:
    """Add the buffered counts to their rows; returns the rows touched."""
    with _lock:
        rows = dict(_buffer)
        _buffer.clear()
        _state["flushed"] = time.monotonic()
    if not rows:
        prune()
        return 0
    # One write transaction for the batch (a lock-file turn on SQLite).
    with transaction.atomic():
        for (query, day), networks in rows.items():
            searches = zero = most = 0
            for network, (n, n_zero, n_most) in networks.items():
                kept = n if network is None else _counted(network, query, day, n)
                if not kept:
                    continue
                searches += kept
                # The batch's searches found the same or nearly (one query, one
                # day): its zero-hit share is kept in proportion.
                zero += round(n_zero * kept / n)
                most = max(most, n_most)
            if searches:
                _add(query, day, searches, zero, most)
    prune()
    return len(rows)


def _add(query: str, day: date, searches: int, zero: int, most: int) -> None:
    changes = {
        "searches": F("searches") + searches,
        "zero_hits": F("zero_hits") + zero,
        "results": Greatest(F("results"), most),
    }
    row = SearchQuery.objects.filter(query=query, day=day)
    if row.update(**changes):
        return
    try:
        with transaction.atomic():
            SearchQuery.objects.create(
                query=query, day=day, searches=searches, zero_hits=zero, results=most
            )
    except IntegrityError:  # another process created it meanwhile
        row.update(**changes)


def prune(today: date | None = None, force: bool = False) -> int:
    """Delete days past the retention; at most once a day unless ``force``."""
    today = today or timezone.localdate()
    if not force and _pruned.get("day") == today:
        return 0
    _pruned["day"] = today
    cutoff = today - timedelta(days=conf.NEWSROOM_SEARCH_ANALYTICS_DAYS)
    deleted, _ = SearchQuery.objects.filter(day__lt=cutoff).delete()
    return deleted


def discard() -> None:
    """Drop the unwritten buffer (tests start clean)."""
    with _lock:
        _buffer.clear()
        _pruned.clear()


def period(days: int) -> QuerySet:
    """Rows of the last ``days`` days (1: today only)."""
    return SearchQuery.objects.filter(
        day__gt=timezone.localdate() - timedelta(days=days)
    )


def total(days: int) -> int:
    return period(days).aggregate(n=Sum("searches"))["n"] or 0


def top_queries(days: int = 7, limit: int = 50) -> list[dict]:
    return list(
        period(days)
        .values("query")
        .annotate(searches=Sum("searches"), results=Max("results"))
        .order_by("-searches", "query")[:limit]
    )


def zero_result_queries(days: int = 7, limit: int = 50) -> list[dict]:
    return list(
        period(days)
        .filter(zero_hits__gt=0)
        .values("query")
        .annotate(searches=Sum("zero_hits"))
        .order_by("-searches", "query")[:limit]
    )
