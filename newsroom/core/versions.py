"""One shared number that moves whenever public content changes.

Caches of views derived from many articles (kept pages, feeds, the section
menu, related stories) put :func:`current` in their keys or compare it, so a
withdrawal, a deletion or a new story empties them at once on every process,
and on every node, instead of after their time-to-live. The articles app
bumps it from its model signals and from the bulk writers'
``articles_written``.

It lives where the rate limits live (``core.limits``): in Redis when the
cache is shared, else in the database, so the worker processes of one
machine without Redis see the same number (a per-process cache would not).
A bump is one counter upsert, inside the saving transaction on the database.
:func:`current` keeps the value for ``LOCAL_SECONDS`` in each thread, so a
busy process asks about once a second.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache import cache
from django.db import connection, transaction

from . import limits

KEY = "content:version"  # also the front cache's VERSION_KEY
SCOPE, NAME = "content-version", "all"
# One counter window of ten years: the count is the version. When a window
# turns over the count starts again, which is a change like any other.
PERIOD = 10 * 365 * 86400
LOCAL_SECONDS = 1.0  # how stale one thread's copy may be

log = logging.getLogger(__name__)
_local = threading.local()


def bump() -> None:
    """Tell every process that public content changed.

    Called inside the saving transaction (model signals), the version moves
    at once, so the saving process never serves its own old pages; in Redis
    that is before the commit, and a reader in between renders the old
    content and keeps it under the new version. So it moves again once the
    transaction commits: what was kept meanwhile is dropped then.
    """
    _move()
    # Once per transaction: a story's save sends several signals. A callback
    # registered in a savepoint rolled back since is gone from the list, so
    # the next bump registers again.
    if connection.in_atomic_block and not any(
        entry[1] is _move for entry in connection.run_on_commit
    ):
        transaction.on_commit(_move, robust=True)


def _move() -> None:
    try:
        limits.hit(SCOPE, NAME, 1 << 62, PERIOD)
    except Exception:  # noqa: BLE001 - a store outage must not fail a save
        log.warning("content version not bumped", exc_info=True)
    # The front cache watches KEY in the cache itself: it serves kept pages
    # outside Django's request cycle, where no database query belongs. With
    # Redis that reaches every process; without it, this process only (the
    # kept pages' own lifetime bounds the others, as before).
    try:
        try:
            cache.incr(KEY)
        except ValueError:  # no version yet
            if not cache.add(KEY, 1, timeout=None):
                cache.incr(KEY)
    except Exception:  # noqa: BLE001
        log.warning("front cache invalidation not sent", exc_info=True)
    _local.__dict__.clear()


def current(fresh: bool = False) -> int:
    """The shared version (0 before the first change)."""
    now = time.monotonic()
    if not fresh and now - getattr(_local, "at", -LOCAL_SECONDS) < LOCAL_SECONDS:
        return _local.value
    try:
        value = limits.peek(SCOPE, NAME, PERIOD)
    except Exception:  # noqa: BLE001 - the store is away: the TTLs still hold
        value = getattr(_local, "value", 0)
    _local.value, _local.at = value, now
    return value
