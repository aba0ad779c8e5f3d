"""Feeds never carry live HTML, whatever an editor, importer or commenter wrote.

Every field that reaches a feed is filled with hostile markup; every feed is
fetched as RSS and Atom; the text of each element a feed reader renders as
HTML is parsed with an HTML parser, which must find no script, no event
handler and no ``javascript:`` URL.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from django.apps import apps

from newsroom.articles.models import ArticleNote, Author, Section, Tag
from newsroom.articles.tests import factories as f

pytestmark = pytest.mark.django_db

HOSTILE = (
    "<img src=x onerror=alert(1)><script>alert(2)</script>"
    '<a href="javascript:alert(3)">x</a><svg onload=alert(4)>'
)
# For fields of 80 to 100 characters (names).
SHORT = "<img src=x onerror=alert(1)>"
ATOM = "{http://www.w3.org/2005/Atom}"


class Findings(HTMLParser):
    """Collects what would run in a browser that renders the text as HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag in {"script", "iframe", "object", "embed", "svg", "img"}:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag} {name}=")
            squashed = "".join((value or "").split()).lower()
            if squashed.startswith(("javascript:", "vbscript:", "data:")):
                self.found.append(f"{tag} {name}={value}")


def live_markup(html: str) -> list[str]:
    parser = Findings()
    parser.feed(html)
    parser.close()
    return parser.found


def html_fields(xml: bytes) -> list[str]:
    """The decoded text of every element a reader renders as HTML."""
    root = ET.fromstring(xml)
    out = []
    for el in root.iter():
        tag = el.tag
        if tag == "description" or (
            tag in {f"{ATOM}summary", f"{ATOM}content", f"{ATOM}title"}
            and el.get("type") in {"html", "xhtml"}
        ):
            out.append(el.text or "")
    return out


@pytest.fixture
def hostile_site(settings):
    settings.SITE_URL = "https://news.example"
    story = f.article(
        f"Headline {HOSTILE}",
        section_name="World",
        tags=("Syria",),
        authors=("Amira Haddad",),
        standfirst=f"Standfirst {HOSTILE}",
    )
    Section.objects.filter(pk=story.section_id).update(description=f"Section {HOSTILE}")
    Tag.objects.filter(slug="syria").update(name=f"Syria {SHORT}")
    Author.objects.filter(slug="amira-haddad").update(
        name=f"Amira {HOSTILE}", bio=f"Bio {HOSTILE}"
    )
    bare = f.article("No standfirst " + HOSTILE, section_name="World")
    ArticleNote.objects.create(article=story, kind="correction", text=HOSTILE)
    comment = apps.get_model("comments", "Comment")
    comment.objects.create(
        article=story,
        name=f"Rana {SHORT}",
        body=f"Reader says {HOSTILE} see javascript:alert(5)",
        status=comment.Status.APPROVED,
    )
    # A row written around the model (an importer, a shell): raw HTML stored.
    raw = comment.objects.create(
        article=story, name="Raw", body="x", status=comment.Status.APPROVED
    )
    comment.objects.filter(pk=raw.pk).update(body_html=HOSTILE)
    return story, bare


FEEDS = [
    "/feeds/{fmt}/",
    "/feeds/section/world/{fmt}/",
    "/feeds/tag/syria/{fmt}/",
    "/feeds/author/amira-haddad/{fmt}/",
    "/feeds/corrections/{fmt}/",
    "/feeds/article/{slug}/comments/{fmt}/",
]


@pytest.mark.parametrize("fmt", ["rss", "atom"])
@pytest.mark.parametrize("url", FEEDS)
def test_no_feed_carries_live_html(client, hostile_site, url, fmt):
    """Hostile text in every field: no feed has markup a reader would run."""
    story, _ = hostile_site
    response = client.get(url.format(fmt=fmt, slug=story.slug))
    assert response.status_code == 200
    fields = html_fields(response.content)
    assert fields, "the feed has HTML fields to check"
    for text in fields:
        assert live_markup(text) == [], text
    # The whole document read as HTML (a browser opening the feed) too.
    assert live_markup(response.content.decode()) == []


def test_feed_descriptions_show_the_text_that_was_written(client, hostile_site):
    """Escaped once: a reader shows the standfirst's characters, not markup."""
    story, bare = hostile_site
    fields = html_fields(client.get("/feeds/rss/").content)
    # A renderer turns the escaped HTML back into exactly the written text.
    shown = [HTMLUnescape.text(t) for t in fields]
    assert f"Standfirst {HOSTILE}" in shown
    assert bare.headline in shown  # no standfirst: the headline, as text
    comments = html_fields(
        client.get(f"/feeds/article/{story.slug}/comments/rss/").content
    )
    assert any("Reader says" in t and "&lt;script&gt;" in t for t in comments)


class HTMLUnescape(HTMLParser):
    """The text a browser shows for an HTML fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data) -> None:
        self.parts.append(data)

    @classmethod
    def text(cls, html: str) -> str:
        parser = cls()
        parser.feed(html)
        parser.close()
        return "".join(parser.parts)


@pytest.mark.parametrize(
    "listing,feed",
    [
        ("/", "/feeds/"),
        ("/section/world/", "/feeds/section/world/"),
        ("/tag/syria/", "/feeds/tag/syria/"),
        ("/author/amira-haddad/", "/feeds/author/amira-haddad/"),
    ],
)
def test_listing_pages_link_their_feeds(client, hostile_site, listing, feed):
    """Home, section, tag and author pages name their RSS and Atom feeds."""
    html = client.get(listing).content.decode()
    head = html.split("</head>", 1)[0]
    assert (
        '<link rel="alternate" type="application/rss+xml"' in head
        and f'href="{feed}rss/"' in head
    )
    assert 'type="application/atom+xml"' in head and f'href="{feed}atom/"' in head
