"""Holes and clocks: whether a hole may be dropped is decided on one clock
(the database's), not by comparing app servers' clocks with it."""

from __future__ import annotations

import threading
import types
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from newsroom.articles.models import Article
from newsroom.articles.tests import factories as f
from newsroom.search.indexer import Indexer


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
    opened, release = threading.Event(), threading.Event()

    def long_transaction() -> None:
        try:
            with transaction.atomic():
                Article.objects.get(pk=slow.pk).save()  # its outbox row: a hole
                opened.set()
                release.wait(timeout=60)
                Article.objects.filter(pk=slow.pk).update(
                    status=Article.Status.PUBLISHED, published_at=timezone.now()
                )
        finally:
            connections.close_all()

    writer = threading.Thread(target=long_transaction)
    writer.start()
    try:
        assert opened.wait(timeout=30)
        real = timezone.now
        slow_clock = types.SimpleNamespace(now=lambda: real() - timedelta(seconds=60))
        with monkeypatch.context() as m:
            m.setattr(models, "timezone", slow_clock)  # the other app server
            other = f.article("Saved on a server with a slow clock")
        indexer.catch_up()
        assert other.pk in search_backend.document_ids()
        release.set()
        writer.join(timeout=30)
        indexer.catch_up()
        assert slow.pk in search_backend.document_ids()
    finally:
        release.set()
        writer.join(timeout=30)
        indexer.close()
