"""The term-proximity experiment (``PROXIMITY_WEIGHT``, off by default).

Measured on the six test collections and not kept (docs/search.md, "Ranking
experiments"); these tests keep the option honest for the next measurement:
off, it changes nothing; on, neighbouring query words lift a document.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from newsroom.articles.tests import factories as f
from newsroom.search.backends import get_backend, reset_backends
from newsroom.search.backends.base import SearchRequest, Sort
from newsroom.search.indexer import drain
from newsroom.search.query import parse

from .conftest import backend_settings

pytestmark = pytest.mark.django_db


def _ranked(settings, tmp_path, weight: float) -> list[int]:
    config = backend_settings(tmp_path / f"search-{weight}")
    config["default"]["OPTIONS"]["PROXIMITY_WEIGHT"] = weight
    settings.NEWSROOM_SEARCH_BACKENDS = config
    reset_backends()
    backend = get_backend()
    drain(backend, wait=10)
    request = SearchRequest(
        parse("harbour strike"), sort=Sort.RELEVANCE, now=timezone.now()
    )
    found = [h.id for h in backend.search(request).hits]
    reset_backends()
    return found


def test_neighbouring_words_lift_a_story_only_when_proximity_is_on(settings, tmp_path):
    """Both stories hold each word once. Off, BM25 puts the shorter one
    first (its words are twelve apart); on, the longer one where the words
    stand together overtakes it."""
    apart = f.article(
        "Port news",
        body="The harbour was calm on a grey and windy morning until the late strike.",
    )
    filler = " ".join(["a quiet day in town"] * 8)
    together = f.article(
        "City news", body=f"A harbour strike was called. {filler} Calm again."
    )
    on = _ranked(settings, tmp_path, 1.0)
    assert on[0] == together.pk and set(on) == {apart.pk, together.pk}
    off = _ranked(settings, tmp_path, 0.0)
    assert off == [apart.pk, together.pk]
