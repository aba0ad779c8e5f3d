"""Stories saved with no slug at the same moment (an importer, the demo, a
script): each takes the first free address made from its headline."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from newsroom.articles.models import Article
from newsroom.articles.tests import factories as f

from .desk_helpers import on_a_thread

pytestmark = pytest.mark.django_db(transaction=True)

HEADLINE = "Storm closes the coast road"


def _story(body: str) -> Article:
    return Article.objects.create(
        headline=HEADLINE, body=body, section=f.section("World")
    )


def test_a_story_saved_while_another_with_its_headline_is_uncommitted():
    """One story is saved, its transaction not yet committed, when a second
    with the same headline and no slug is saved. The second waits for the
    first, then takes the next address; it picked the same slug (checked
    before its transaction, where the first's row is not seen) and its
    INSERT was an IntegrityError."""
    f.section("World")
    opened, release = threading.Event(), threading.Event()

    def first() -> Article:
        with transaction.atomic():
            story = _story("The first.")
            opened.set()
            release.wait(timeout=60)
        return story

    holder, held = on_a_thread(first)
    assert opened.wait(timeout=30)
    saver, saved = on_a_thread(lambda: _story("The second."))
    saver.join(timeout=1)
    waited = saver.is_alive()
    release.set()
    holder.join(timeout=30)
    saver.join(timeout=30)
    assert "error" not in held and "error" not in saved, saved.get("error")
    assert waited, "the second save did not wait for the first"
    slugs = dict(Article.objects.values_list("body", "slug"))
    assert slugs == {
        "The first.": "storm-closes-the-coast-road",
        "The second.": "storm-closes-the-coast-road-2",
    }


def test_four_stories_with_one_headline_saved_at_a_barrier_all_get_an_address():
    """Four threads save a story with the same headline at the same moment:
    four stories, four addresses, none refused."""
    f.section("World")
    start = threading.Barrier(4)

    def save(n: int):
        return lambda: (start.wait(timeout=30), _story(f"Story {n}."))

    runs = [on_a_thread(save(n)) for n in range(4)]
    for thread, _ in runs:
        thread.join(timeout=60)
    errors = [out["error"] for _, out in runs if "error" in out]
    assert errors == []
    base = "storm-closes-the-coast-road"
    assert sorted(Article.objects.values_list("slug", flat=True)) == [
        base,
        f"{base}-2",
        f"{base}-3",
        f"{base}-4",
    ]


def test_a_story_with_its_own_slug_never_looks_for_a_free_one():
    """A save that names its slug (every edit of a story) takes no slug lock
    and asks no "is this address taken?" question."""
    story = _story("Text.")
    story.body = "New text."
    with CaptureQueriesContext(connection) as queries:
        story.save()
    sql = [q["sql"] for q in queries.captured_queries]
    assert not [
        q for q in sql if "advisory" in q or '"articles_article"."slug" = ' in q
    ], sql
