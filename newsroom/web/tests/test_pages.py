"""Reader pages answer with every region of the seed page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from newsroom.articles.tests import factories as f

pytestmark = pytest.mark.django_db


def test_home_lists_latest_and_a_block_per_section(client):
    f.article("Wall breached in old city", section_name="World")
    f.article("Budget passes late at night", section_name="Politics")
    html = client.get("/").content.decode()
    assert "Wall breached in old city" in html
    assert "Budget passes late at night" in html
    assert 'action="/search/"' in html and 'name="q"' in html
    assert "Search for keyword" in html


def test_article_page_has_every_seed_region(client):
    a = f.article(
        "Forces open two gaps in the wall",
        body="First paragraph.\n\n> A quoted statement.\n\nLast paragraph.",
        tags=("Syria", "Raqqa"),
        authors=("Amira Haddad", "Tom Kessler"),
        standfirst="The summary.",
        dateline="BEIRUT",
    )
    response = client.get(a.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    for region in [
        "Forces open two gaps in the wall",
        "The summary.",
        "Amira Haddad",
        "Tom Kessler",
        "BEIRUT",
        "<blockquote>",
        "Syria",
        "Search for keyword",
        'class="share',
        "Total Comments (0)",
        "Comments About This Article",
        "Please fill the fields below.",
    ]:
        assert region in html, region


def test_draft_and_future_articles_are_not_public_until_their_time(client):
    draft = f.article("Draft story", status="draft")
    future = f.article(
        "Scheduled story", published_at=timezone.now() + timedelta(hours=1)
    )
    assert future.state == "scheduled"
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(future.get_absolute_url()).status_code == 404
    assert "Scheduled story" not in client.get("/").content.decode()
    # Its time comes: it is public with no job having run.
    from newsroom.articles.models import Article

    Article.objects.filter(pk=future.pk).update(
        published_at=timezone.now() - timedelta(seconds=1)
    )
    assert client.get(future.get_absolute_url()).status_code == 200


def test_section_tag_and_author_pages_list_their_stories(client):
    a = f.article(
        "A tagged story",
        section_name="Science",
        tags=("Climate",),
        authors=("Lena Brandt",),
    )
    f.article("An unrelated story", section_name="Sport")
    for url in ["/section/science/", "/tag/climate/", "/author/lena-brandt/"]:
        html = client.get(url).content.decode()
        assert a.headline in html, url
        assert "An unrelated story" not in html, url
    assert client.get("/section/nope/").status_code == 404


def test_listing_pages_walk_back_with_a_cursor(client):
    for i in range(25):
        f.article(f"Story {i:02d}", section_name="World")
    first = client.get("/section/world/").content.decode()
    assert "Story 00" in first and "Older stories" in first
    import re

    cursor = re.search(r'href="\?before=([^"]+)"', first).group(1)
    second = client.get(f"/section/world/?before={cursor}").content.decode()
    assert "Story 24" in second and "Story 00" not in second
    # A cursor that is garbage is ignored, not a 500.
    assert client.get("/section/world/?before=%00nonsense~x").status_code == 200


def test_preview_is_for_editors_only(client, admin_client):
    draft = f.article("Secret draft", status="draft")
    url = f"/preview/{draft.pk}/"
    assert client.get(url).status_code == 302  # to the admin login
    html = admin_client.get(url).content.decode()
    assert "Secret draft" in html and "Preview" in html


def test_body_is_sanitised(client):
    a = f.article(
        "Hostile body",
        body=('Hi <script>alert(1)</script> <a href="javascript:x" onclick="y">l</a>'),
    )
    html = client.get(a.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in html
    assert "onclick" not in html and "javascript:x" not in html


def test_corrections_show_at_the_top(client):
    from newsroom.articles.models import ArticleNote

    a = f.article("Corrected story")
    ArticleNote.objects.create(article=a, text="An earlier version misspelt a name.")
    html = client.get(a.get_absolute_url()).content.decode()
    assert "An earlier version misspelt a name." in html
    assert html.index("misspelt") < html.index("story__body")


def test_robots_txt_points_at_sitemaps(client):
    text = client.get("/robots.txt").content.decode()
    assert "Sitemap:" in text and "/sitemap.xml" in text


@pytest.mark.parametrize("kind", ["section", "tag", "author"])
def test_a_listing_names_its_canonical_address(client, settings, kind):
    """A section, tag or author page says where it lives (``<link
    rel="canonical">`` on SITE_URL, as a story's page does): the same list
    was served under any query string (``?utm_source=…``, a cursor that is
    garbage, one spelt with a leading zero) with nothing to tell a search
    engine they are one page. A later page names itself, its cursor as the
    page writes it. A cursor that is garbage is the first page: it showed the
    first stories without the section's pinned ones and the "Newest" link."""
    import re
    from urllib.parse import unquote

    from newsroom.articles.desk import Pin

    settings.SITE_URL = "https://news.example"
    for i in range(25):
        f.article(f"Story {i:02d}", section_name="World", tags=("Docks",))
    home = {"section": "/section/world/", "tag": "/tag/docks/"}.get(
        kind, "/author/amira-haddad/"
    )
    canonical = re.compile(r'<link rel="canonical" href="([^"]+)">')
    first = client.get(home, {"utm_source": "x"}).content.decode()
    assert canonical.search(first).group(1) == f"https://news.example{home}"
    cursor = unquote(re.search(r'href="\?before=([^"]+)"', first).group(1))
    stamp, _, pk = cursor.rpartition("~")
    later = client.get(home, {"before": f"{stamp}~0{pk}"}).content.decode()
    assert unquote(canonical.search(later).group(1)) == (
        f"https://news.example{home}?before={cursor}"
    )
    if kind == "section":
        pinned = f.article(
            "The pinned one",
            section_name="World",
            published_at=timezone.now() - timedelta(days=5),
        )
        Pin.objects.create(article=pinned, section=pinned.section, position=0)
    junk = client.get(home, {"before": "nonsense"}).content.decode()
    assert canonical.search(junk).group(1) == f"https://news.example{home}"
    assert "&larr; Newest" not in junk
    if kind == "section":
        assert "The pinned one" in junk
    front = client.get("/", {"utm_source": "x"}).content.decode()
    assert canonical.search(front).group(1) == "https://news.example/"
