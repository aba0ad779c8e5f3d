"""A fill that fails midway (the database went away, the process was asked to
stop) leaves no half-built generation on disk. It was left there until the
indexer's next start: a gigabyte at a million articles for each failed
rebuild, on a machine whose indexer may run for months."""

from __future__ import annotations

import pytest
from django.db import OperationalError

from newsroom.articles.tests import factories as f
from newsroom.search import indexer
from newsroom.search.indexer import Indexer, drain, rebuild

from .test_nodes import _no_hole_grace  # noqa: F401


def generations(backend) -> set[str]:
    return {p.name for p in backend.store.root.glob("gen-*")}


@pytest.fixture
def database_goes_away(monkeypatch):
    """Call it and the next fill reads the articles, then its query fails."""
    real = indexer.all_documents

    def failing(*args, **kwargs):
        yield from real(*args, **kwargs)
        raise OperationalError("server closed the connection unexpectedly")

    return lambda: monkeypatch.setattr(indexer, "all_documents", failing)


@pytest.mark.django_db
def test_a_failed_rebuild_command_deletes_its_generation(
    search_backend, database_goes_away
):
    f.article("Harbour reopens")
    drain(search_backend, wait=10)
    before = generations(search_backend)
    assert len(before) == 1
    database_goes_away()
    with pytest.raises(OperationalError):
        rebuild(search_backend)
    assert generations(search_backend) == before
    assert search_backend.live_generation() in before


@pytest.mark.django_db
def test_a_failed_rebuild_in_the_indexer_deletes_its_generation(
    search_backend, database_goes_away
):
    f.article("Harbour reopens")
    drain(search_backend, wait=10)
    before = generations(search_backend)
    database_goes_away()
    running = Indexer(search_backend)
    running.open(wait=10)
    try:
        with pytest.raises(OperationalError):
            running._rebuild("a test asked for it")
    finally:
        running.close()
    assert generations(search_backend) == before
