"""The indexer wakes when the outbox grows: PostgreSQL LISTEN/NOTIFY.

A commit that wrote outbox rows is applied at once, not at the indexer's
next poll. SQLite has no notifications: its indexer polls (one machine).
"""

from __future__ import annotations

import time

import pytest
from django.db import connection, transaction

from newsroom.articles.tests import factories as f
from newsroom.search import wake
from newsroom.search.models import enqueue

from .processes import IndexerProcess, wait_for
from .test_indexer import found


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; on SQLite the indexer polls")


class Rollback(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_a_commit_that_wrote_outbox_rows_wakes_the_waiter(postgresql):
    """``Waiter.wait`` returns True as soon as an outbox write commits; a
    rolled-back one wakes nobody, and a wake-up is consumed, not repeated."""
    waiter = wake.Waiter()
    try:
        assert waiter.wait(0.3, lambda: False) is False  # listening now
        with pytest.raises(Rollback), transaction.atomic():
            enqueue([1])
            raise Rollback
        assert waiter.wait(0.5, lambda: False) is False
        f.article("Tide tables")
        started = time.monotonic()
        assert waiter.wait(10, lambda: False) is True
        assert time.monotonic() - started < 1.0
        # Several commits while it was busy (the article, then its byline):
        # one wake-up consumes all that arrived.
        f.article("Tide tables again")
        time.sleep(0.5)
        assert waiter.wait(1, lambda: False) is True
        assert waiter.wait(0.3, lambda: False) is False
    finally:
        waiter.close()


@pytest.mark.django_db(transaction=True)
def test_waiter_stops_when_asked(postgresql):
    """A stop request ends the wait within a slice, notification or not."""
    waiter = wake.Waiter()
    try:
        started = time.monotonic()
        assert waiter.wait(30, lambda: time.monotonic() - started > 0.2) is False
        assert time.monotonic() - started < 1.0
    finally:
        waiter.close()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_running_indexer_wakes_on_commit_not_at_its_next_poll(
    postgresql, search_backend, tmp_path
):
    """run_indexer told to poll only every 30 s still makes each published
    article searchable within 2 s: the commit wakes it (before, it waited
    out the poll)."""
    proc = IndexerProcess(tmp_path, "--poll", "30").start()
    try:
        live, _ = wait_for(search_backend.live_generation, timeout=30)
        assert live, proc.log.read_text()
        time.sleep(1.0)  # it has looked at the outbox and is waiting
        for word in ("quillharbour", "quillmarsh"):
            a = f.article("Tide tables", body=f"A {word} crossing.")
            ids, took = wait_for(lambda w=word: found(search_backend, w), 10)
            assert ids == [a.pk] and took < 2.0, (took, proc.log.read_text())
            time.sleep(0.5)
    finally:
        proc.stop()
