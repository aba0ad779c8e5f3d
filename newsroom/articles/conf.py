"""The articles app's optional settings (see newsroom/core/conf.py)."""

from newsroom.core.conf import AppSettings, Option, at_least, between

conf = AppSettings(
    "articles",
    # Longest Markdown body an editor's form accepts.
    NEWSROOM_ARTICLE_BODY_MAX_CHARS=Option(200_000, int, at_least(1)),
    # Seconds a rendered feed is kept (shared by every process with Redis);
    # any change to public content starts it again. 0 renders every request.
    NEWSROOM_FEED_CACHE_SECONDS=Option(60, int, at_least(0)),
    # Ids a sitemap page covers (so at most this many URLs a page): the
    # sitemaps protocol allows 50,000 URLs a file.
    NEWSROOM_SITEMAP_PAGE_SIZE=Option(50_000, int, between(1, 50_000)),
    # Seconds a sitemap page's rows are kept.
    NEWSROOM_SITEMAP_CACHE_SECONDS=Option(600, int, at_least(0)),
)
