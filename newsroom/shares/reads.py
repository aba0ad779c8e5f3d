"""Read counts, batched: a page view never writes to the database itself.

Each server process keeps a small in-memory buffer ``{(article_id, hour): n}``.
A daemon thread flushes it every NEWSROOM_READS_FLUSH_SECONDS (and sooner once
NEWSROOM_READS_FLUSH_EVERY views are waiting), adding the buffered numbers to
``ReadCount`` rows with ``F()`` increments. Because every process only ever
*adds* its own numbers, any number of gunicorn workers can flush side by side
without losing or double-counting a view. A process that exits flushes what
it holds (atexit); a crash loses at most one interval of views.

With NEWSROOM_READS_FLUSH_SECONDS = 0 no thread runs (the tests use this):
views wait in the buffer until ``flush()`` is called or the batch size is hit.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from newsroom.articles.models import Article
from newsroom.net import is_bot

from .models import ReadCount, ShareVisit

log = logging.getLogger(__name__)


def hour_of(when: datetime) -> datetime:
    return when.replace(minute=0, second=0, microsecond=0)


class ReadBuffer:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[int, datetime]] = Counter()
        self._pending = 0
        self._wake = threading.Event()
        self._pid = 0
        self._thread: threading.Thread | None = None
        self._last_prune: datetime | None = None

    def add(self, article_id: int, when: datetime | None = None) -> None:
        when = hour_of(when or timezone.now())
        with self._lock:
            self._ensure_worker()
            self._counts[(article_id, when)] += 1
            self._pending += 1
            full = self._pending >= settings.NEWSROOM_READS_FLUSH_EVERY
        if full:
            if self._thread is not None:
                self._wake.set()
            else:
                self.flush()

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()
            self._pending = 0

    def pending(self) -> int:
        with self._lock:
            return self._pending

    def _ensure_worker(self) -> None:
        # Called with the lock held. A forked worker inherits the parent's
        # buffer but not its thread: start afresh in each process.
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._counts.clear()
            self._pending = 0
            self._thread = None
        if self._thread is None and settings.NEWSROOM_READS_FLUSH_SECONDS > 0:
            atexit.register(self.flush)
            self._thread = threading.Thread(
                target=self._run, name="newsroom-read-flush", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        while True:
            seconds = settings.NEWSROOM_READS_FLUSH_SECONDS
            if seconds <= 0:
                break  # switched off: views wait for an explicit flush()
            self._wake.wait(seconds)
            self._wake.clear()
            try:
                self.flush()
            finally:
                # The thread's own connection: never hold one open idle.
                connections.close_all()
        with self._lock:
            if self._thread is threading.current_thread():
                self._thread = None

    def stop(self) -> None:
        """Wake the flusher so it notices it was switched off (tests)."""
        thread = self._thread
        self._wake.set()
        if thread is not None:
            thread.join(timeout=10)

    def flush(self) -> int:
        """Write the buffered views; returns how many were written."""
        with self._lock:
            batch, self._counts = self._counts, Counter()
            self._pending = 0
        if not batch:
            return 0
        try:
            # Views of an article deleted since are dropped, not retried.
            ids = {a for a, _ in batch}
            alive = set(Article.objects.filter(pk__in=ids).values_list("pk", flat=True))
            batch = Counter({k: n for k, n in batch.items() if k[0] in alive})
            with transaction.atomic():
                ReadCount.objects.bulk_create(
                    [ReadCount(article_id=a, hour=h, count=0) for a, h in batch],
                    ignore_conflicts=True,
                )
                for (article_id, hour), n in sorted(batch.items()):
                    ReadCount.objects.filter(article_id=article_id, hour=hour).update(
                        count=F("count") + n
                    )
        except DatabaseError:
            # The database is away: keep the numbers for the next flush.
            log.warning("read counts not flushed; retrying later", exc_info=True)
            with self._lock:
                self._counts.update(batch)
                self._pending += sum(batch.values())
            return 0
        self._maybe_prune()
        return sum(batch.values())

    def _maybe_prune(self) -> None:
        now = timezone.now()
        if self._last_prune and now - self._last_prune < timedelta(hours=1):
            return
        self._last_prune = now
        prune_stats(now)


def prune_stats(now: datetime | None = None) -> tuple[int, int]:
    """Drop read buckets and share visits older than the longest list window."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.NEWSROOM_STATS_KEEP_DAYS)
    reads, _ = ReadCount.objects.filter(hour__lt=cutoff).delete()
    visits, _ = ShareVisit.objects.filter(created_at__lt=cutoff).delete()
    return reads, visits


buffer = ReadBuffer()


def record_read(request: HttpRequest | None, article_id: int) -> bool:
    """Note one view of an article by a reader (bots and prefetches skipped)."""
    if request is None or request.method != "GET":
        return False
    meta = request.META
    if is_bot(meta.get("HTTP_USER_AGENT", "")):
        return False
    purpose = meta.get("HTTP_SEC_PURPOSE", "") + meta.get("HTTP_PURPOSE", "")
    if "prefetch" in purpose or "prerender" in purpose:
        return False
    buffer.add(article_id)
    return True


def flush() -> int:
    return buffer.flush()
