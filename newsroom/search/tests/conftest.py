"""Search test fixtures: a fresh index directory per test, never the repo's var/."""

from __future__ import annotations

import pytest

from newsroom.search import aliases, analytics
from newsroom.search.backends import get_backend, reset_backends
from newsroom.search.indexer import drain

TANTIVY = "newsroom.search.backends.tantivy.TantivyBackend"


def backend_settings(path, backend: str = TANTIVY) -> dict:
    return {
        "default": {
            "BACKEND": backend,
            "OPTIONS": {"PATH": str(path), "HEAP_SIZE": 15_000_000},
        }
    }


@pytest.fixture
def search_backend(tmp_path, settings):
    """The default backend on an empty index in this test's tmp_path."""
    settings.NEWSROOM_SEARCH_BACKENDS = backend_settings(tmp_path / "search")
    aliases.clear()
    analytics.discard()
    yield get_backend()
    reset_backends()
    aliases.clear()
    analytics.discard()


@pytest.fixture
def index_now(search_backend):
    """Call to apply the outbox to the test index (what run_indexer does)."""

    def apply() -> int:
        return drain(search_backend, wait=10)

    return apply
