"""Alias groups for query time, read from the database at most every few seconds.

Each process keeps the groups for ``REFRESH`` seconds (an editor's change
reaches every process within that time); saving a group in this process
clears the copy at once.
"""

from __future__ import annotations

import threading
import time

REFRESH = 10.0
_cache: dict[str, object] = {"at": 0.0, "groups": ()}
_lock = threading.Lock()


def groups() -> tuple[tuple[str, ...], ...]:
    now = time.monotonic()
    if now - _cache["at"] > REFRESH:
        from .models import AliasGroup

        rows = AliasGroup.objects.filter(enabled=True).only("terms")
        fresh = tuple(t for g in rows if len(t := tuple(g.term_list())) > 1)
        with _lock:
            _cache["groups"], _cache["at"] = fresh, now
    return _cache["groups"]


def clear(**kwargs) -> None:
    with _lock:
        _cache["at"] = 0.0
