"""A section's, tag's or author's address stays good when an editor changes
its slug, as a story's does (test_old_slugs.py).

Their pages (/section/<slug>/, /tag/…, /author/…) and their RSS and Atom
feeds were a 404 for good after a rename: every menu link cached elsewhere,
bookmark, feed subscription and search engine's entry. Now the slug one had
while public answers 301 to the one it has now (one hop after several
renames, the query string kept); one that holds that slug now takes the
address over; a deleted one, or one no longer public, is a 404."""

from __future__ import annotations

import pytest

from newsroom.articles.models import Article, Author, Section, Tag
from newsroom.articles.tests import factories as f

pytestmark = pytest.mark.django_db

KINDS = ["section", "tag", "author"]


def story_with(kind: str, slug: str) -> tuple[Article, Section | Tag | Author]:
    """A published story and its section, tag or author with ``slug``."""
    name = slug.replace("-", " ").title()
    if kind == "section":
        story = f.article("Dam opens", section_name=name)
        return story, story.section
    if kind == "tag":
        story = f.article("Dam opens", tags=(name,))
        return story, story.tags.get()
    story = f.article("Dam opens", authors=(name,))
    return story, story.authors.get()


def rename(obj, slug: str):
    obj.slug = slug
    obj.save()
    return obj


def addresses(kind: str, slug: str) -> list[str]:
    return [
        f"/{kind}/{slug}/",
        f"/feeds/{kind}/{slug}/rss/",
        f"/feeds/{kind}/{slug}/atom/",
    ]


@pytest.mark.parametrize("kind", KINDS)
def test_the_old_address_moves_permanently_in_one_hop(client, kind):
    _, obj = story_with(kind, "harbour-nwes")
    rename(obj, "harbour-news")
    rename(obj, "harbour-and-docks")
    for old in ("harbour-nwes", "harbour-news"):
        for old_url, new_url in zip(
            addresses(kind, old), addresses(kind, "harbour-and-docks"), strict=True
        ):
            response = client.get(old_url)
            assert response.status_code == 301, old_url
            assert response["Location"] == new_url
    for url in addresses(kind, "harbour-and-docks"):
        assert client.get(url).status_code == 200, url
    paged = client.get(f"/{kind}/harbour-nwes/", {"before": "x"})
    assert paged["Location"] == f"/{kind}/harbour-and-docks/?before=x"
    # Back to an earlier slug: served there, and no redirect loop.
    rename(obj, "harbour-news")
    assert client.get(f"/{kind}/harbour-news/").status_code == 200
    assert client.get(f"/{kind}/harbour-and-docks/")["Location"] == (
        f"/{kind}/harbour-news/"
    )


@pytest.mark.parametrize("kind", KINDS)
def test_one_given_the_slug_later_takes_the_address_over(client, kind):
    _, first = story_with(kind, "weather")
    rename(first, "weather-desk")
    _, second = story_with(kind, "weather-watch")
    rename(second, "weather")
    response = client.get(f"/{kind}/weather/")
    assert response.status_code == 200
    assert second.name in response.content.decode()
    rename(second, "weather-watch")  # and its own old slug now
    assert client.get(f"/{kind}/weather/")["Location"] == f"/{kind}/weather-watch/"


@pytest.mark.parametrize("kind", KINDS)
def test_a_deleted_or_unpublished_one_is_not_found_at_its_old_address(client, kind):
    story, obj = story_with(kind, "ferry-sinks")
    rename(obj, "ferry-sank")
    assert client.get(f"/{kind}/ferry-sinks/").status_code == 301
    story.status = Article.Status.DRAFT
    story.save()
    for url in addresses(kind, "ferry-sinks") + addresses(kind, "ferry-sank"):
        assert client.get(url).status_code == 404, url
    story.status = Article.Status.PUBLISHED
    story.save()
    assert client.get(f"/{kind}/ferry-sinks/").status_code == 301
    story.delete()
    obj.delete()
    for url in addresses(kind, "ferry-sinks"):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("kind", KINDS)
def test_a_slug_never_public_was_never_an_address(client, kind):
    """Renamed before any published story had it (a draft's new section, an
    embargoed name): the slug it had is not kept."""
    story, obj = story_with(kind, "secret-merger")
    story.status = Article.Status.DRAFT
    story.save()
    rename(obj, "merger")
    story.status = Article.Status.PUBLISHED
    story.save()
    assert client.get(f"/{kind}/merger/").status_code == 200
    assert client.get(f"/{kind}/secret-merger/").status_code == 404


def test_an_editor_renames_and_deletes_through_the_desk(client):
    """The desk's change page keeps the old slug; its delete page deletes a
    renamed section with its old slugs, and the old address is then 404."""
    from .desk_helpers import account, form_data, logged_in

    _, section = story_with("section", "cultre")
    desk = logged_in(account("ed", "editor"))
    url = f"/admin/articles/section/{section.pk}/change/"
    sent = desk.post(url, form_data(desk.get(url).content.decode(), slug="culture"))
    assert sent.status_code == 302
    assert client.get("/section/cultre/")["Location"] == "/section/culture/"
    Article.objects.all().delete()
    gone = desk.post(f"/admin/articles/section/{section.pk}/delete/", {"post": "yes"})
    assert gone.status_code == 302 and not Section.objects.exists()
    assert client.get("/section/cultre/").status_code == 404


@pytest.mark.parametrize("kind", KINDS)
def test_an_api_filter_on_an_old_slug_moves_to_the_new_one(client, kind, settings):
    """``/api/v1/articles?section=<old slug>`` (or ``tag``, ``author``)
    answered an empty list for good, a client's saved filter silently
    emptied by the rename: it answers 301 to the same list with the slug it
    has now, the other parameters kept. A slug nothing ever had is still an
    empty list."""
    settings.SITE_URL = "https://news.example"
    story, obj = story_with(kind, "locl-news")
    rename(obj, "local-news")
    response = client.get("/api/v1/articles", {kind: "locl-news", "limit": 5})
    assert response.status_code == 301
    assert response["Location"] == (
        f"https://news.example/api/v1/articles?{kind}=local-news&limit=5"
    )
    moved = client.get(f"/api/v1/articles?{kind}=local-news&limit=5").json()
    assert [a["id"] for a in moved["items"]] == [story.pk]
    nothing = client.get("/api/v1/articles", {kind: "never-was"})
    assert nothing.status_code == 200 and nothing.json()["items"] == []


def test_a_reporters_new_tag_never_takes_a_public_tags_old_address(client):
    """A reporter adds a tag (her role may) whose slug is the one a public
    tag had before an editor renamed it. No published story has the new tag,
    so it has no page: the old address and its feeds still lead to the tag
    renamed. They were a 404 for good from that Save on."""
    from .desk_helpers import account, form_data, logged_in

    _, renamed_tag = story_with("tag", "harbour-nwes")
    rename(renamed_tag, "harbour-news")
    desk = logged_in(account("rita", "reporter"))
    add = "/admin/articles/tag/add/"
    sent = desk.post(
        add,
        form_data(desk.get(add).content.decode(), name="Harbour", slug="harbour-nwes"),
    )
    assert sent.status_code == 302
    assert Tag.objects.filter(slug="harbour-nwes").exists()
    for old_url, new_url in zip(
        addresses("tag", "harbour-nwes"),
        addresses("tag", "harbour-news"),
        strict=True,
    ):
        response = client.get(old_url)
        assert response.status_code == 301, (old_url, response.status_code)
        assert response["Location"] == new_url
