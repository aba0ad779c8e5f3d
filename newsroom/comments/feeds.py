"""The comments feed of one article, registered as the article feed "comments".

Served by the articles app at ``feeds/article/<slug>/comments/rss/`` (and
``…/atom/``) from ``registry.article_feeds``; the articles app never imports
this module.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from newsroom.articles.feeds import NewsFeed, as_html, entry_id, feed_size, line
from newsroom.articles.models import Article
from newsroom.articles.rendering import sanitise_html
from newsroom.core.links import absolute_url
from newsroom.core.text import clean_text

from . import threads
from .models import Comment


class ArticleCommentsFeed(NewsFeed):
    """The approved comments on one public article, newest first."""

    # Comments change without the content version moving, and one article's
    # feed is cheap: rendered on each request (still 304 when unchanged).
    kept = False

    def get_object(self, request, slug: str) -> Article:
        return Article.objects.public_or_404(slug=slug)

    def title(self, obj: Article) -> str:
        return f"Comments on {line(obj.headline)}"

    def about(self, obj: Any = None) -> str:
        return f"Approved reader comments on “{line(obj.headline)}”"

    def link(self, obj: Article) -> str:
        return absolute_url(obj.get_absolute_url()) + "#comments"

    def author_name(self, obj: Article) -> str:
        return settings.SITE_NAME

    def items(self, obj: Article) -> list[Comment]:
        qs = Comment.objects.filter(article=obj, status=Comment.Status.APPROVED)
        items = list(
            qs.select_related("article").order_by("-created_at", "-id")[: feed_size()]
        )
        # Where the page shows each one (its thread's page, or the thread's
        # own view): the newest comments are seldom on the first page.
        found = threads.links(obj.pk, items)
        for item in items:
            item.shown_at = found[item.pk]
        return items

    def item_title(self, item: Comment) -> str:
        # Cleaned again here, as the article feeds do: a control character
        # stored before names were cleaned would make the feed a 500.
        return clean_text(f"{item.name} on {item.article.headline}", multiline=False)

    def item_description(self, item: Comment) -> str:
        # The page shows body_html (escaped text, links): the same, sanitised
        # again here, or the escaped text when a row has none.
        if item.body_html:
            return sanitise_html(clean_text(item.body_html))
        return as_html(clean_text(item.body))

    def item_link(self, item: Comment) -> str:
        return absolute_url(item.article.get_absolute_url()) + item.shown_at

    def item_guid(self, item: Comment) -> str:
        # Stable while the page a comment is on moves as threads come, and
        # when an editor changes the story's slug.
        return entry_id("comment", item.pk)

    item_guid_is_permalink = False

    def item_author_name(self, item: Comment) -> str:
        return clean_text(item.name, multiline=False)

    def item_pubdate(self, item: Comment):
        return item.created_at

    def item_updateddate(self, item: Comment):
        return item.created_at
