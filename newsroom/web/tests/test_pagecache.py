"""The anonymous page cache: fast hits that stay correct, live parts per request."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from newsroom.articles.models import Article
from newsroom.articles.tests import factories as f
from newsroom.web import pagecache

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def cached(settings):
    settings.NEWSROOM_PAGE_CACHE_SECONDS = 30
    return settings


def body(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_off_by_default_and_marks_never_reach_the_reader(client):
    """With the setting at 0 every request renders; no cache markers are shown."""
    a = f.article("Plain story")
    html = body(client.get(a.get_absolute_url()))
    assert "newsroom:live" not in html
    Article.objects.filter(pk=a.pk).update(headline="Changed quietly")
    assert "Changed quietly" in body(client.get(a.get_absolute_url()))


def test_cached_article_keeps_live_parts_live(cached):
    """A hit shows the stored page, with a fresh CSRF token and comment form
    for each visitor, and every region of the page."""
    a = f.article("Cached story", body="One.\n\n> A quote.\n\nTwo.")
    first = body(Client().get(a.get_absolute_url()))
    # A change that does not touch updated_at is not seen on a hit ...
    Article.objects.filter(pk=a.pk).update(headline="Not yet seen")
    second_client = Client()
    second = body(second_client.get(a.get_absolute_url()))
    assert "Cached story" in second and "Not yet seen" not in second
    assert "newsroom:live" not in second
    for region in ["Total Comments (0)", "Comments About This Article",
                   "Please fill the fields below.", 'class="share', "<blockquote>"]:
        assert region in second, region
    # ... but each visitor gets their own CSRF token, matching their cookie.
    tokens_first, tokens_second = TOKEN.findall(first), TOKEN.findall(second)
    assert tokens_second and set(tokens_first).isdisjoint(tokens_second)
    assert "csrftoken" in second_client.cookies
    # The confirmation code is issued per request, not shared from the cache.
    code = re.compile(r'name="token" value="([^"]+)"')
    if code.search(first):
        assert code.search(first).group(1) != code.search(second).group(1)


def test_an_edit_or_a_new_comment_count_is_seen_at_once(cached, client):
    """updated_at and comment_count are in the key: no stale page after them."""
    a = f.article("Before the edit")
    body(client.get(a.get_absolute_url()))
    a.headline = "After the edit"
    a.save()
    assert "After the edit" in body(client.get(a.get_absolute_url()))
    Article.objects.filter(pk=a.pk).update(comment_count=3)
    assert "Total Comments (3)" in body(client.get(a.get_absolute_url()))


def test_unpublished_article_is_gone_at_once_even_when_cached(cached, client):
    """The row is checked on every request: a cached page is never served
    for an article that is no longer public."""
    a = f.article("Soon withdrawn")
    body(client.get(a.get_absolute_url()))
    Article.objects.filter(pk=a.pk).update(status=Article.Status.DRAFT)
    assert client.get(a.get_absolute_url()).status_code == 404


def test_editors_query_strings_and_posts_bypass_the_cache(cached, client):
    """A session cookie, a query string or a POST always renders afresh."""
    a = f.article("Bypass story")
    url = a.get_absolute_url()
    body(client.get(url))
    Article.objects.filter(pk=a.pk).update(headline="Fresh for editors")
    editor = Client()
    editor.cookies["sessionid"] = "anything"
    assert "Fresh for editors" in body(editor.get(url))
    assert "Fresh for editors" in body(Client().get(url + "?comments=newest"))
    assert Client().post(url).status_code == 405


def test_home_page_is_cached_for_the_ttl_and_head_is_allowed(cached, client):
    """Home is kept for NEWSROOM_PAGE_CACHE_SECONDS; HEAD answers like GET."""
    f.article("First on the front")
    assert "First on the front" in body(client.get("/"))
    f.article("Second on the front")
    assert "Second on the front" not in body(client.get("/"))
    cached.NEWSROOM_PAGE_CACHE_SECONDS = 0
    assert "Second on the front" in body(client.get("/"))
    assert client.head("/").status_code == 200


def test_split_and_assemble_put_live_parts_and_tokens_back():
    """The stored form has template names and CSRF slots; assembly fills them."""
    html = ('<form><input type="hidden" name="csrfmiddlewaretoken" value="old">'
            '</form><!--newsroom:live web/_x.html-->LIVE<!--/newsroom:live-->end')
    parts = pagecache.split(html)
    assert parts[1] == "web/_x.html" and "old" not in parts[0]
    assert pagecache.strip_marks(html).endswith("</form>LIVEend")


def test_home_lists_the_newest_public_stories_in_order(client):
    """The index-friendly newest list equals published() ordered by date."""
    now = timezone.now()
    for n in range(6):
        f.article(f"Story {n}", published_at=now - timedelta(hours=n))
    f.article("Scheduled, now due", status="scheduled",
              published_at=now - timedelta(minutes=30))
    Article.objects.filter(headline="Scheduled, now due").update(status="scheduled")
    f.article("Still in the future", published_at=now + timedelta(hours=1))
    from newsroom.web.listing import newest

    got = [a.headline for a in newest(Article.objects.published(), 4)]
    want = [a.headline for a in Article.objects.published()[:4]]
    assert got == want and "Scheduled, now due" in got
