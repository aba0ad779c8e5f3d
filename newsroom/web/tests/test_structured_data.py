"""NewsArticle JSON-LD, Open Graph and Twitter tags on article pages."""

import json
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from newsroom.articles.models import ArticleNote
from newsroom.articles.tests import factories as f
from newsroom.media import samples
from newsroom.media.library import add_image

pytestmark = pytest.mark.django_db

SITE = "https://news.example"


class Head(HTMLParser):
    """Collects JSON-LD scripts, <meta> tags and the canonical link."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.meta: dict[str, list[str]] = {}
        self.canonical: str | None = None
        self._in_ld = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and a.get("type") == "application/ld+json":
            self._in_ld = True
            self.scripts.append("")
        elif tag == "meta" and (a.get("property") or a.get("name")):
            key = a.get("property") or a.get("name")
            self.meta.setdefault(key, []).append(a.get("content", ""))
        elif tag == "link" and a.get("rel") == "canonical":
            self.canonical = a["href"]

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_ld = False

    def handle_data(self, data):
        if self._in_ld:
            self.scripts[-1] += data


def _head(client, article) -> Head:
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    parser = Head()
    parser.feed(response.content.decode())
    return parser


@pytest.fixture
def story(settings):
    settings.SITE_URL = SITE
    return f.article(
        "Wall breached </script><script>alert(1)</script> & more",
        standfirst="Troops advanced at dawn.",
        section_name="World",
        tags=("Syria", "Raqqa"),
        authors=("Amira Haddad", "Tom Kessler"),
        image_url="https://img.example/wall.jpg",  # provenance only: not shown
        lead_image=add_image(
            samples.photo(1600, 1000),
            "wall.jpg",
            alt="The breached wall",
            credit="Photo: Test Desk",
        )[0],
        dateline="BEIRUT",
    )


def test_json_ld_is_a_complete_news_article(client, story):
    """Headline, dates, authors, publisher, section and image are present."""
    head = _head(client, story)
    assert len(head.scripts) == 1
    data = json.loads(head.scripts[0])
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == story.headline
    assert data["datePublished"] == story.published_at.isoformat()
    assert data["dateModified"] == story.updated_at.isoformat()
    assert [a["name"] for a in data["author"]] == ["Amira Haddad", "Tom Kessler"]
    assert data["author"][0] == {
        "@type": "Person",
        "name": "Amira Haddad",
        "url": f"{SITE}/author/amira-haddad/",
    }
    assert data["publisher"]["@type"] == "NewsMediaOrganization"
    assert data["publisher"]["name"] == "The Newsroom"
    assert data["articleSection"] == "World"
    key = story.lead_image.key
    assert [(i["url"], i["width"], i["height"]) for i in data["image"]] == [
        (f"{SITE}/media/r/{key}/f50x50-1200x675.jpg", 1200, 675),  # 16:9
        (f"{SITE}/media/r/{key}/f50x50-1200x900.jpg", 1200, 900),  # 4:3
        (f"{SITE}/media/r/{key}/f50x50-1200x1200.jpg", 1000, 1000),  # 1:1
    ]
    assert data["image"][0]["creditText"] == "Photo: Test Desk"
    assert data["publisher"]["logo"]["url"].startswith(f"{SITE}/static/newsroom/logo")
    assert data["keywords"] == ["Raqqa", "Syria"]
    assert data["mainEntityOfPage"]["@id"] == f"{SITE}{story.get_absolute_url()}"
    assert "correction" not in data


def test_json_ld_cannot_close_its_script_element(client, story):
    """<, > and & in text are escaped, so a headline cannot inject markup."""
    html = client.get(story.get_absolute_url()).content.decode()
    block = re.search(
        r'<script type="application/ld\+json">(.*?)</script>', html, re.S
    ).group(1)
    assert "<" not in block and ">" not in block and "&" not in block
    assert "\\u003C/script\\u003E" in block
    assert "<script>alert(1)" not in html


def test_corrections_are_correction_comments_in_the_json_ld(client, story):
    """Each dated note is a CorrectionComment with its text and date."""
    noted = timezone.now() - timedelta(hours=2)
    ArticleNote.objects.create(
        article=story, text="An earlier version misnamed the gate.", noted_at=noted
    )
    ArticleNote.objects.create(article=story, kind="update", text="Added a map.")
    data = json.loads(_head(client, story).scripts[0])
    assert [c["@type"] for c in data["correction"]] == ["CorrectionComment"] * 2
    assert [c["name"] for c in data["correction"]] == ["Update", "Correction"]
    first = data["correction"][1]
    assert first["text"] == "An earlier version misnamed the gate."
    assert first["datePublished"] == noted.isoformat()


def test_open_graph_twitter_and_canonical_tags(client, story):
    """Social cards describe the article; the canonical link is absolute."""
    head = _head(client, story)
    url = f"{SITE}{story.get_absolute_url()}"
    assert head.canonical == url
    m = head.meta
    assert m["og:type"] == ["article"]
    assert m["og:title"] == [story.headline]
    assert m["og:description"] == ["Troops advanced at dawn."]
    assert m["og:url"] == [url]
    key = story.lead_image.key
    assert m["og:image"] == [f"{SITE}/media/r/{key}/f50x50-1200x630.jpg"]
    assert m["og:image:width"] == ["1200"] and m["og:image:height"] == ["630"]
    assert m["og:image:alt"] == ["The breached wall"]
    assert m["twitter:image"] == m["og:image"]
    assert m["og:site_name"] == ["The Newsroom"]
    assert m["article:section"] == ["World"]
    assert sorted(m["article:tag"]) == ["Raqqa", "Syria"]
    assert m["article:published_time"][0].startswith(str(story.published_at.year))
    assert m["twitter:card"] == ["summary_large_image"]
    assert m["twitter:title"] == [story.headline]


def test_without_an_image_the_card_is_a_summary(client, settings):
    """No image: no image fields, and a plain summary card."""
    settings.SITE_URL = SITE
    a = f.article("No picture")
    head = _head(client, a)
    assert "image" not in json.loads(head.scripts[0])
    assert "og:image" not in head.meta
    assert head.meta["twitter:card"] == ["summary"]


def test_a_new_correction_reaches_the_cached_head(client, story):
    """The head is cached, but a correction added later is in the next view."""
    assert "correction" not in json.loads(_head(client, story).scripts[0])
    ArticleNote.objects.create(article=story, text="The gate is the north gate.")
    data = json.loads(_head(client, story).scripts[0])
    assert [c["text"] for c in data["correction"]] == ["The gate is the north gate."]
