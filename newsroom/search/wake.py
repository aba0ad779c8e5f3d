"""Waking the indexer when the outbox grows, instead of at its next poll.

On PostgreSQL every transaction that writes outbox rows also runs
``NOTIFY newsroom_search_outbox``: the server delivers it when the
transaction commits (once per transaction, however many rows, and never for
one rolled back), to every indexer LISTENing on a connection of its own. An
indexer then applies a commit at once, on every node.

The poll stays as the longest wait, on PostgreSQL too: a notification is a
hint, never the record (the outbox is), so a listening connection that
breaks costs latency until it is made again, never an edit. On SQLite (one
machine) the indexer just polls.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.db import connection, connections

log = logging.getLogger(__name__)

CHANNEL = "newsroom_search_outbox"
RETRY_SECONDS = 5.0  # between attempts to make a broken listener again
SLICE = 0.1  # stop() is checked this often while waiting


def notify() -> None:
    """Wake the indexers when this transaction commits (PostgreSQL only)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"NOTIFY {CHANNEL}")


class Waiter:
    """The indexer's wait between outbox checks: ``wait()`` returns early
    when a transaction that wrote outbox rows has committed."""

    def __init__(self, using: str = "default") -> None:
        self.using = using
        self.listener = None  # a psycopg connection of its own, autocommit
        self.retry_at = 0.0

    def _listener(self):
        db = connections[self.using]
        if self.listener is not None or db.vendor != "postgresql":
            return self.listener
        if time.monotonic() < self.retry_at:
            return None
        try:
            raw = db.get_new_connection(db.get_connection_params())
            raw.autocommit = True
            raw.execute(f"LISTEN {CHANNEL}")
        except Exception:  # noqa: BLE001 - polling still finds every row
            log.warning("search indexer cannot LISTEN; polling", exc_info=True)
            self.retry_at = time.monotonic() + RETRY_SECONDS
            return None
        self.listener = raw
        return raw

    def wait(self, seconds: float, stop: Callable[[], bool]) -> bool:
        """Wait up to ``seconds``, or until woken or ``stop()``; True when a
        notification came (every one received so far is consumed)."""
        end = time.monotonic() + seconds
        while not stop() and (left := end - time.monotonic()) > 0:
            listener = self._listener()
            if listener is None:
                time.sleep(min(left, SLICE))
                continue
            try:
                if list(listener.notifies(timeout=min(left, SLICE), stop_after=1)):
                    # Commits made while the indexer was busy: the next
                    # batch applies them all, so one wake-up is enough.
                    list(listener.notifies(timeout=0, stop_after=10_000))
                    return True
            except Exception as exc:  # noqa: BLE001 - polling still finds every row
                log.warning("search indexer's LISTEN connection failed: %s", exc)
                self.close()
                self.retry_at = time.monotonic() + RETRY_SECONDS
        return False

    def close(self) -> None:
        listener, self.listener = self.listener, None
        if listener is not None:
            try:
                listener.close()
            except Exception:  # noqa: BLE001 - already gone
                pass
