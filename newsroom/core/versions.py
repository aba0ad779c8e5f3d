"""One shared number that moves whenever public content changes.

Caches of views derived from many articles (kept pages, feeds, the section
menu, related stories) put :func:`current` in their keys or compare it, so a
withdrawal, a deletion or a new story empties them at once, on every process
and every node when the cache is shared (Redis), instead of after their
time-to-live. The articles app bumps it from its model signals and from the
bulk writers' ``articles_written``.

Reading it is one cache get; :func:`current` keeps the value for
``LOCAL_SECONDS`` in the process so a busy page does not ask per fragment.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache import cache

KEY = "content:version"
LOCAL_SECONDS = 1.0  # how stale one process's copy may be

log = logging.getLogger(__name__)
_local = threading.local()


def bump() -> None:
    """Tell every process that public content changed."""
    try:
        try:
            cache.incr(KEY)
        except ValueError:  # no version yet
            if not cache.add(KEY, 1, timeout=None):
                cache.incr(KEY)
    except Exception:  # noqa: BLE001 - a cache outage must not fail a save
        log.warning("content version not bumped", exc_info=True)
    _local.__dict__.clear()


def current(fresh: bool = False) -> int:
    """The shared version (0 before the first change, or with no cache)."""
    now = time.monotonic()
    if not fresh and now - getattr(_local, "at", -LOCAL_SECONDS) < LOCAL_SECONDS:
        return _local.value
    try:
        value = cache.get(KEY) or 0
    except Exception:  # noqa: BLE001 - the cache is away: the TTLs still hold
        value = 0
    _local.value, _local.at = value, now
    return value
