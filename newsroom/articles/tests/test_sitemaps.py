"""Sitemap index, id-range pages, Google News sitemap and robots.txt."""

from datetime import datetime, timedelta
from xml.etree import ElementTree

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from newsroom.articles.models import Article
from newsroom.articles.tests import factories as f

pytestmark = pytest.mark.django_db

SITE = "https://news.example"
NS = {
    "s": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "n": "http://www.google.com/schemas/sitemap-news/0.9",
}


def _xml(client, url: str) -> ElementTree.Element:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"].startswith("application/xml")
    body = (
        b"".join(response.streaming_content)
        if isinstance(response, StreamingHttpResponse)
        else response.content
    )
    return ElementTree.fromstring(body)


def _locs(root) -> list[str]:
    return [e.text for e in root.iterfind(".//s:loc", NS)]


def test_index_splits_articles_into_pages_of_at_most_the_page_size(client, settings):
    """With a page size of 3, eight articles spread over pages of <= 3 URLs,
    every public article exactly once, drafts nowhere."""
    settings.SITE_URL = SITE
    settings.NEWSROOM_SITEMAP_PAGE_SIZE = 3
    public = [f.article(tags=("Climate",)) for _ in range(8)]
    draft = f.article(status="draft")
    index = _xml(client, "/sitemap.xml")
    pages = _locs(index)
    article_pages = [p for p in pages if "/sitemap-articles-" in p]
    assert len(article_pages) >= 3
    assert all(p.startswith(SITE) for p in pages)
    assert any("/sitemap-sections-" in p for p in pages)
    assert any("/sitemap-tags-" in p for p in pages)
    assert any("/sitemap-authors-" in p for p in pages)
    # Article pages carry a lastmod.
    assert len(index.findall(".//s:lastmod", NS)) >= len(article_pages)
    urls: list[str] = []
    for page in article_pages:
        locs = _locs(_xml(client, page.removeprefix(SITE)))
        assert 1 <= len(locs) <= 3
        urls += locs
    assert sorted(urls) == sorted(f"{SITE}/article/{a.slug}/" for a in public)
    assert f"{SITE}/article/{draft.slug}/" not in urls


def test_section_tag_and_author_pages_list_what_has_public_stories(client, settings):
    """Sections, and tags and authors with a public story, are listed."""
    settings.SITE_URL = SITE
    f.article(section_name="Science", tags=("Climate",), authors=("Lena Brandt",))
    f.article(status="draft", tags=("Secret",), authors=("Ghost Writer",))
    everything = []
    for page in _locs(_xml(client, "/sitemap.xml")):
        if "/sitemap-articles-" not in page:
            everything += _locs(_xml(client, page.removeprefix(SITE)))
    assert f"{SITE}/section/science/" in everything
    assert f"{SITE}/tag/climate/" in everything
    assert f"{SITE}/author/lena-brandt/" in everything
    assert f"{SITE}/tag/secret/" not in everything
    assert f"{SITE}/author/ghost-writer/" not in everything


def test_a_page_is_an_indexed_id_range_streamed_without_offset(client, settings):
    """A page is read by id range (no OFFSET scan) and streamed, so a page of a
    million-article site costs what page 0 costs."""
    settings.NEWSROOM_SITEMAP_PAGE_SIZE = 2
    articles = [f.article() for _ in range(5)]
    number = articles[-1].pk // 2
    client.get("/sitemap.xml")  # fills the page list cache
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/sitemap-articles-{number}.xml")
        assert isinstance(response, StreamingHttpResponse)
        body = b"".join(response.streaming_content).decode()
    sql = " ".join(q["sql"] for q in ctx.captured_queries).upper()
    assert "OFFSET" not in sql
    assert f"/article/{articles[-1].slug}/" in body


def test_a_scheduled_story_is_dated_when_it_went_out(client, settings):
    """A story scheduled yesterday for this morning was not modified
    yesterday: its URL's lastmod, and its page's in the index, are no
    earlier than its publication. They were the day it was scheduled (its
    updated_at), earlier than the datePublished its page shows, and the index
    entry did not move when it went out, so a crawler had no cause to
    re-read the page that lists it."""
    settings.SITE_URL = SITE
    now = timezone.now()
    older = f.article("Older", published_at=now - timedelta(days=3))
    Article.objects.filter(pk=older.pk).update(updated_at=now - timedelta(days=3))
    due = f.article(
        "Came due",
        status="scheduled",
        published_at=now - timedelta(hours=1),
    )
    Article.objects.filter(pk=due.pk).update(updated_at=now - timedelta(days=1))
    index = _xml(client, "/sitemap.xml")
    entry = next(
        e
        for e in index.iterfind("s:sitemap", NS)
        if "/sitemap-articles-" in e.find("s:loc", NS).text
    )
    went_out = due.published_at.replace(microsecond=0)
    assert datetime.fromisoformat(entry.find("s:lastmod", NS).text) >= went_out
    page = _xml(client, entry.find("s:loc", NS).text.removeprefix(SITE))
    dated = {
        u.find("s:loc", NS).text: datetime.fromisoformat(u.find("s:lastmod", NS).text)
        for u in page.iterfind("s:url", NS)
    }
    assert dated[f"{SITE}/article/{due.slug}/"] >= went_out
    assert dated[f"{SITE}/article/{older.slug}/"] < went_out


def test_missing_sitemap_pages_are_404(client):
    """A page number with no articles, or an unknown kind, is a 404."""
    f.article()
    assert client.get("/sitemap-articles-999999.xml").status_code == 404
    assert client.get("/sitemap-widgets-0.xml").status_code == 404


def test_news_sitemap_lists_the_last_48_hours(client, settings):
    """Google News sitemap: recent public articles with name, date and title."""
    settings.SITE_URL = SITE
    now = timezone.now()
    fresh = f.article("Fresh & new <today>", published_at=now - timedelta(hours=2))
    f.article("Two days and more", published_at=now - timedelta(hours=49))
    f.article("Later", published_at=now + timedelta(hours=1))
    root = _xml(client, "/sitemap-news.xml")
    urls = root.findall("s:url", NS)
    assert [u.find("s:loc", NS).text for u in urls] == [f"{SITE}/article/{fresh.slug}/"]
    news = urls[0].find("n:news", NS)
    assert news.find("n:title", NS).text == "Fresh & new <today>"
    assert news.find("n:publication/n:name", NS).text == "The Newsroom"
    assert news.find("n:publication/n:language", NS).text == "en"
    assert news.find("n:publication_date", NS).text.startswith(
        fresh.published_at.date().isoformat()
    )


def test_robots_txt_points_at_sitemaps_that_answer(client, settings):
    """Every Sitemap: line of robots.txt is a URL this site serves."""
    settings.SITE_URL = SITE
    f.article()
    lines = client.get("/robots.txt").content.decode().splitlines()
    sitemaps = [line.split(": ", 1)[1] for line in lines if line.startswith("Sitemap:")]
    assert sitemaps == [f"{SITE}/sitemap.xml", f"{SITE}/sitemap-news.xml"]
    for url in sitemaps:
        _xml(client, url.removeprefix(SITE))


@pytest.mark.parametrize(
    "url",
    ["/robots.txt", "/sitemap.xml", "/sitemap-articles-0.xml", "/sitemap-news.xml"],
)
def test_crawlers_may_ask_head_of_robots_and_sitemaps(client, url):
    """HEAD, which crawlers and link checkers send to see whether a sitemap or
    robots.txt is there, answers as GET does without a body (it was 405, so
    the sitemap looked gone); other methods stay 405 naming GET and HEAD."""
    f.article()
    got = client.get(url)
    head = client.head(url)
    assert head.status_code == got.status_code == 200, url
    assert head["Content-Type"] == got["Content-Type"]
    body = head.streaming_content if head.streaming else [head.content]
    assert b"".join(body) == b""
    posted = client.post(url)
    assert posted.status_code == 405
    assert posted["Allow"] == "GET, HEAD"


@pytest.mark.parametrize("size", [0, -1, 50_001])
def test_a_sitemap_page_size_out_of_range_stops_manage_py_check(size):
    """NEWSROOM_SITEMAP_PAGE_SIZE is how many ids a sitemap page covers. At 0
    or below every sitemap URL was a 500 (a division by it), found only when a
    crawler came; past 50,000 a page breaks the sitemaps protocol's limit and
    search engines refuse it. Either is now newsroom.E100 at startup."""
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError
    from django.test import override_settings

    with override_settings(NEWSROOM_SITEMAP_PAGE_SIZE=size):
        with pytest.raises(SystemCheckError) as caught:
            call_command("check")
    assert "NEWSROOM_SITEMAP_PAGE_SIZE must be" in str(caught.value)


def test_a_page_number_in_another_form_is_404(client, settings):
    """Only the number as the index writes it answers: with a leading zero
    ("07", "007") it is a 404, not a second copy of the page at another
    address (a crawler indexes each copy)."""
    settings.SITE_URL = SITE
    settings.NEWSROOM_SITEMAP_PAGE_SIZE = 2
    for _ in range(3):
        f.article()
    listed = [loc.removeprefix(SITE) for loc in _locs(_xml(client, "/sitemap.xml"))]
    assert listed
    for url in listed:
        assert _locs(_xml(client, url)), url
        head, number = url.removesuffix(".xml").rsplit("-", 1)
        for other in (f"0{number}", f"00{number}"):
            assert client.get(f"{head}-{other}.xml").status_code == 404, other
