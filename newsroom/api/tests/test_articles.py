"""Articles, sections, tags and authors through /api/v1/."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from newsroom.articles.models import Article, ArticleNote
from newsroom.articles.tests import factories as f

pytestmark = pytest.mark.django_db

API = "/api/v1"


def test_list_shows_only_public_articles_newest_first(client):
    """Drafts and scheduled-in-the-future articles never appear in the API."""
    old = f.article("Old story", published_at=timezone.now() - timedelta(days=2))
    new = f.article("New story", published_at=timezone.now() - timedelta(hours=1))
    f.article("A draft", status="draft")
    f.article(
        "Tomorrow's story",
        status="scheduled",
        published_at=timezone.now() + timedelta(days=1),
    )
    data = client.get(f"{API}/articles").json()
    assert [a["id"] for a in data["items"]] == [new.pk, old.pk]
    assert data["next"] is None and data["cursor"] is None


def test_list_item_carries_section_byline_tags_and_links(client):
    """A list item says where it lives, who wrote it and how it is tagged."""
    a = f.article(
        "Dam opens",
        section_name="Science",
        tags=("Water", "Energy"),
        authors=("Amira Haddad", "Tom Kessler"),
        standfirst="Short.",
    )
    item = client.get(f"{API}/articles").json()["items"][0]
    assert item["headline"] == "Dam opens"
    assert item["section"]["slug"] == "science"
    assert [x["name"] for x in item["authors"]] == ["Amira Haddad", "Tom Kessler"]
    assert [x["slug"] for x in item["tags"]] == ["energy", "water"]
    assert item["url"].endswith(a.get_absolute_url())
    assert item["api_url"].endswith(f"/api/v1/articles/{a.pk}")
    assert "body_html" not in item


def test_filters_by_section_tag_author_and_dates(client):
    """Each filter narrows the list; filters combine with AND."""
    now = timezone.now()
    a = f.article(
        "Sport one",
        section_name="Sport",
        tags=("Football",),
        authors=("Ana Lima",),
        published_at=now - timedelta(days=10),
    )
    b = f.article(
        "Sport two",
        section_name="Sport",
        tags=("Tennis",),
        published_at=now - timedelta(days=1),
    )
    c = f.article(
        "World one",
        section_name="World",
        tags=("Football",),
        authors=("Ana Lima",),
        published_at=now - timedelta(days=1),
    )

    def ids(query: str) -> list[int]:
        response = client.get(f"{API}/articles?{query}")
        assert response.status_code == 200, response.content
        return [x["id"] for x in response.json()["items"]]

    assert ids("section=sport") == [b.pk, a.pk]
    assert ids("tag=football") == [c.pk, a.pk]
    assert ids("author=ana-lima&section=sport") == [a.pk]
    day = (now - timedelta(days=5)).date().isoformat()
    assert ids(f"from={day}") == [c.pk, b.pk]  # same time: higher id first
    assert ids(f"to={day}") == [a.pk]
    assert ids("section=no-such-section") == []


def test_from_after_to_is_a_422(client):
    """A date range that ends before it starts is refused, not answered empty."""
    response = client.get(f"{API}/articles?from=2024-05-02&to=2024-05-01")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"


def test_cursor_pages_cover_every_article_once_without_offset(client):
    """Following `next` visits every public article exactly once, in order,
    and the SQL uses a keyset condition, never OFFSET."""
    same_time = timezone.now() - timedelta(hours=3)
    made = [
        f.article(f"Story {i}", published_at=same_time if i % 2 else None)
        for i in range(7)
    ]
    seen, url, pages = [], f"{API}/articles?limit=3", 0
    while url:
        with CaptureQueriesContext(connection) as queries:
            data = client.get(url).json()
        assert not any("OFFSET" in q["sql"].upper() for q in queries.captured_queries)
        seen += [x["id"] for x in data["items"]]
        url, pages = data["next"], pages + 1
    assert sorted(seen) == sorted(a.pk for a in made)
    assert len(seen) == len(set(seen)) == 7
    assert pages == 3
    expected = list(
        Article.objects.published()
        .order_by("-published_at", "-id")
        .values_list("id", flat=True)
    )
    assert seen == expected


def test_next_link_names_the_site_not_the_requests_host(client, settings):
    """A `next` link is built on SITE_URL: a forged Host or X-Forwarded-Proto
    can't point a cached API answer's link at another address."""
    settings.SITE_URL = "https://news.example.org"
    settings.ALLOWED_HOSTS = ["*"]
    for i in range(3):
        f.article(f"Story {i}")
    data = client.get(
        f"{API}/articles?limit=2",
        HTTP_HOST="evil.example.net:8443",
        HTTP_X_FORWARDED_PROTO="http",
    ).json()
    assert data["next"].startswith("https://news.example.org/api/v1/articles?")
    assert "evil" not in data["next"]


def test_next_link_keeps_the_filters(client):
    """The `next` link of a filtered list stays filtered."""
    for i in range(3):
        f.article(f"Sport {i}", section_name="Sport")
    f.article("World story", section_name="World")
    data = client.get(f"{API}/articles?section=sport&limit=2").json()
    assert "section=sport" in data["next"]
    rest = client.get(data["next"]).json()
    assert len(rest["items"]) == 1 and rest["items"][0]["section"]["slug"] == "sport"


def test_list_query_count_does_not_grow_with_the_page(client):
    """A page of 20 costs the same number of article queries as a page of 2."""
    for i in range(20):
        f.article(f"Story {i}", tags=("One", "Two"), authors=("A B", "C D"))

    def count(limit: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"{API}/articles?limit={limit}").status_code == 200
        # Only the article queries: the rate-limit counter has its own.
        return sum("articles_" in q["sql"] for q in queries.captured_queries)

    # Ids by one index range per public status (2), the rows by key (1),
    # bylines and tags (2): five, whatever the page size or archive size.
    assert count(20) == count(2) == 5


def test_detail_by_id_and_by_slug_with_body_and_notes(client):
    """Detail routes give the body HTML and the correction notes."""
    a = f.article("Bridge closes", body="First.\n\n> Quoted.", standfirst="S.")
    ArticleNote.objects.create(article=a, text="An earlier version misspelt it.")
    by_id = client.get(f"{API}/articles/{a.pk}").json()
    by_slug = client.get(f"{API}/articles/by-slug/{a.slug}").json()
    assert by_id == by_slug
    assert "<blockquote>" in by_id["body_html"]
    assert by_id["notes"][0]["text"] == "An earlier version misspelt it."
    assert by_id["notes"][0]["kind"] == "correction"


@pytest.mark.parametrize("status", ["draft", "scheduled"])
def test_detail_of_non_public_article_is_404(client, status):
    """A draft or a future article is not found, by id or by slug."""
    when = timezone.now() + timedelta(days=1) if status == "scheduled" else None
    a = f.article("Hidden", status=status, published_at=when)
    for url in (f"{API}/articles/{a.pk}", f"{API}/articles/by-slug/{a.slug}"):
        response = client.get(url)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_sections_tags_authors_page_with_cursors(client):
    """Sections come in menu order, tags and authors by name, all paged
    (each has a published article: only those are listed)."""
    for section, tag, author in zip(
        ("World", "Sport", "Culture"),
        ("Zinc", "Apple", "Mango"),
        ("Yara Z", "Ben A", "Kim M"),
        strict=True,
    ):
        f.article(section_name=section, tags=(tag,), authors=(author,))

    def walk(path: str) -> list[str]:
        names, url = [], f"{API}/{path}?limit=2"
        while url:
            data = client.get(url).json()
            names += [x["name"] for x in data["items"]]
            url = data["next"]
        return names

    from newsroom.articles.models import Section

    assert walk("sections") == list(Section.objects.values_list("name", flat=True))
    assert walk("tags") == ["Apple", "Mango", "Zinc"]
    assert walk("authors") == ["Ben A", "Kim M", "Yara Z"]


def test_date_at_the_end_of_the_calendar_is_not_a_500(client):
    """`to=9999-12-31` has no next day; it still answers (everything matches)."""
    a = f.article("Any")
    response = client.get(f"{API}/articles?to=9999-12-31&from=0001-01-01")
    assert response.status_code == 200
    assert [x["id"] for x in response.json()["items"]] == [a.pk]


def test_published_at_is_iso_8601_with_zone(client):
    """Dates are ISO 8601 with a time zone, parseable by any client."""
    f.article("Dated")
    item = client.get(f"{API}/articles").json()["items"][0]
    assert datetime.fromisoformat(item["published_at"].replace("Z", "+00:00")).tzinfo


def test_a_slug_the_story_had_moves_permanently_to_the_one_it_has(client, settings):
    """By slug, a slug the story had while public answers 301 to the same
    route with the slug it has now (absolute, on SITE_URL), as the page's old
    address does; it was a 404, and a client holding an old link lost the
    story. Once the story is withdrawn the old slug is a 404 again."""
    settings.SITE_URL = "https://news.example"
    story = f.article("Mayor opens brige", slug="mayor-opens-brige")
    story.slug = "mayor-opens-bridge"
    story.save()
    for method in (client.get, client.head):
        response = method(f"{API}/articles/by-slug/mayor-opens-brige")
        assert response.status_code == 301
        assert response["Location"] == (
            "https://news.example/api/v1/articles/by-slug/mayor-opens-bridge"
        )
    moved = client.get(f"{API}/articles/by-slug/mayor-opens-bridge")
    assert moved.json()["id"] == story.pk
    story.status = Article.Status.DRAFT
    story.save()
    response = client.get(f"{API}/articles/by-slug/mayor-opens-brige")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
