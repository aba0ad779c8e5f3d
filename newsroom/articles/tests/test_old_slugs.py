"""A published story's address stays good when an editor changes its slug.

A story's address is /article/<slug>/. An editor fixing a headline's typo
and its slug with it turned every link already out there (shares, search
engines, other sites, readers' bookmarks, the feeds' readers) into a 404.
Now the address the story had while public answers 301 to where it is now;
a draft's never-public slug, a withdrawn story, or a story that now holds
that slug itself are not redirected."""

from __future__ import annotations

import pytest

from newsroom.articles.models import Article, OldSlug
from newsroom.articles.tests import factories as f

pytestmark = pytest.mark.django_db


def renamed(story: Article, slug: str) -> Article:
    story.slug = slug
    story.save()
    return story


def test_the_old_address_of_a_published_story_moves_permanently(client):
    story = f.article("Mayor opens brige", slug="mayor-opens-brige")
    renamed(story, "mayor-opens-bridge")
    old = client.get("/article/mayor-opens-brige/")
    assert old.status_code == 301
    assert old["Location"] == "/article/mayor-opens-bridge/"
    assert client.get("/article/mayor-opens-bridge/").status_code == 200
    # A second rename: both earlier addresses lead to the story, in one hop.
    renamed(story, "mayor-opens-new-bridge")
    for slug in ("mayor-opens-brige", "mayor-opens-bridge"):
        response = client.get(f"/article/{slug}/")
        assert response.status_code == 301
        assert response["Location"] == "/article/mayor-opens-new-bridge/"
    # Back to an earlier slug: the story is served there, no redirect loop.
    renamed(story, "mayor-opens-bridge")
    assert client.get("/article/mayor-opens-bridge/").status_code == 200
    assert client.get("/article/mayor-opens-new-bridge/")["Location"] == (
        "/article/mayor-opens-bridge/"
    )


def test_a_drafts_slug_was_never_an_address(client):
    draft = f.article("Draft story", slug="draft-story", status="draft")
    renamed(draft, "draft-story-final")
    assert not OldSlug.objects.exists()
    assert client.get("/article/draft-story/").status_code == 404


def test_a_withdrawn_story_is_not_found_at_its_old_address(client):
    story = renamed(f.article("Ferry sinks", slug="ferry-sinks"), "ferry-sank")
    assert client.get("/article/ferry-sinks/").status_code == 301
    story.status = Article.Status.DRAFT
    story.save()
    assert client.get("/article/ferry-sinks/").status_code == 404
    assert client.get("/article/ferry-sank/").status_code == 404


def test_a_story_holding_the_slug_now_wins(client):
    first = renamed(f.article("Storm", slug="storm-warning"), "storm-warning-lifted")
    second = f.article("Storm again", slug="storm-warning")
    response = client.get("/article/storm-warning/")
    assert response.status_code == 200 and second.headline in response.content.decode()
    assert first.get_absolute_url() == "/article/storm-warning-lifted/"


def test_the_old_address_keeps_its_query_string(client):
    """A link to a story's comments in an order, a thread or a reply form
    (``?comments=newest``, ``?comments_thread=…``, ``?reply=…``) made before
    the rename leads to the same view at the new address; the query string
    was dropped, and the reader landed on the story's first comments."""
    story = renamed(f.article("Tide", slug="tide-tabels"), "tide-tables")
    response = client.get("/article/tide-tabels/", {"comments": "newest", "reply": 7})
    assert response.status_code == 301
    assert response["Location"] == "/article/tide-tables/?comments=newest&reply=7"
    assert story.get_absolute_url() == "/article/tide-tables/"


def test_a_reporters_draft_never_takes_a_published_storys_old_address(client):
    """A reporter renames her draft's slug to the address a published story
    had before an editor renamed it (a link shared everywhere). The draft is
    not public, so the old address still leads to the story; it was a 404
    for every reader from that Save on, broken by the lowest role."""
    from .desk_helpers import account, form_data, logged_in

    story = renamed(f.article("Dam opens", slug="dam-opns"), "dam-opens")
    rita = account("rita", "reporter")
    draft = f.article("My draft", slug="my-draft", status="draft", created_by=rita)
    desk = logged_in(rita)
    url = f"/admin/articles/article/{draft.pk}/change/"
    sent = desk.post(url, form_data(desk.get(url).content.decode(), slug="dam-opns"))
    assert sent.status_code == 302
    assert Article.objects.get(pk=draft.pk).slug == "dam-opns"
    old = client.get("/article/dam-opns/")
    assert old.status_code == 301, old.status_code
    assert old["Location"] == story.get_absolute_url()
    # Published, the story holding the slug takes the address over.
    draft = Article.objects.get(pk=draft.pk)
    draft.status = Article.Status.PUBLISHED
    draft.save()
    response = client.get("/article/dam-opns/")
    assert response.status_code == 200 and "My draft" in response.content.decode()
