"""Where the outbox stands, for the indexer and a rebuild: the position a
fill from the database starts the index at (``fill_watermark``), the
database's clock and its oldest open writer (PostgreSQL hands out ids before
commit: docs/search.md, "How a change reaches the index"), and a failed
fill's clean-up."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Max
from django.utils import timezone

from . import nodes
from .backends.base import SearchBackend, Writer
from .models import IndexChange

log = logging.getLogger("newsroom.search.indexer")

REBUILD_MARGIN = 1000  # outbox rows re-applied after a rebuild, for safety
CLOCK_MARGIN = 5.0  # seconds between an app server's clock and the database's


def discard(backend: SearchBackend, builder: Writer) -> None:
    """A fill that failed or was stopped: its half-built generation is
    deleted now, not left on disk (a gigabyte at 1M) until the indexer's next
    start. Never masks the failure."""
    try:
        builder.close()  # lets go of its build lock, so it can go
        backend.discard_unfinished()
    except Exception:  # noqa: BLE001 - the fill's own error is the one to raise
        log.exception("search index %s: could not delete it", builder.generation)


def fill_watermark() -> int:
    """The outbox position a fill from the database starts the index at.

    Read before the articles: rows after it are replayed (with a margin for
    transactions in flight), and never below what was pruned, since those
    rows cannot be replayed and the fill has read what they pointed at.
    On PostgreSQL it is also below every row a transaction still open may
    hold: one that began before the last 1,000 rows were written (a save
    open while an import committed) holds an id under the margin, and the
    fill does not see its change.
    """
    mark = outbox_high() - REBUILD_MARGIN
    oldest = oldest_open_writer()
    if oldest is not None:
        # Ids are handed out in time order: rows written before that
        # transaction began are below any id it holds.
        before = oldest - timedelta(seconds=CLOCK_MARGIN)
        settled = IndexChange.objects.filter(created_at__lt=before).aggregate(
            m=Max("id")
        )["m"]
        mark = min(mark, settled or 0)
    return max(0, mark, nodes.pruned_through())


def database_now() -> datetime:
    """The database's clock (PostgreSQL), which dates its transactions."""
    if connection.vendor != "postgresql":
        return timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        return cursor.fetchone()[0]


def oldest_open_writer() -> datetime | None:
    """When the oldest open transaction that has written anything in this
    database began (PostgreSQL; None elsewhere, or when there is none)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(xact_start) FROM pg_stat_activity "
            "WHERE datname = current_database() AND backend_xid IS NOT NULL "
            "AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def outbox_high() -> int:
    return IndexChange.objects.aggregate(m=Max("id"))["m"] or 0
