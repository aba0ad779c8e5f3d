"""Holes and clocks: whether a hole may be dropped is decided on one clock
(the database's), not by comparing app servers' clocks with it."""

from __future__ import annotations

import types
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from newsroom.articles.tests import factories as f
from newsroom.search.indexer import Indexer

from .divergence import HeldOpen


@pytest.mark.django_db(transaction=True)
def test_a_hole_is_kept_when_the_next_row_came_from_a_slow_clock(
    search_backend, monkeypatch, settings
):
    """A story is published in a transaction still open (its outbox id is a
    hole) while another app server, whose clock is a minute slow, saves a
    story that commits. The hole's age was the other server's created_at
    against the indexer's clock: 60 s "old" at once, and the open writer
    (began 1 s ago by the database's clock) did not save it. The hole was
    dropped; when the transaction committed the story was never indexed,
    and no lag was reported."""
    from newsroom.search import models

    if connection.vendor != "postgresql":
        pytest.skip("SQLite hands out ids in commit order: no holes")
    settings.NEWSROOM_LIMITS_STORE = "default"
    slow = f.article("Published by a long transaction", status="draft")
    indexer = Indexer(search_backend)
    indexer.open(wait=5)
    indexer.catch_up()
    try:
        with HeldOpen(slow) as held:
            real = timezone.now
            slow_clock = types.SimpleNamespace(
                now=lambda: real() - timedelta(seconds=60)
            )
            with monkeypatch.context() as m:
                m.setattr(models, "timezone", slow_clock)  # the other app server
                other = f.article("Saved on a server with a slow clock")
            indexer.catch_up()
            assert other.pk in search_backend.document_ids()
            held.commit()
            indexer.catch_up()
            assert slow.pk in search_backend.document_ids()
    finally:
        indexer.close()
