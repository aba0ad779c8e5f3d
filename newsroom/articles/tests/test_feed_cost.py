"""Feeds, the API's default list and the derived caches at any archive size.

Issue 18 item 6: the feeds and the API list read the newest N through the
index (not a sort of every public row), feeds are kept briefly and answer 304,
accept GET and HEAD only, the API answers HEAD, and what a cache derived from
many articles shows (kept feeds, the menu, related stories) goes at once when
a story is withdrawn or a section deleted.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.http import parse_http_date

from newsroom.articles.models import Article, Section
from newsroom.articles.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def kept_feeds(settings):
    settings.NEWSROOM_FEED_CACHE_SECONDS = 60
    return settings


def _plans(queries) -> list[str]:
    plans = []
    with connection.cursor() as cursor:
        for q in queries:
            sql = q["sql"]
            if 'FROM "articles_article" ' in sql and "ORDER BY" in sql:
                cursor.execute("EXPLAIN QUERY PLAN " + sql)
                plans.append(" ".join(str(row[-1]) for row in cursor.fetchall()))
    return plans


@pytest.mark.parametrize(
    "url",
    ["/feeds/rss/", "/feeds/atom/", "/feeds/section/world/rss/", "/api/v1/articles"],
)
def test_newest_first_lists_walk_the_date_index_instead_of_sorting(client, url):
    """Every ordered article query of a feed or the API's default list is a
    range scan of an index in date order: SQLite never builds a temporary
    B-tree to sort the public rows (the cost that grew with the archive:
    0.35-0.45 s a request at 100,000 articles)."""
    if connection.vendor != "sqlite":
        pytest.skip("the plan check reads SQLite's EXPLAIN QUERY PLAN")
    for i in range(5):
        f.article(f"Story {i}", published_at=timezone.now() - timedelta(hours=i + 1))
    f.article(
        "Came due",
        status="scheduled",
        published_at=timezone.now() - timedelta(minutes=5),
    )
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    plans = _plans(queries.captured_queries)
    assert plans, "no ordered article query seen"
    for plan in plans:
        # "FOR RIGHT PART OF ORDER BY" (ties on the date broken by id) is
        # fine: it sorts only rows of one instant and stops at the limit.
        assert "TEMP B-TREE FOR ORDER BY" not in plan, plan


def test_feeds_and_the_api_keep_the_order_across_statuses(client):
    """Merging the two public statuses keeps newest-first, ties by id, and
    leaves out drafts and stories not yet due."""
    now = timezone.now()
    a = f.article("Published old", published_at=now - timedelta(hours=3))
    b = f.article("Came due", status="scheduled", published_at=now - timedelta(hours=1))
    c = f.article("Published new", published_at=now - timedelta(minutes=30))
    f.article("Tomorrow", status="scheduled", published_at=now + timedelta(days=1))
    f.article("Draft", status="draft")
    ids = [x["id"] for x in client.get("/api/v1/articles").json()["items"]]
    assert ids == [c.pk, b.pk, a.pk]
    rss = client.get("/feeds/rss/").content.decode()
    assert (
        rss.index("Published new") < rss.index("Came due") < rss.index("Published old")
    )
    assert "Tomorrow" not in rss and "Draft" not in rss


def test_a_feed_answers_304_to_a_conditional_request(client, kept_feeds):
    """A feed reader that sends back the ETag (or Last-Modified) gets 304 and
    no body; after a new story it gets the new feed."""
    f.article("First story")
    first = client.get("/feeds/rss/")
    assert first.status_code == 200 and first["ETag"] and first["Last-Modified"]
    again = client.get("/feeds/rss/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    since = client.get("/feeds/rss/", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert since.status_code == 304
    f.article("Second story")
    fresh = client.get("/feeds/rss/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert fresh.status_code == 200 and b"Second story" in fresh.content


def test_a_withdrawn_story_leaves_a_kept_feed_at_once(client, kept_feeds):
    """The kept copy is keyed by the content version: withdrawing a story
    (or deleting one) shows in the next request, not a minute later."""
    keep = f.article("Stays up")
    gone = f.article("Withdrawn later")
    assert b"Withdrawn later" in client.get("/feeds/rss/").content
    gone.status = Article.Status.DRAFT
    gone.save()
    body = client.get("/feeds/rss/").content
    assert b"Withdrawn later" not in body and b"Stays up" in body
    keep.delete()
    assert b"Stays up" not in client.get("/feeds/atom/").content


def _next_second() -> None:
    """Wait for the clock's next whole second: an HTTP date has no finer grain,
    so a change within the second of the last one is told by the ETag only."""
    start, deadline = int(time.time()), time.monotonic() + 10
    while int(time.time()) == start and time.monotonic() < deadline:
        time.sleep(0.05)


def test_if_modified_since_sees_a_withdrawal(client, kept_feeds):
    """A reader that sends back only the date (If-Modified-Since) gets the new
    feed once the newest story is withdrawn, and a later Last-Modified. The
    date was the newest item's, which went back to the story before: the
    reader got 304 and kept showing the withdrawn story."""
    hour_ago = timezone.now() - timedelta(hours=1)
    keep = f.article("Stays up", published_at=hour_ago)
    Article.objects.filter(pk=keep.pk).update(updated_at=hour_ago)
    gone = f.article("Withdrawn later")
    first = client.get("/feeds/rss/")
    assert b"Withdrawn later" in first.content
    _next_second()
    gone.status = Article.Status.DRAFT
    gone.save()
    again = client.get("/feeds/rss/", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert again.status_code == 200
    assert b"Withdrawn later" not in again.content and b"Stays up" in again.content
    assert parse_http_date(again["Last-Modified"]) > parse_http_date(
        first["Last-Modified"]
    )
    same = client.get("/feeds/rss/", HTTP_IF_MODIFIED_SINCE=again["Last-Modified"])
    assert same.status_code == 304


def test_if_modified_since_sees_a_comment_approved_late(client):
    """A comment held for moderation and approved later is older than the
    newest one shown: the comments feed's Last-Modified still moves, so a
    reader sending If-Modified-Since gets it (it got 304 until a newer
    comment came), and one removed leaves the feed the same way."""
    comment = apps.get_model("comments", "Comment")
    story = f.article("Talked about")
    now = timezone.now()
    held = comment.objects.create(
        article=story, name="Held", body="Waited.", status=comment.Status.PENDING
    )
    shown = comment.objects.create(
        article=story, name="Shown", body="At once.", status=comment.Status.APPROVED
    )
    comment.objects.filter(pk=held.pk).update(created_at=now - timedelta(minutes=20))
    comment.objects.filter(pk=shown.pk).update(created_at=now - timedelta(minutes=10))
    url = f"/feeds/article/{story.slug}/comments/atom/"
    first = client.get(url)
    assert b"Waited." not in first.content
    _next_second()
    comment.objects.filter(pk=held.pk).update(status=comment.Status.APPROVED)
    approved = client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert approved.status_code == 200 and b"Waited." in approved.content
    _next_second()
    comment.objects.filter(pk=shown.pk).update(status=comment.Status.REMOVED)
    removed = client.get(url, HTTP_IF_MODIFIED_SINCE=approved["Last-Modified"])
    assert removed.status_code == 200 and b"At once." not in removed.content


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch", "trace"])
def test_feeds_accept_get_and_head_only(client, method):
    """A feed is read, never written: other methods get 405 with Allow."""
    f.article("A story")
    response = getattr(client, method)("/feeds/rss/")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert client.head("/feeds/rss/").status_code == 200


def test_the_api_answers_head_like_get_without_a_body(client):
    """HEAD on an API route gives the GET's status, ETag and length, no body
    (it was 405)."""
    f.article("A story")
    got = client.get("/api/v1/articles")
    head = client.head("/api/v1/articles")
    assert head.status_code == 200 and head.content == b""
    assert head["ETag"] == got["ETag"]
    assert head["Content-Length"] == str(len(got.content))
    assert client.head("/api/v1/articles/999999").status_code == 404


def test_a_deleted_section_leaves_the_menu_at_once(client):
    """The menu is kept a minute, but a deleted section is gone from the next
    page (its link would be a 404)."""
    world = f.article("World story", section_name="World")
    moved = f.article("Storm warning", section_name="Weather")
    assert b'href="/section/weather/"' in client.get("/").content
    moved.section = world.section  # emptied: its stories moved elsewhere
    moved.save()
    Section.objects.get(slug="weather").delete()
    home = client.get("/")
    assert home.status_code == 200
    assert b'href="/section/weather/"' not in home.content


def test_a_withdrawn_story_leaves_related_stories_at_once():
    """Related stories are kept, keyed by the content version: a story
    withdrawn after it was listed is not offered again."""
    from newsroom.search.related import related_articles

    shown = f.article("Harbour strike enters third week", tags=("Harbour",))
    other = f.article("Harbour strike talks resume", tags=("Harbour",))
    assert [r["id"] for r in related_articles(shown)] == [other.pk]
    other.status = Article.Status.DRAFT
    other.save()
    assert related_articles(shown) == []


def test_a_deleted_sections_page_is_a_404_at_once(client):
    """The section page reads the kept menu first; a section deleted after
    the menu was kept answers 404 on the next request (it was a 500 for a
    minute)."""
    f.article("A story", section_name="Weather")
    weather = Section.objects.get(slug="weather")
    Article.objects.filter(section=weather).update(section=f.section("World"))
    assert client.get("/section/weather/").status_code in (200, 404)
    client.get("/")  # the menu is kept
    weather.delete()
    assert client.get("/section/weather/").status_code == 404
    assert client.get("/").status_code == 200
