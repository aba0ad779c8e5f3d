"""Read counts, batched and deduplicated: a page view never writes to the database.

A read is one visitor's view of one article on one day: the visitor is
``newsroom.net.visitor_key`` (a keyed hash of the anonymised network and the
user agent, with a daily key), so changing nothing but the page reload counts
nothing, and repeat views inside 30 minutes (or all day) count once. One
network adds at most NEWSROOM_READS_PER_NETWORK_DAY reads to any one article
per day, whatever user agents it sends. Prefetches, HEAD, bots and previews
never count. The same ``record_read`` runs for pages Django renders and for
pages the front cache (newsroom/web/front.py) serves.

Each server process keeps a small in-memory buffer of the views it saw,
deduplicated by visitor. A daemon thread flushes it every
NEWSROOM_READS_FLUSH_SECONDS (and sooner once NEWSROOM_READS_FLUSH_EVERY
views are waiting): each view is spent once (``core.limits.spend_once``, so
the same visitor seen by two processes counts once), the network's daily cap
is checked (``core.limits.hit``), and what is left is added to ``ReadCount``
rows with ``F()`` increments. Because every process only ever *adds* its own
numbers, any number of gunicorn workers can flush side by side without
losing or double-counting a view. A process that exits flushes what it holds
(atexit); a crash loses at most one interval of views.

With NEWSROOM_READS_FLUSH_SECONDS = 0 no thread runs (the tests use this):
views wait in the buffer until ``flush()`` is called or the batch size is hit.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections import Counter
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from newsroom import net
from newsroom.articles.models import Article
from newsroom.core import limits

from .models import ReadCount, ShareVisit

log = logging.getLogger(__name__)

DAY = 86400
# Browsers and proxies that fetch a page before (or without) a person opening
# it say so in one of these headers.
PREFETCH_HEADERS = ("HTTP_SEC_PURPOSE", "HTTP_PURPOSE", "HTTP_X_MOZ", "HTTP_X_PURPOSE")
PREFETCH_WORDS = ("prefetch", "prerender", "preview")


def hour_of(when: datetime) -> datetime:
    return when.replace(minute=0, second=0, microsecond=0)


def is_prefetch(meta: dict) -> bool:
    """A prefetch, prerender or preview fetch, not a person reading."""
    said = " ".join(str(meta.get(h, "")) for h in PREFETCH_HEADERS).lower()
    return any(word in said for word in PREFETCH_WORDS)


# One view waiting in the buffer: (article id, visitor key) -> (hour, network,
# the visitor's 30-minute key or "").
View = tuple[int, str]
# Repeat views inside this window never count. The daily visitor key already
# makes a whole day one read; only around midnight, when that key changes, a
# second key that does not name the day (kept for the window only) is spent.
REPEAT_WINDOW = timedelta(minutes=30)
_UNDATED = date(1970, 1, 1)  # the 30-minute key's "day": the same every day


def repeat_key(request, article_id: int, now: datetime) -> str:
    """The visitor's key for the repeat window, only within the window of
    local midnight (before it, to remember; after it, to check); else ""."""
    local = timezone.localtime(now)
    since = local - local.replace(hour=0, minute=0, second=0, microsecond=0)
    if REPEAT_WINDOW <= since <= timedelta(days=1) - REPEAT_WINDOW:
        return ""
    return net.visitor_key(request, _UNDATED, "read-repeat", article_id)


class ReadBuffer:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._views: dict[View, tuple[datetime, str, str]] = {}
        # Reads already accepted (spent, within the cap) but not yet written,
        # after a failed write: written by the next flush.
        self._accepted: Counter[tuple[int, datetime]] = Counter()
        self._wake = threading.Event()
        self._pid = 0
        self._thread: threading.Thread | None = None
        self._last_prune: datetime | None = None

    def add(
        self,
        article_id: int,
        visitor: str,
        network: str,
        when: datetime | None = None,
        repeat: str = "",
    ) -> None:
        """Note a view; the same visitor's repeat views in this process are one."""
        when = hour_of(when or timezone.now())
        with self._lock:
            self._ensure_worker()
            self._views.setdefault((article_id, visitor), (when, network, repeat))
            full = len(self._views) >= settings.NEWSROOM_READS_FLUSH_EVERY
        if full:
            if self._thread is not None:
                self._wake.set()
            else:
                self.flush()

    def clear(self) -> None:
        with self._lock:
            self._views.clear()
            self._accepted.clear()

    def pending(self) -> int:
        """Distinct visitor views waiting for a flush."""
        with self._lock:
            return len(self._views) + sum(self._accepted.values())

    def _ensure_worker(self) -> None:
        # Called with the lock held. A forked worker inherits the parent's
        # buffer but not its thread: start afresh in each process.
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._views.clear()
            self._accepted.clear()
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
            except Exception:  # never let one bad flush end the thread
                log.exception("read counts: flush failed")
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
        """Count the buffered views and write them; returns reads written."""
        with self._lock:
            views, self._views = self._views, {}
            accepted, self._accepted = self._accepted, Counter()
        if not views and not accepted:
            return 0
        try:
            with transaction.atomic():
                accepted += _accept(views)
        except Exception:
            # The database or the shared cache is away: nothing was spent
            # (or the spends rolled back with the transaction); try again.
            log.warning("read counts not counted; retrying later", exc_info=True)
            self._put_back(views, accepted)
            return 0
        try:
            with transaction.atomic():
                # Spent, but a story deleted since goes with its reads: one
                # left in broke the foreign key at COMMIT, and this flush and
                # every retry of it then wrote nobody's reads. (One deleted
                # after this look fails this write; the retry drops it.)
                accepted = _alive(accepted)
                # One order for inserts and updates alike (article, hour), so
                # two workers flushing the same rows lock them in the same
                # order and cannot deadlock.
                ReadCount.objects.bulk_create(
                    [
                        ReadCount(article_id=a, hour=h, count=0)
                        for a, h in sorted(accepted)
                    ],
                    ignore_conflicts=True,
                )
                for (article_id, hour), n in sorted(accepted.items()):
                    ReadCount.objects.filter(article_id=article_id, hour=hour).update(
                        count=F("count") + n
                    )
        except DatabaseError:
            # Spent already: keep the accepted numbers for the next flush.
            log.warning("read counts not flushed; retrying later", exc_info=True)
            self._put_back({}, accepted)
            return 0
        self._maybe_prune()
        return sum(accepted.values())

    def _put_back(self, views: dict, accepted: Counter) -> None:
        with self._lock:
            for view, value in views.items():
                self._views.setdefault(view, value)
            self._accepted.update(accepted)

    def _maybe_prune(self) -> None:
        now = timezone.now()
        if self._last_prune and now - self._last_prune < timedelta(hours=1):
            return
        self._last_prune = now
        prune_stats(now)


def _alive(accepted: Counter) -> Counter:
    """The accepted reads of articles that still exist."""
    ids = {a for a, _ in accepted}
    alive = set(Article.objects.filter(pk__in=ids).values_list("pk", flat=True))
    return Counter({key: n for key, n in accepted.items() if key[0] in alive})


def _accept(views: dict[View, tuple[datetime, str, str]]) -> Counter:
    """The views that count: first from their visitor, within the network's cap.

    A view is spent before the cap is checked, so a visitor past the cap is
    still remembered and its repeat views are not weighed again.
    """
    accepted: Counter[tuple[int, datetime]] = Counter()
    if not views:
        return accepted
    ids = {a for a, _ in views}
    # Views of an article deleted since are dropped, not retried.
    alive = set(Article.objects.filter(pk__in=ids).values_list("pk", flat=True))
    cap = settings.NEWSROOM_READS_PER_NETWORK_DAY
    window = int(REPEAT_WINDOW.total_seconds())
    for (article_id, visitor), (hour, network, repeat) in views.items():
        if article_id not in alive:
            continue
        # The repeat key first: a reload just after midnight must not spend
        # the new day's key, so the reader's first view later that day counts.
        if repeat and not limits.spend_once(f"read-repeat:{repeat}", window):
            continue  # the same reader a few minutes before midnight
        if not limits.spend_once(f"read:{visitor}", DAY):
            continue
        if (
            cap > 0
            and not limits.hit(
                f"reads-day:{article_id}", network, cap, DAY, rolling=True
            ).allowed
        ):
            continue
        accepted[(article_id, hour)] += 1
    return accepted


def prune_stats(now: datetime | None = None) -> tuple[int, int]:
    """Drop read buckets and share visits older than the longest list window."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.NEWSROOM_STATS_KEEP_DAYS)
    reads, _ = ReadCount.objects.filter(hour__lt=cutoff).delete()
    visits, _ = ShareVisit.objects.filter(created_at__lt=cutoff).delete()
    limits.prune(now)  # spent read keys and daily caps whose day is over
    return reads, visits


buffer = ReadBuffer()


def record_read(
    request: HttpRequest | None, article_id: int, now: datetime | None = None
) -> bool:
    """Note one view of an article by a reader (bots and prefetches skipped).

    ``request`` may be the front cache's stand-in: only ``method`` and
    ``META`` are read.
    """
    if request is None or request.method != "GET":
        return False
    meta = request.META
    if net.is_bot(meta.get("HTTP_USER_AGENT", "")) or is_prefetch(meta):
        return False
    # No address (a unix socket without a named proxy): the one "unknown"
    # network, which shares one daily cap, so it cannot escape it.
    network = net.client_network(request)
    now = now or timezone.now()
    visitor = net.visitor_key(request, timezone.localdate(now), "read", article_id)
    buffer.add(article_id, visitor, network, now, repeat_key(request, article_id, now))
    return True


def flush() -> int:
    return buffer.flush()
