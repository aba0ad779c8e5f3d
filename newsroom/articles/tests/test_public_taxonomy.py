"""Sections, tags and authors are public only while they have a published
article: one known only from drafts or scheduled stories is absent from the
API, its page is a 404 and so are its feeds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from newsroom.articles.models import Article
from newsroom.articles.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def hidden():
    """A public story, plus a draft and a scheduled one whose section, tag and
    author appear nowhere else."""
    cache.clear()  # the menu's sections are kept for a minute
    f.article("Council meets", section_name="News", tags=("Budget",))
    f.article(
        "Merger talks",
        status="draft",
        section_name="Deals",
        tags=("Acme merger",),
        authors=("Draft Writer",),
    )
    f.article(
        "Royal visit",
        status="scheduled",
        published_at=timezone.now() + timedelta(days=1),
        section_name="Palace",
        tags=("Royal visit",),
        authors=("Embargo Writer",),
    )
    yield
    cache.clear()


def slugs(client, path: str) -> set[str]:
    response = client.get(path)
    assert response.status_code == 200
    return {item["slug"] for item in response.json()["items"]}


def test_api_lists_only_public_tags_authors_and_sections(client, hidden):
    """/api/v1/tags, /authors and /sections list only what a published
    article carries."""
    assert slugs(client, "/api/v1/tags") == {"budget"}
    assert slugs(client, "/api/v1/authors") == {"amira-haddad"}
    assert slugs(client, "/api/v1/sections") == {"news"}


@pytest.mark.parametrize(
    "path",
    [
        "/tag/acme-merger/",
        "/tag/royal-visit/",
        "/author/draft-writer/",
        "/author/embargo-writer/",
        "/section/deals/",
        "/section/palace/",
    ],
)
def test_pages_and_feeds_of_unpublished_names_are_404(client, hidden, path):
    """The page and both feeds of a tag, author or section with no published
    article answer 404."""
    assert client.get(path).status_code == 404
    feed = "/feeds" + path
    assert client.get(feed + "rss/").status_code == 404
    assert client.get(feed + "atom/").status_code == 404


def test_public_names_still_answer_and_follow_publication(client, hidden):
    """A public tag's page and feeds answer 200; once its only story is
    unpublished, they are 404 and the API drops it; the menu lists only
    sections with a published story."""
    for path in ("/tag/budget/", "/feeds/tag/budget/rss/", "/section/news/"):
        assert client.get(path).status_code == 200, path
    home = client.get("/").content.decode()
    assert 'href="/section/news/"' in home
    assert "/section/deals/" not in home and "/section/palace/" not in home
    Article.objects.filter(headline="Council meets").update(status="draft")
    assert client.get("/tag/budget/").status_code == 404
    assert client.get("/feeds/tag/budget/atom/").status_code == 404
    assert slugs(client, "/api/v1/tags") == set()


def test_sitemaps_list_only_public_sections(client, hidden):
    """The sections sitemap leaves out sections with no published story."""
    response = client.get("/sitemap-sections-0.xml")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    assert "/section/news/" in body and "/section/deals/" not in body
