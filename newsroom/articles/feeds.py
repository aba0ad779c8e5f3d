"""RSS 2.0 and Atom feeds: site, section, tag, author, corrections.

Each feed is a small ``django.contrib.syndication`` subclass; the Atom variant
of each is the same class with ``feed_type`` swapped. Links are absolute on
SITE_URL (not the request's host), so a feed read through a proxy or a cache
still points at the public site. Authors' emails are never published.
Per-article feeds of other apps (comments) come from ``registry.article_feeds``.

Descriptions are HTML to a feed reader (RSS ``<description>``, Atom
``<summary type="html">``), so they are never raw input: plain text is
escaped once (:func:`as_html`) and HTML goes through the page's sanitiser
(:func:`newsroom.articles.rendering.sanitise_html`). Titles, names and Atom
subtitles are text by the formats' definition and stay text.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.cache import cache
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponsePermanentRedirect,
)
from django.shortcuts import get_object_or_404
from django.urls import get_script_prefix, reverse
from django.utils.cache import get_conditional_response, patch_cache_control, quote_etag
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import escape
from django.utils.http import http_date

from newsroom.core import versions
from newsroom.core.links import absolute_url
from newsroom.core.text import clean_text
from newsroom.media.describe import FEED_SPEC, alt_text, rendition
from newsroom.media.feeds import MediaAtomFeed, MediaRssFeed

from .conf import conf
from .models import Article, ArticleNote, Author, Section, Tag

# How long a feed's last change is remembered: a day, far longer than feed
# readers wait between polls, and the keys of feeds nobody reads go. One
# forgotten (or pushed out of a per-process cache) is dated anew: a 200
# where a 304 would do, never the reverse.
CHANGED_SECONDS = 86400


def feed_size() -> int:
    return settings.NEWSROOM_FEED_ITEMS


def last_changed(key: str, etag: str) -> int:
    """When the feed under ``key`` became the body ``etag`` names: its
    Last-Modified, which If-Modified-Since is compared with.

    The newest item's date is not that: withdrawing the newest story,
    removing a comment or approving one written earlier changes the feed
    while that date stays or goes back, and a reader sending the date back
    got 304 and kept the old feed. The first time each body is served is kept
    beside its ETag in the default cache (shared by every node with Redis);
    a new body is dated now. Within the second of the last change, as with
    any HTTP date, only the ETag tells the two apart.
    """
    seen = cache.get(key)
    if seen is not None and seen[0] == etag:
        return seen[1]
    stamp = int(time.time())
    cache.set(key, (etag, stamp), CHANGED_SECONDS)
    return stamp


# The year in every entry id (RFC 4151 wants a date the site held its name).
ENTRY_ID_YEAR = 2026


def entry_id(kind: str, pk: int) -> str:
    """A feed entry's id (RSS ``guid``, Atom ``id``): a tag URI of the site's
    host and the row's kind and id, ``tag:news.example,2026:article/12``.

    Never the story's address: that moves when an editor changes its slug,
    and every feed reader took the story for a new one and showed it twice.
    """
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"tag:{host},{ENTRY_ID_YEAR}:{kind}/{pk}"


def ordered_ids(public, size: int) -> list[int]:
    """The ``size`` newest ids of ``public`` in one ordered query."""
    ordered = public.order_by("-published_at", "-id")
    return list(ordered.values_list("pk", flat=True)[:size])


def as_html(text: str) -> str:
    """Plain text as HTML that shows exactly that text (escaped once)."""
    return str(escape(text or ""))


def line(text: str) -> str:
    """A stored name or headline as one line of text XML admits: a control
    character in a row written before text was cleaned made the feed a 500."""
    return clean_text(text, multiline=False)


def byline_text(article: Article) -> str:
    names = [line(a.name) for a in article.byline()]
    if len(names) > 1:
        return ", ".join(names[:-1]) + " and " + names[-1]
    return names[0] if names else ""


class NewsFeed(Feed):
    """A feed that knows its own URL name, for its absolute self link.

    Feed instances serve every request (one per URL pattern), so nothing
    request-specific is kept on them.
    """

    feed_type = Rss201rev2Feed

    # Kept in the cache for NEWSROOM_FEED_CACHE_SECONDS, keyed by the
    # content version (a per-article feed of another app may opt out).
    kept = True

    def __init__(self, url_name: str) -> None:
        self.url_name = url_name

    def __call__(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        """GET and HEAD only; a brief shared copy; 304 on a conditional GET.

        A feed names the site by SITE_URL, never by the request, so one copy
        serves every reader: its key is the feed's URL name, its arguments,
        the script prefix its links carry and the content version
        (newsroom.core.versions), so a new, withdrawn or deleted story shows
        at once on every node. Its
        Last-Modified is when that body was first served (``last_changed``).
        """
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        seconds = conf.NEWSROOM_FEED_CACHE_SECONDS if self.kept else 0
        named = ":".join(f"{k}={v}" for k, v in sorted(kwargs.items()))
        named += f":{get_script_prefix()}"
        key = f"feeds:body:{versions.current()}:{self.url_name}:{named}"
        body = cache.get(key) if seconds else None
        if body is None:
            made = super().__call__(request, *args, **kwargs)
            body = (made.content, made["Content-Type"])
            if seconds:
                cache.set(key, body, seconds)
        content, content_type = body
        response = HttpResponse(content, content_type=content_type)
        etag = quote_etag(hashlib.blake2b(content, digest_size=12).hexdigest())
        changed = last_changed(f"feeds:changed:{self.url_name}:{named}", etag)
        response["ETag"] = etag
        response["Last-Modified"] = http_date(changed)
        patch_cache_control(response, public=True, max_age=seconds)
        return get_conditional_response(
            request, etag=etag, last_modified=changed, response=response
        )

    def feed_url(self, obj=None) -> str:
        slug = getattr(obj, "slug", None)
        return absolute_url(reverse(self.url_name, args=[slug] if slug else []))

    def about(self, obj=None) -> str:
        """What the feed is, as plain text (subclasses say)."""
        return ""

    def description(self, obj=None) -> str:
        # RSS readers render a channel's <description> as HTML.
        return as_html(self.about(obj))

    def subtitle(self, obj=None) -> str:
        # Atom's <subtitle> is text: the text itself.
        return self.about(obj)


class ArticleFeed(NewsFeed):
    """The latest public articles; subclasses narrow ``articles()``."""

    feed_type = MediaRssFeed  # lead pictures as <media:content>

    def title(self, obj=None) -> str:
        return settings.SITE_NAME

    def about(self, obj=None) -> str:
        return f"Latest stories from {settings.SITE_NAME}"

    def link(self, obj=None) -> str:
        return absolute_url(obj.get_absolute_url() if obj is not None else "/")

    def author_name(self, obj=None) -> str:
        return settings.SITE_NAME

    def articles(self, obj):
        return Article.objects.published()

    def newest(self, public, size: int) -> list[int]:
        # The whole site: one range scan of the (status, date) index per
        # public status, merged (a single query would sort every public row).
        return public.newest_ids(size)

    def items(self, obj=None):
        # The newest N ids through an index, then those rows by key: the
        # cost does not grow with the archive.
        ids = self.newest(self.articles(obj), feed_size())
        rows = (
            Article.objects.with_byline().defer("body", "body_html").order_by()
        ).in_bulk(ids)
        return [rows[pk] for pk in ids if pk in rows]

    def item_title(self, item: Article) -> str:
        # Cleaned again here: a control character stored before text was
        # cleaned (a vertical tab) would make the whole feed invalid XML.
        return line(item.headline)

    def item_description(self, item: Article) -> str:
        return as_html(clean_text(item.standfirst or item.headline))

    def item_link(self, item: Article) -> str:
        return absolute_url(item.get_absolute_url())

    def item_guid(self, item: Article) -> str:
        return entry_id("article", item.pk)

    item_guid_is_permalink = False

    def item_author_name(self, item: Article) -> str | None:
        return byline_text(item) or None

    def item_author_link(self, item: Article) -> str | None:
        byline = item.byline()
        return absolute_url(byline[0].get_absolute_url()) if len(byline) == 1 else None

    def item_pubdate(self, item: Article):
        return item.published_at

    def item_updateddate(self, item: Article):
        return max(item.updated_at, item.published_at)

    def item_categories(self, item: Article) -> list[str]:
        return [line(item.section.name)]

    def item_extra_kwargs(self, item: Article) -> dict:
        image = item.lead_image if item.lead_image_id else None
        if image is None:
            return {}
        data = rendition(image, FEED_SPEC)
        # Typed in the media admin or brought by an import, never cleaned on
        # the way in: one vertical tab (Word's line break) in a caption made
        # every feed listing the story a 500.
        data.update(
            alt=clean_text(alt_text(image), multiline=False),
            caption=clean_text(image.caption),
            credit=clean_text(image.credit, multiline=False),
        )
        return {"image": data}


class _OneOfFeed(ArticleFeed):
    """The stories of one section, tag or author (``model``, matched on
    ``field``).

    The database starts from their own rows (the section's date index, the
    tag's or author's links), so the plain ordered query reads about N rows;
    splitting by status, as the site feed does, would walk the whole public
    index looking for this one's rows.
    """

    model: type[Section] | type[Tag] | type[Author]
    field: str
    about_text: str

    newest = staticmethod(ordered_ids)

    def get_object(self, request, slug: str):
        # Public only while it has a published article (else 404).
        return get_object_or_404(self.model.objects.public(), slug=slug)

    def title(self, obj) -> str:
        return f"{line(obj.name)} · {settings.SITE_NAME}"

    def about(self, obj) -> str:
        return self.about_text.format(name=line(obj.name))

    def articles(self, obj):
        return Article.objects.published().filter(**{self.field: obj})


class SectionFeed(_OneOfFeed):
    model, field, about_text = Section, "section", "Latest {name} stories"

    def about(self, obj) -> str:
        return clean_text(obj.description) or super().about(obj)


class TagFeed(_OneOfFeed):
    model, field, about_text = Tag, "tags", "Latest stories tagged {name}"


class AuthorFeed(_OneOfFeed):
    model, field, about_text = Author, "authors", "Latest stories by {name}"


class CorrectionsFeed(NewsFeed):
    """Every correction and update note on public articles, newest first."""

    def title(self) -> str:
        return f"Corrections and updates · {settings.SITE_NAME}"

    def about(self, obj=None) -> str:
        return f"Dated corrections and updates to {settings.SITE_NAME} stories"

    def link(self) -> str:
        return absolute_url("/")

    def author_name(self) -> str:
        return settings.SITE_NAME

    def items(self):
        public = Article.objects.published()
        return (
            ArticleNote.objects.filter(article__in=public)
            .select_related("article")
            .only(
                "id", "kind", "text", "noted_at", "article__slug", "article__headline"
            )
            .order_by("-noted_at", "-id")[: feed_size()]
        )

    def item_title(self, item: ArticleNote) -> str:
        headline = line(item.article.headline)
        return f"{item.get_kind_display()}: {headline}"

    def item_description(self, item: ArticleNote) -> str:
        return as_html(clean_text(item.text))

    def item_link(self, item: ArticleNote) -> str:
        return absolute_url(item.article.get_absolute_url())

    def item_guid(self, item: ArticleNote) -> str:
        return entry_id("note", item.pk)

    item_guid_is_permalink = False

    def item_author_name(self, item: ArticleNote) -> str:
        return settings.SITE_NAME

    def item_pubdate(self, item: ArticleNote):
        return item.noted_at

    def item_updateddate(self, item: ArticleNote):
        return item.noted_at

    def item_categories(self, item: ArticleNote) -> list[str]:
        return [item.get_kind_display()]


def following_renames(feed: NewsFeed, moved_from: Callable[[str], str | None]):
    """A feed at a slug its story, section, tag or author had while public
    answers 301 to the same feed at the slug it has now (``moved_from``), as
    the page does: a reader subscribed before an editor changed the slug kept
    asking the old address, and got a 404 for ever."""

    def view(request: HttpRequest, slug: str) -> HttpResponse:
        try:
            return feed(request, slug=slug)
        except Http404:
            moved = moved_from(slug)
            if moved is None:
                raise
            return HttpResponsePermanentRedirect(reverse(feed.url_name, args=[moved]))

    return view


def atom(feed_class: type[Feed]) -> type[Feed]:
    """The same feed as Atom 1.0."""
    kind = MediaAtomFeed if feed_class.feed_type is MediaRssFeed else Atom1Feed
    return type(f"Atom{feed_class.__name__}", (feed_class,), {"feed_type": kind})
