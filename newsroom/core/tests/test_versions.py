"""The content version is shared by every process, with or without Redis."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from newsroom.articles.tests import factories as f
from newsroom.core import limits, versions

pytestmark = pytest.mark.django_db


def test_without_a_shared_cache_the_version_lives_in_the_database(settings):
    """On one machine without Redis each worker has its own in-memory cache,
    so a version kept there would not reach the worker that serves the next
    request: a withdrawn story would stay in its kept feed. Here the version
    survives the cache being emptied (as another process's cache is), because
    it is a counter in the database."""
    assert limits.store() == "database"
    before = versions.current(fresh=True)
    f.article("A story")  # a save bumps the version
    cache.clear()  # another process: an empty cache of its own
    assert versions.current(fresh=True) > before


def test_the_front_cache_still_hears_a_bump_in_its_cache():
    """The front cache reads the version from the cache (no database query
    outside Django's request cycle): a bump moves that key too."""
    cache.delete(versions.KEY)
    versions.bump()
    first = cache.get(versions.KEY)
    versions.bump()
    assert cache.get(versions.KEY) == first + 1


def test_a_thread_asks_the_store_at_most_once_a_second(django_assert_num_queries):
    """current() keeps the value a second in the thread: a page that asks for
    it in several fragments costs one query."""
    versions.current(fresh=True)
    with django_assert_num_queries(0):
        for _ in range(10):
            versions.current()
