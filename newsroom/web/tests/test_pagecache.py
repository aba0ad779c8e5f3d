"""Reader pages rendered with markers, filled per request, offered to the front
cache."""

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


def test_markers_never_reach_the_reader(client):
    """Pages are rendered with per-visitor markers and filled: none is left,
    and each request has its own CSRF token and confirmation code."""
    a = f.article("Plain story")
    first = body(client.get(a.get_absolute_url()))
    second = body(Client().get(a.get_absolute_url()))
    assert "\x00" not in first and "\x00" not in second
    assert TOKEN.findall(first) and not set(TOKEN.findall(first)) & set(
        TOKEN.findall(second)
    )
    code = re.compile(r'name="token" value="([^"]+)"')
    assert code.search(first).group(1) != code.search(second).group(1)
    Article.objects.filter(pk=a.pk).update(headline="Changed quietly")
    assert "Changed quietly" in body(client.get(a.get_absolute_url()))


def test_django_renders_afresh_and_offers_the_page_only_when_cacheable(cached):
    """Inside Django every request renders (the row is read: an edit or a
    withdrawal is seen at once); the page goes to the front cache only for
    an anonymous read of the canonical URL."""
    a = f.article("Before the edit")
    url = a.get_absolute_url()
    response = Client().get(url)
    page = response.wsgi_request.META.get(pagecache.ENVIRON_KEY)
    assert page is not None and page.read_article == a.pk
    assert any("\x00" in p for p in page.parts) is False  # split, names apart
    assert "csrf" in page.parts[1::2]
    Article.objects.filter(pk=a.pk).update(headline="After the edit")
    assert "After the edit" in body(Client().get(url))
    editor = Client()
    editor.cookies["sessionid"] = "anything"
    assert pagecache.ENVIRON_KEY not in editor.get(url).wsgi_request.META
    assert (
        pagecache.ENVIRON_KEY
        not in Client().get(url + "?comments=newest").wsgi_request.META
    )
    Article.objects.filter(pk=a.pk).update(status=Article.Status.DRAFT)
    assert Client().get(url).status_code == 404
    assert Client().post(url).status_code == 405
    assert Client().head("/").status_code == 200


def test_split_and_fill_put_each_visitor_values_in():
    """Markers split out as names; filling uses one challenge for all three
    code markers; text that only looks like a marker is left alone."""
    from newsroom.core import slots

    html = (
        f'<input value="{slots.CSRF}"><i>{slots.CODE_TOKEN}</i>'
        f"<b>{slots.stamp(7)}</b>\x00nr:other\x00end"
    )
    parts = slots.split(html)
    assert parts[1::2] == ["csrf", "code_token", "stamp.7"]
    out = slots.fill(parts, slots.Live(lambda: "tok<en>"))
    assert 'value="tok&lt;en&gt;"' in out and "\x00nr:other\x00end" in out
    assert "\x00nr:" not in out.replace("\x00nr:other\x00", "")


def test_home_lists_the_newest_public_stories_in_order(client):
    """The index-friendly newest list equals published() ordered by date."""
    now = timezone.now()
    for n in range(6):
        f.article(f"Story {n}", published_at=now - timedelta(hours=n))
    f.article(
        "Scheduled, now due",
        status="scheduled",
        published_at=now - timedelta(minutes=30),
    )
    Article.objects.filter(headline="Scheduled, now due").update(status="scheduled")
    f.article("Still in the future", published_at=now + timedelta(hours=1))
    from newsroom.web.listing import newest

    got = [a.headline for a in newest(Article.objects.published(), 4)]
    want = [a.headline for a in Article.objects.published()[:4]]
    assert got == want and "Scheduled, now due" in got


def test_section_blocks_compiled_once_match_the_orm():
    """The home page's per-section ids (SQL compiled once, run per section)
    are the ORM's newest public ids of each section, drafts and future left out."""
    from newsroom.web.listing import newest_in_section, newest_in_sections

    now = timezone.now()
    for n in range(5):
        f.article(
            f"World {n}", section_name="World", published_at=now - timedelta(hours=n)
        )
        f.article(
            f"Sport {n}",
            section_name="Sport",
            published_at=now - timedelta(hours=n, minutes=30),
        )
    f.article("World draft", section_name="World", status="draft")
    f.article(
        "World later", section_name="World", published_at=now + timedelta(hours=2)
    )
    public = Article.objects.published()
    sections = {a.section for a in public}
    got = newest_in_sections(public, [s.pk for s in sections], 3)
    for s in sections:
        assert got[s.pk] == newest_in_section(public, s, 3)
        assert len(got[s.pk]) == 3
    assert got == newest_in_sections(public, [s.pk for s in sections], 3)
    assert newest_in_sections(public, [], 3) == {}
