"""A hole dropped at the moment its transaction commits."""

from __future__ import annotations

import pytest
from django.db import connection

from newsroom.articles.tests import factories as f
from newsroom.search import indexer as indexer_module
from newsroom.search.indexer import Indexer

from .divergence import HeldOpen


@pytest.mark.django_db(transaction=True)
def test_a_hole_whose_transaction_commits_during_the_step_is_applied(
    search_backend, monkeypatch, settings
):
    """A step reads the outbox, then, for a hole past the grace, asks
    pg_stat_activity whether a writer that may hold it is still open. A long
    transaction that committed between the two was no longer open, so its
    hole was dropped, yet its row had not been read: the story it published
    was never indexed, and no lag was reported. (On the merged indexer, with
    the ranges and the database clock, it fails when the re-read after
    ``oldest_open_writer`` is taken out: checked.)"""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite hands out ids in commit order: no holes")
    settings.NEWSROOM_LIMITS_STORE = "default"
    slow = f.article("Published by a long transaction", status="draft")
    indexer = Indexer(search_backend)
    try:
        with HeldOpen(slow) as held:
            f.article("Saved by another editor meanwhile")
            indexer.open(wait=5)
            indexer.catch_up()
            assert indexer.holes
            monkeypatch.setattr(indexer_module, "HOLE_GRACE", 0.0)  # 30 s later
            real = indexer_module.oldest_open_writer

            def commits_now():
                held.commit()  # the transaction commits just after the read
                return real()

            monkeypatch.setattr(indexer_module, "oldest_open_writer", commits_now)
            indexer.step()
            monkeypatch.setattr(indexer_module, "oldest_open_writer", real)
            indexer.catch_up()
            assert slow.pk in search_backend.document_ids()
    finally:
        indexer.close()
