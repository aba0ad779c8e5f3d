"""Django's SQLite backend, with write transactions queued on a lock file.

SQLite lets one writer in at a time. A second ``BEGIN IMMEDIATE`` finds the
database locked and SQLite's busy handler puts it to sleep for 1, 2, 5, 10,
… up to 100 ms between tries, so under load writers mostly sleep while the
lock is free: with 32 posters the comment intake spent most of its time in
``BEGIN IMMEDIATE`` (bench/comments.py, docs/comments.md).

So each transaction first takes an exclusive ``flock`` on ``<database>.lock``
and holds it until COMMIT or ROLLBACK. Threads of one process wait on a
``threading.Lock`` (woken at once when it is released); the one thread per
process that holds it waits for the file lock in short polls. Past the
connection's ``timeout`` it gives up with SQLite's own "database is locked",
so nothing changes for callers. Writers that take no file lock (autocommit
statements, other programs) still meet SQLite's lock, which stays the truth:
the file lock only orders the queue, it guards nothing by itself.

The database file holds password hashes, sessions and commenters' emails.
SQLite creates a missing file with the process umask (usually 0644,
world-readable) and gives its ``-wal`` and ``-shm`` files the database file's
own mode, so the file is created 0600 before SQLite opens it (its directory,
``var/``, 0700 when missing): all three are then owner-only. An existing file
keeps the mode its operator gave it; ``newsroom.W005`` warns when others can
read it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from django.db import OperationalError
from django.db.backends.sqlite3 import base

POLL = 0.0005  # seconds between tries on another process's file lock
_process_locks: dict[str, threading.Lock] = {}
_guard = threading.Lock()
_warned: set[str] = set()
log = logging.getLogger(__name__)


def _process_lock(path: str) -> threading.Lock:
    with _guard:
        return _process_locks.setdefault(path, threading.Lock())


def _warn_once(path: str, exc: OSError) -> None:
    with _guard:
        if path in _warned:
            return
        _warned.add(path)
    log.warning("no write queue for %s (%s): SQLite's busy handler queues", path, exc)


def create_private(path: Path) -> None:
    """Create ``path`` empty with mode 0600 (its directory 0700) if missing."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)


class DatabaseWrapper(base.DatabaseWrapper):
    _queue_fd: int | None = None
    _queued: threading.Lock | None = None

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        name = str(conn_params.get("database", ""))
        if name and not self.is_in_memory_db() and not name.startswith("file:"):
            create_private(Path(name))
        return super().get_new_connection(conn_params)

    def _lock_path(self) -> str | None:
        name = str(self.settings_dict["NAME"])
        if self.is_in_memory_db() or not name:
            return None
        return f"{name}.lock"

    def _join_queue(self) -> None:
        path = self._lock_path()
        if path is None or self._queued is not None:
            return
        timeout = float(self.settings_dict["OPTIONS"].get("timeout", 5))
        deadline = time.monotonic() + timeout
        lock = _process_lock(path)
        if not lock.acquire(timeout=timeout):
            raise OperationalError("database is locked")
        if self._queue_fd is None:
            try:
                # flock needs no write access: another user's file will do.
                self._queue_fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o600)
            except OSError as exc:
                # No lock file to share (a read-only directory, a file this
                # user may not read): SQLite's busy handler still queues
                # writers, only more slowly.
                lock.release()
                _warn_once(path, exc)
                return
        try:
            while True:
                try:
                    fcntl.flock(self._queue_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise OperationalError("database is locked") from None
                    time.sleep(POLL)
        except BaseException:
            lock.release()
            raise
        self._queued = lock

    def _leave_queue(self) -> None:
        if self._queued is None:
            return
        if self.connection is not None and self.connection.in_transaction:
            return  # COMMIT failed: the transaction, and our turn, go on
        if self._queue_fd is not None:
            fcntl.flock(self._queue_fd, fcntl.LOCK_UN)
        lock, self._queued = self._queued, None
        lock.release()

    def _start_transaction_under_autocommit(self) -> None:
        self._join_queue()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._leave_queue()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._leave_queue()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._leave_queue()

    def _close(self):
        try:
            return super()._close()
        finally:
            if self._queued is not None:
                self.connection = None  # closed: no transaction holds the turn
                self._leave_queue()
            if self._queue_fd is not None:
                os.close(self._queue_fd)
                self._queue_fd = None
