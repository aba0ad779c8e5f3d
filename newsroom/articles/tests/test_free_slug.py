"""A story saved with no slug takes the first free one made from its
headline, in a few queries however many stories share that headline (a
wire's daily "Briefing", a "Live updates" each day): the choice is made
under the slugs' lock, which every editor's new story waits for."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from newsroom.articles.models import Article, unique_slug
from newsroom.articles.tests import factories as f

pytestmark = pytest.mark.django_db


def _hold(*slugs: str) -> None:
    section = f.section("World")
    Article.objects.bulk_create(
        Article(headline=s, slug=s, body="Text.", section=section) for s in slugs
    )


def _choose(text: str, max_length: int = 180) -> tuple[str, list[str]]:
    """The slug chosen for ``text`` and the queries it took, in a
    transaction (as ``Article.save`` calls it: the lock is taken there)."""
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        slug = unique_slug(text, max_length)
    return slug, [q["sql"] for q in queries.captured_queries]


def test_the_next_briefing_takes_a_few_queries_with_300_before_it():
    """With briefing, briefing-2 … briefing-300 taken, the next Briefing is
    briefing-301, found in at most three queries (the lock, the slugs). The
    old code asked once per taken suffix: 301 queries under the lock."""
    _hold("briefing", *(f"briefing-{n}" for n in range(2, 301)))
    slug, sql = _choose("Briefing")
    assert slug == "briefing-301"
    assert len(sql) <= 3, f"{len(sql)} queries"


@pytest.mark.parametrize(
    ("held", "text", "chosen"),
    [
        ((), "Briefing", "briefing"),
        (("briefing",), "Briefing", "briefing-2"),
        # The first gap, not one past the highest.
        (("briefing", "briefing-2", "briefing-4"), "Briefing", "briefing-3"),
        # Only "-2", "-3"… count: other slugs that start alike do not.
        (("briefing", "briefing-world", "briefing-02"), "Briefing", "briefing-2"),
        # A headline that ends in a number is its own base.
        (("briefing", "briefing-2"), "Briefing 2", "briefing-2-2"),
        # Free, though longer slugs start with it.
        (("briefing-2", "briefing-3"), "Briefing", "briefing"),
        (("article", "article-2"), "!!!", "article-3"),
    ],
)
def test_the_slug_chosen_is_the_first_free_one(held, text, chosen):
    """The headline's slug when free, else the first free "-2", "-3"…"""
    _hold(*held)
    assert _choose(text)[0] == chosen


def test_a_long_headline_is_cut_before_its_number():
    """A headline longer than the slug's length is cut (its trailing dash
    dropped) and the number goes after the cut, as before."""
    words = "word " * 60
    base = "-".join(["word"] * 36)  # 179 characters; 180 would end in "-"
    _hold(base, f"{base}-2")
    assert _choose(words)[0] == f"{base}-3"
