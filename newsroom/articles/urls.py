"""Feeds and sitemaps (mounted at the site root by newsroom/urls.py)."""

from django.urls import path

from newsroom.core.registry import article_feeds

from . import sitemaps
from .feeds import (
    ArticleFeed,
    AuthorFeed,
    CorrectionsFeed,
    SectionFeed,
    TagFeed,
    atom,
)

app_name = "articles"


def _feeds(route: str, name: str, feed_class) -> list:
    """``route`` as RSS 2.0 at ``…/rss/`` and as Atom at ``…/atom/``."""
    return [
        path(f"{route}rss/", feed_class(f"articles:{name}-rss"), name=f"{name}-rss"),
        path(
            f"{route}atom/",
            atom(feed_class)(f"articles:{name}-atom"),
            name=f"{name}-atom",
        ),
    ]


urlpatterns = [
    *_feeds("feeds/", "site", ArticleFeed),
    *_feeds("feeds/section/<slug:slug>/", "section", SectionFeed),
    *_feeds("feeds/tag/<slug:slug>/", "tag", TagFeed),
    *_feeds("feeds/author/<slug:slug>/", "author", AuthorFeed),
    *_feeds("feeds/corrections/", "corrections", CorrectionsFeed),
    # Per-article feeds other apps register (the comments app: "comments").
    *(
        pattern
        for name, feed in article_feeds.items()
        for pattern in _feeds(f"feeds/article/<slug:slug>/{name}/", name, feed)
    ),
    path("sitemap.xml", sitemaps.index, name="sitemap"),
    path("sitemap-news.xml", sitemaps.news, name="sitemap-news"),
    path(
        "sitemap-<str:kind>-<int:number>.xml",
        sitemaps.page,
        name="sitemap-page",
    ),
]
