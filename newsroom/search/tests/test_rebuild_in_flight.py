"""Outbox ids a transaction holds while later saves commit (PostgreSQL): the
rebuild must start its index below every one of them."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from newsroom.articles.models import Article
from newsroom.articles.tests import factories as f
from newsroom.search.indexer import drain, rebuild
from newsroom.search.models import enqueue

from .divergence import diverged, many_articles


@pytest.mark.django_db(transaction=True)
def test_a_rebuild_while_a_transaction_is_open_misses_none_of_it(
    search_backend, settings
):
    """A rebuild starts its index at the outbox's high-water mark minus
    1,000 rows, "for transactions in flight". An editor's save still open
    while an import of 1,001 stories committed after it held an outbox id
    below that mark: the rebuild read the article before the save committed,
    its row was never applied, and the index kept the old headline with no
    lag reported."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite hands out ids in commit order: no holes")
    settings.NEWSROOM_LIMITS_STORE = "default"
    slow = f.article("The headline before the edit")
    drain(search_backend)
    opened, release = threading.Event(), threading.Event()

    def edit() -> None:
        try:
            with transaction.atomic():
                Article.objects.filter(pk=slow.pk).update(headline="Edited late")
                enqueue([slow.pk])
                opened.set()
                release.wait(timeout=60)
        finally:
            connections.close_all()

    writer = threading.Thread(target=edit)
    writer.start()
    try:
        assert opened.wait(timeout=30)
        with transaction.atomic():  # an import commits meanwhile
            enqueue(many_articles(1001, f.section("Imported")))
        rebuild(search_backend, wait=10)
        release.set()
        writer.join(timeout=30)
        drain(search_backend)
    finally:
        release.set()
        writer.join(timeout=30)
    assert diverged(search_backend) == {}
