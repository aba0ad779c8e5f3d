"""SQLite write transactions queue on the lock file beside the database.

``newsroom/db/sqlite3``: a transaction takes an exclusive ``flock`` on
``<database>.lock`` before ``BEGIN IMMEDIATE`` and gives it back at COMMIT or
ROLLBACK, so writers wait for their turn in the kernel and the process rather
than in SQLite's sleeping busy handler.
"""

from __future__ import annotations

import fcntl
import os
import threading

import pytest
from django.db import OperationalError, connection, connections, transaction

from newsroom.core.models import SpentToken

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        os.environ.get("TEST_DATABASE_URL", "") != "",
        reason="the lock file is SQLite's; PostgreSQL has row locks",
    ),
]


def _lock_path() -> str:
    return f"{connection.settings_dict['NAME']}.lock"


def _other_process_holds_the_lock() -> int:
    """An open file description of its own conflicts as another process would."""
    fd = os.open(_lock_path(), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def _write_in_thread(token: str, done: threading.Event, errors: list) -> None:
    try:
        with transaction.atomic():
            SpentToken.objects.create(token=token, expires_at="2099-01-01T00:00Z")
        done.set()
    except Exception as exc:  # noqa: BLE001 - the test reads it
        errors.append(exc)
    finally:
        connections.close_all()


def test_a_write_waits_while_another_holds_the_lock_file_and_goes_on_after():
    """A transaction does not begin while the lock file is held elsewhere."""
    fd = _other_process_holds_the_lock()
    done, errors = threading.Event(), []
    thread = threading.Thread(target=_write_in_thread, args=("a", done, errors))
    thread.start()
    try:
        assert not done.wait(0.5), "the write began while another held the lock"
        assert not SpentToken.objects.filter(token="a").exists()
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    thread.join(timeout=20)
    assert done.is_set() and not errors
    assert SpentToken.objects.filter(token="a").exists()


def test_the_turn_is_given_back_at_commit_and_at_rollback():
    """After COMMIT or ROLLBACK another writer can take the lock at once."""
    with transaction.atomic():
        SpentToken.objects.create(token="b", expires_at="2099-01-01T00:00Z")
        with pytest.raises(BlockingIOError):
            os.close(_other_process_holds_the_lock())
    os.close(_other_process_holds_the_lock())  # free again after COMMIT
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        SpentToken.objects.create(token="c", expires_at="2099-01-01T00:00Z")
        1 / 0  # noqa: B018 - roll back
    os.close(_other_process_holds_the_lock())  # free again after ROLLBACK
    assert list(SpentToken.objects.values_list("token", flat=True)) == ["b"]


def test_a_writer_that_waits_past_the_timeout_is_told_the_database_is_locked(
    monkeypatch,
):
    """Past the connection's timeout the wait ends in "database is locked"."""
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "timeout", 0.3)
    fd = _other_process_holds_the_lock()
    done, errors = threading.Event(), []
    try:
        thread = threading.Thread(target=_write_in_thread, args=("d", done, errors))
        thread.start()
        thread.join(timeout=20)
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    assert not done.is_set()
    assert len(errors) == 1 and isinstance(errors[0], OperationalError)
    assert "locked" in str(errors[0])
    # The turn was not kept: this thread writes at once.
    with transaction.atomic():
        SpentToken.objects.create(token="e", expires_at="2099-01-01T00:00Z")


def test_without_a_usable_lock_file_writes_go_on_through_sqlites_own_lock(
    monkeypatch, caplog
):
    """A lock file that can't be opened (another user's, a read-only
    directory) costs the queue, never a write: SQLite's lock still orders
    writers, and a warning says so."""
    from newsroom.db.sqlite3 import base

    real_open = os.open

    def refuse_lock_file(path, *args, **kwargs):
        if str(path).endswith(".lock"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(base.os, "open", refuse_lock_file)
    monkeypatch.setattr(base, "_warned", set())
    done, errors = threading.Event(), []
    thread = threading.Thread(target=_write_in_thread, args=("f", done, errors))
    thread.start()
    thread.join(timeout=20)
    assert done.is_set() and not errors
    assert SpentToken.objects.filter(token="f").exists()
    assert "no write queue" in caplog.text
