"""An import's batch chooses its new stories' slugs under the slugs' lock,
which every editor's new story waits for: many stories with one headline
(a wire's "Live updates", in archive after archive) must not make that
choice slow."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from newsroom.articles.models import Article
from newsroom.articles.tests import factories as f
from newsroom.ingest.writer import unique_slugs

pytestmark = pytest.mark.django_db


def _hold(*slugs: str) -> None:
    section = f.section("World")
    Article.objects.bulk_create(
        (Article(headline=s, slug=s, body="Text.", section=section) for s in slugs),
        batch_size=500,
    )


def test_a_batch_of_one_headline_over_many_taken_is_chosen_at_once():
    """5,000 stories hold live-updates … live-updates-5000; a batch of
    1,000 more "Live updates" gets live-updates-5001 … -6000 in two
    queries. (The old code walked each one's number up from 2 past every
    slug taken and every one the batch had just chosen: 5.5 million
    look-ups, seconds of the lock held; its time is measured outside the
    tests, see the CHANGELOG, as tests time nothing.)"""
    _hold("live-updates", *(f"live-updates-{n}" for n in range(2, 5001)))
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        slugs = unique_slugs(["Live updates"] * 1000)
    assert slugs == [f"live-updates-{n}" for n in range(5001, 6001)]
    assert len(queries.captured_queries) <= 3


def test_a_batch_fills_the_gaps_first_and_skips_what_it_chose():
    """The first free numbers, gaps included; a headline that is itself
    "<base>-<n>" keeps its own slug, and the base's numbers pass over it, as
    before."""
    _hold("briefing", "briefing-3", "briefing-5")
    texts = ["Briefing", "Briefing 4", "Briefing", "Briefing", "Briefing", "Other"]
    assert unique_slugs(texts) == [
        "briefing-2",
        "briefing-4",
        "briefing-6",
        "briefing-7",
        "briefing-8",
        "other",
    ]
