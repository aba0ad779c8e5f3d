"""RSS 2.0 and Atom feeds parse cleanly and carry dates, links and authors."""

import re
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from django.apps import apps
from django.utils import timezone

from newsroom.articles.models import Article, ArticleNote, Author, Section, Tag
from newsroom.articles.tests import factories as f

pytestmark = pytest.mark.django_db

SITE = "https://news.example"
# What XML 1.0 refuses (tab, newline and carriage return excepted).
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


@pytest.fixture
def story(settings):
    settings.SITE_URL = SITE
    when = (timezone.now() - timedelta(hours=3)).replace(microsecond=0)
    a = f.article(
        "Forces open two gaps in the wall & gate <north>",
        section_name="World",
        tags=("Syria",),
        authors=("Amira Haddad", "Tom Kessler"),
        standfirst="Troops advanced at dawn.",
        published_at=when,
    )
    f.article(
        "An older story",
        section_name="Sport",
        tags=("Cup",),
        authors=("Lena Brandt",),
        published_at=when - timedelta(days=2),
    )
    f.article("A draft", status="draft")
    return a


def _parse(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, url
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, (url, parsed.get("bozo_exception"))
    return response, parsed


FEEDS = [
    "/feeds/",
    "/feeds/section/world/",
    "/feeds/tag/syria/",
    "/feeds/author/amira-haddad/",
]


@pytest.mark.parametrize("fmt,version", [("rss", "rss20"), ("atom", "atom10")])
@pytest.mark.parametrize("base", FEEDS)
def test_article_feeds_parse_with_dates_links_and_authors(
    client, story, base, fmt, version
):
    """Site, section, tag and author feeds: valid, dated, linked, attributed."""
    response, parsed = _parse(client, f"{base}{fmt}/")
    assert parsed.version == version
    assert parsed.feed.title.endswith("The Newsroom") or "·" in parsed.feed.title
    entry = parsed.entries[0]
    assert entry.title == story.headline  # & and <> survive, escaped on the wire
    assert entry.link == f"{SITE}/article/{story.slug}/"
    assert entry.author == "Amira Haddad and Tom Kessler"
    published = entry.published_parsed
    assert published is not None
    assert datetime(*published[:6], tzinfo=UTC) == story.published_at
    assert "A draft" not in response.content.decode()
    assert "@" not in entry.get("author", "")  # no author email published


def test_narrow_feeds_hold_only_their_stories(client, story):
    """A section, tag or author feed leaves other stories out."""
    for url in [
        "/feeds/section/world/rss/",
        "/feeds/tag/syria/atom/",
        "/feeds/author/amira-haddad/rss/",
    ]:
        _, parsed = _parse(client, url)
        assert [e.title for e in parsed.entries] == [story.headline], url
    _, site = _parse(client, "/feeds/rss/")
    assert [e.title for e in site.entries] == [story.headline, "An older story"]


def test_unknown_feed_objects_are_404(client, story):
    """A feed for a section, tag, author or article that does not exist: 404."""
    for url in [
        "/feeds/section/nope/rss/",
        "/feeds/tag/nope/atom/",
        "/feeds/author/nobody/rss/",
        "/feeds/article/nope/comments/rss/",
    ]:
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_corrections_feed_lists_dated_notes_of_public_articles(client, story, fmt):
    """Each correction or update is an entry, dated, linking to its article."""
    noted = (timezone.now() - timedelta(hours=1)).replace(microsecond=0)
    ArticleNote.objects.create(
        article=story,
        kind="correction",
        text="An earlier version misnamed the gate.",
        noted_at=noted,
    )
    ArticleNote.objects.create(article=story, kind="update", text="Added a map.")
    hidden = f.article("Unpublished", status="draft")
    ArticleNote.objects.create(article=hidden, text="Not for readers.")
    response, parsed = _parse(client, f"/feeds/corrections/{fmt}/")
    titles = [e.title for e in parsed.entries]
    assert titles == [f"Update: {story.headline}", f"Correction: {story.headline}"]
    correction = parsed.entries[1]
    assert correction.link == f"{SITE}/article/{story.slug}/"
    assert "misnamed the gate" in correction.summary
    assert datetime(*correction.published_parsed[:6], tzinfo=UTC) == noted
    assert "Not for readers" not in response.content.decode()
    assert len({e.id for e in parsed.entries}) == 2


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_comments_feed_lists_approved_comments_of_the_article(client, story, fmt):
    """The per-article comments feed holds its approved comments only."""
    try:
        comment = apps.get_model("comments", "Comment")
    except LookupError:
        pytest.skip("newsroom.comments has no Comment model yet")
    when = (timezone.now() - timedelta(minutes=30)).replace(microsecond=0)
    c = comment.objects.create(
        article=story,
        name="Rana",
        body="Good reporting.",
        status=comment.Status.APPROVED,
    )
    comment.objects.filter(pk=c.pk).update(created_at=when)
    comment.objects.create(
        article=story, name="Spammer", body="Buy now", status=comment.Status.SPAM
    )
    response, parsed = _parse(client, f"/feeds/article/{story.slug}/comments/{fmt}/")
    assert [e.author for e in parsed.entries] == ["Rana"]
    entry = parsed.entries[0]
    assert "Good reporting." in entry.summary
    assert entry.link == f"{SITE}/article/{story.slug}/#comment-{c.pk}"
    assert datetime(*entry.published_parsed[:6], tzinfo=UTC) == when
    assert "Buy now" not in response.content.decode()
    # The article page points feed readers at it.
    page = client.get(story.get_absolute_url()).content.decode()
    assert f'href="/feeds/article/{story.slug}/comments/rss/"' in page


def test_feed_size_is_bounded(client, story, settings):
    """A feed carries at most NEWSROOM_FEED_ITEMS entries."""
    settings.NEWSROOM_FEED_ITEMS = 1
    _, parsed = _parse(client, "/feeds/rss/")
    assert len(parsed.entries) == 1


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_names_stored_with_control_characters_leave_every_feed_valid(
    client, story, fmt
):
    """A section, tag or author name, a section's description or a headline
    stored with control characters (a row written before text was cleaned, or
    from a shell) leaves every feed well-formed, the names shown without
    them. Feed titles, subtitles, categories and bylines printed them raw:
    one author's name made the site feed and every feed of her stories a 500."""
    comment = apps.get_model("comments", "Comment")
    comment.objects.create(
        article=story, name="Rana", body="Noted.", status=comment.Status.APPROVED
    )
    Section.objects.filter(slug="world").update(
        name="World\x0bNews", description="About\x0c the\x1b world"
    )
    Tag.objects.filter(slug="syria").update(name="Syria\x01")
    Author.objects.filter(slug="amira-haddad").update(name="Amira\x1b Haddad")
    Article.objects.filter(pk=story.pk).update(headline="Forces\x0bopen the gate")
    ArticleNote.objects.create(article=story, kind="update", text="Added a map.")
    urls = [f"{base}{fmt}/" for base in FEEDS] + [
        f"/feeds/corrections/{fmt}/",
        f"/feeds/article/{story.slug}/comments/{fmt}/",
    ]
    for url in urls:
        response, parsed = _parse(client, url)
        assert not CONTROL.search(response.content.decode()), url
    _, section = _parse(client, f"/feeds/section/world/{fmt}/")
    assert section.feed.title.startswith("World News")
    assert section.entries[0].author == "Amira Haddad and Tom Kessler"
    _, comments = _parse(client, f"/feeds/article/{story.slug}/comments/{fmt}/")
    assert comments.feed.title == "Comments on Forces open the gate"


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_an_entry_keeps_its_id_when_the_slug_changes(client, story, fmt):
    """An entry's id (RSS guid, Atom id) names the story, the note or the
    comment, not an address: after an editor changes the story's slug its
    links move and every id stays. The ids were the story's address, and
    every feed reader showed the renamed story (its corrections, its
    comments) again as new ones."""
    ArticleNote.objects.create(article=story, text="An earlier version erred.")
    comment = apps.get_model("comments", "Comment")
    comment.objects.create(
        article=story, name="Rana", body="Good.", status=comment.Status.APPROVED
    )

    def entries() -> dict[str, list[tuple[str, str]]]:
        found = {}
        for name, url in (
            ("site", f"/feeds/{fmt}/"),
            ("section", f"/feeds/section/world/{fmt}/"),
            ("corrections", f"/feeds/corrections/{fmt}/"),
            ("comments", f"/feeds/article/{story.slug}/comments/{fmt}/"),
        ):
            parsed = _parse(client, url)[1]
            found[name] = [(e.id, e.link) for e in parsed.entries]
        return found

    before = entries()
    story.slug = "two-gaps-in-the-wall"
    story.save()
    after = entries()
    for name, pairs in before.items():
        assert [i for i, _ in after[name]] == [i for i, _ in pairs], name
        assert f"/article/{story.slug}/" in after[name][0][1], name
        assert all(i.startswith("tag:news.example,2026:") for i, _ in pairs), name
    stories = {i for i, _ in after["site"]}
    others = {after["corrections"][0][0], after["comments"][0][0]}
    assert len(stories) == 2 and len(others) == 2 and not stories & others


def test_a_storys_comments_feed_follows_its_renamed_slug(client, story):
    """A feed reader subscribed to a story's comments feed before an editor
    changed the slug asks the old address: 301 to the same feed at the new
    one, as the story's page answers (it was a 404, for good). A slug the
    story never had while public is still a 404."""
    old = story.slug
    story.slug = "two-gaps-in-the-wall"
    story.save()
    for fmt in ("rss", "atom"):
        response = client.get(f"/feeds/article/{old}/comments/{fmt}/")
        assert response.status_code == 301
        assert response["Location"] == f"/feeds/article/{story.slug}/comments/{fmt}/"
        _parse(client, response["Location"])
    assert client.get("/feeds/article/never-was/comments/rss/").status_code == 404
