"""Outbox ids a transaction holds while later saves commit (PostgreSQL): the
index must not skip them, however many there are."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from newsroom.articles.models import Article
from newsroom.articles.tests import factories as f
from newsroom.search.indexer import Indexer
from newsroom.search.models import enqueue

from .divergence import diverged, many_articles


@pytest.mark.django_db(transaction=True)
def test_a_transaction_of_more_than_1000_outbox_rows_is_not_skipped(
    search_backend, settings
):
    """Renaming a section used by 1,200 stories writes 1,200 outbox rows in
    one transaction. A save that commits after those ids were handed out but
    before the rename committed left a gap wider than MAX_HOLES: it was
    taken for a sequence jump, the watermark went past it, and when the
    rename committed none of its 1,200 rows was ever applied. The index kept
    the old name, status reported no lag."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite hands out ids in commit order: no holes")
    settings.NEWSROOM_LIMITS_STORE = "default"
    section = f.section("Old name")
    ids = many_articles(1200, section)
    enqueue(ids)
    indexer = Indexer(search_backend)
    indexer.open(wait=5)
    try:
        indexer.catch_up()
        assert set(ids) <= search_backend.document_ids()
        opened, release = threading.Event(), threading.Event()

        def rename() -> None:
            try:
                with transaction.atomic():
                    Article.objects.filter(pk__in=ids).update(headline="Renamed desk")
                    enqueue(ids)  # as the section rename's receiver does
                    opened.set()
                    release.wait(timeout=60)
            finally:
                connections.close_all()

        writer = threading.Thread(target=rename)
        writer.start()
        try:
            assert opened.wait(timeout=30)
            other = f.article("Saved by another editor meanwhile")
            indexer.catch_up()
            assert other.pk in search_backend.document_ids()
            release.set()
            writer.join(timeout=30)
            indexer.catch_up()
        finally:
            release.set()
            writer.join(timeout=30)
        assert diverged(search_backend) == {}
    finally:
        indexer.close()
