"""Feeds and sitemaps (mounted at the site root by newsroom/urls.py)."""

from django.urls import path, register_converter

from newsroom.core.registry import article_feeds

from . import sitemaps
from .feeds import (
    ArticleFeed,
    AuthorFeed,
    CorrectionsFeed,
    SectionFeed,
    TagFeed,
    atom,
    following_renames,
)
from .models import Article, Author, Section, Tag

app_name = "articles"


class PageNumber:
    """A sitemap page's number as the index writes it: "0", "7", "12", never
    "07" or "007" (``int`` took those too, each a copy of page 7 at an
    address of its own, and crawlers index copies)."""

    regex = "0|[1-9][0-9]*"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(PageNumber, "page_number")


def _feeds(route: str, name: str, feed_class, *, renamed=None) -> list:
    """``route`` as RSS 2.0 at ``…/rss/`` and as Atom at ``…/atom/``;
    ``renamed``: the queryset whose old slugs lead to its feed (see
    ``following_renames``)."""
    rss = feed_class(f"articles:{name}-rss")
    atom_feed = atom(feed_class)(f"articles:{name}-atom")
    if renamed is not None:
        rss = following_renames(rss, renamed.moved_from)
        atom_feed = following_renames(atom_feed, renamed.moved_from)
    return [
        path(f"{route}rss/", rss, name=f"{name}-rss"),
        path(f"{route}atom/", atom_feed, name=f"{name}-atom"),
    ]


urlpatterns = [
    *_feeds("feeds/", "site", ArticleFeed),
    *_feeds(
        "feeds/section/<slug:slug>/", "section", SectionFeed, renamed=Section.objects
    ),
    *_feeds("feeds/tag/<slug:slug>/", "tag", TagFeed, renamed=Tag.objects),
    *_feeds("feeds/author/<slug:slug>/", "author", AuthorFeed, renamed=Author.objects),
    *_feeds("feeds/corrections/", "corrections", CorrectionsFeed),
    # Per-article feeds other apps register (the comments app: "comments").
    *(
        pattern
        for name, feed in article_feeds.items()
        for pattern in _feeds(
            f"feeds/article/<slug:slug>/{name}/", name, feed, renamed=Article.objects
        )
    ),
    path("sitemap.xml", sitemaps.index, name="sitemap"),
    path("sitemap-news.xml", sitemaps.news, name="sitemap-news"),
    path(
        "sitemap-<str:kind>-<page_number:number>.xml",
        sitemaps.page,
        name="sitemap-page",
    ),
]
