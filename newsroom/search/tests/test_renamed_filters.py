"""A search filtered on a section, tag or author slug that an editor has
since changed follows the rename (as its page and feeds do,
articles/tests/test_renamed_taxonomy.py): the results page and the API
answer 301 to the same search with the slug it has now, the rest of the
query kept. Both found nothing, for good: a saved search, a link in an old
story or newsletter, a facet link a search engine kept."""

from __future__ import annotations

import pytest

from newsroom.articles.tests import factories as f
from newsroom.articles.tests.test_renamed_taxonomy import KINDS, rename, story_with

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", KINDS)
def test_a_search_on_an_old_slug_moves_to_the_new_one(
    client, kind, search_backend, index_now, settings
):
    settings.SITE_URL = "https://news.example"
    story, obj = story_with(kind, "locl-news")
    rename(obj, "local-news")
    index_now()
    page = client.get("/search/", {"q": "dam", kind: "locl-news", "sort": "relevance"})
    assert page.status_code == 301
    assert page["Location"] == f"/search/?q=dam&{kind}=local-news&sort=relevance"
    moved = client.get(page["Location"])
    assert moved.status_code == 200
    assert f"/article/{story.slug}/" in moved.content.decode()
    api = client.get("/api/v1/search", {"q": "dam", kind: "locl-news"})
    assert api.status_code == 301
    assert api["Location"] == (
        f"https://news.example/api/v1/search?q=dam&{kind}=local-news"
    )
    found = client.get(api["Location"]).json()
    assert [h["id"] for h in found["hits"]] == [story.pk]


def test_a_slug_that_names_nothing_or_something_now_does_not_move(
    client, search_backend, index_now
):
    """A slug nothing ever had is a search with no hits (200); a slug a
    section holds now is that section's, even when another had it before and
    the search finds nothing in it: no redirect to the other."""
    _, old = story_with("section", "harbour")
    old.name = "Docks"
    rename(old, "docks")
    f.article("Quiet day", section_name="Harbour")  # takes the slug over
    index_now()
    for params in (
        {"q": "dam", "section": "never-was"},
        {"q": "dam", "section": "harbour"},
    ):
        page = client.get("/search/", params)
        assert page.status_code == 200, params
        api = client.get("/api/v1/search", params)
        assert api.status_code == 200 and api.json()["hits"] == [], params


def test_a_hostile_filter_value_is_no_500(client, search_backend, index_now):
    """A section, tag or author that is no slug (a NUL, which PostgreSQL's
    text refuses; a long run; markup) is ignored as before and looked up
    as no old slug: the fuzz test found the lookup of a NUL a 500 on
    PostgreSQL."""
    index_now()
    for kind in ("section", "tag", "author"):
        for value in ("a\x00b", "x" * 5000, "<b>", "é-\u202e"):
            page = client.get("/search/", {"q": "dam", kind: value})
            assert page.status_code == 200, (kind, value)
            api = client.get("/api/v1/search", {"q": "dam", kind: value})
            assert api.status_code in (200, 422), (kind, value, api.status_code)
