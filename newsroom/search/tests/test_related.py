"""Related articles: more-like-this from the search engine, else shared tags."""

import pytest
from django.core.cache import cache

from newsroom.articles.tests import factories as f
from newsroom.search import related

pytestmark = pytest.mark.django_db


def test_tag_fallback_ranks_by_tags_in_common():
    """Most shared tags first; no shared tag, not related; never itself."""
    a = f.article("Base", tags=("Syria", "Raqqa", "War"))
    two = f.article("Two in common", tags=("Syria", "Raqqa"))
    one = f.article("One in common", tags=("War",))
    f.article("Nothing in common", tags=("Football",))
    draft = f.article("Draft in common", tags=("Syria", "Raqqa", "War"), status="draft")
    ids = related.by_tags(a, 5)
    assert ids == [two.pk, one.pk]
    assert draft.pk not in ids and a.pk not in ids


def test_an_untagged_article_gets_its_sections_latest():
    """Without tags, the fallback is the newest stories of the same section."""
    a = f.article("Untagged", section_name="Science")
    same = f.article("Same section", section_name="Science")
    f.article("Other section", section_name="Sport")
    assert related.by_tags(a, 5) == [same.pk]


def test_related_list_is_shown_under_the_article_and_cached(
    client, django_assert_num_queries
):
    """The article page lists related stories; a second render reuses the cache."""
    a = f.article("Base", tags=("Climate",))
    b = f.article("A climate story", tags=("Climate",))
    html = client.get(a.get_absolute_url()).content.decode()
    assert "Related stories" in html and "A climate story" in html
    assert b.get_absolute_url() in html
    items = related.related_articles(a)
    assert [i["headline"] for i in items] == ["A climate story"]
    with django_assert_num_queries(0):
        assert related.related_articles(a) == items


def test_the_search_engine_chooses_when_it_can(settings, tmp_path):
    """With an index, more-like-this finds a story with no tag in common."""
    indexer = pytest.importorskip("newsroom.search.indexer")
    backends = pytest.importorskip("newsroom.search.backends")
    settings.NEWSROOM_SEARCH_BACKENDS = {
        "default": {
            "BACKEND": "newsroom.search.backends.tantivy.TantivyBackend",
            "OPTIONS": {"PATH": str(tmp_path / "index")},
        }
    }
    backends.reset_backends()
    body = (
        "Glaciers in the Alps lost ice at record speed as meltwater "
        "glacier retreat accelerated; glaciologists measured the glacier."
    )
    a = f.article(
        "Alpine glacier shrinks", body=body, section_name="Science", tags=("Alps",)
    )
    twin = f.article(
        "Glacier retreat speeds up in the Alps",
        body=body + " More glacier meltwater.",
        section_name="World",
        tags=("Climate",),
    )
    f.article(
        "Cup final tonight",
        body="Football supporters gather for the cup.",
        section_name="Sport",
    )
    f.article(
        "Parliament votes",
        body="Members of parliament voted on a bill.",
        section_name="Science",
    )
    try:
        indexer.drain(backends.get_backend())
        backend = backends.get_backend()
        if not backend.supports_more_like_this:
            pytest.skip("the search backend has no more-like-this")
        assert related.by_search(a, 3)[:1] == [twin.pk]
        cache.clear()
        assert related.related_articles(a)[0]["headline"] == twin.headline
        # The tag fallback alone would not have found it.
        assert twin.pk not in related.by_tags(a, 3)
    finally:
        backends.reset_backends()
