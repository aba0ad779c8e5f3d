"""XML sitemaps that stay cheap at a million articles, and a Google News one.

``django.contrib.sitemaps`` pages with OFFSET and builds each page's URLs in
memory; here every sitemap kind (articles, tags, authors, sections) is cut
into fixed id ranges of NEWSROOM_SITEMAP_PAGE_SIZE ids, so a page holds at
most that many URLs (50,000 by default, the protocol's limit), is found by an
indexed range scan, and is streamed row by row from a ``values_list``
iterator. The index lists only ranges that hold something, with their last
modification, from one grouped query cached for NEWSROOM_SITEMAP_CACHE_SECONDS.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    BigIntegerField,
    Expression,
    ExpressionWrapper,
    F,
    Max,
    QuerySet,
)
from django.db.models.functions import Greatest
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from newsroom.core.links import absolute_url
from newsroom.core.text import clean_text

from .conf import conf
from .models import Article, Author, Section, Tag

XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
NEWS_MAX_URLS = 1000  # Google News reads at most 1,000 URLs per sitemap


@dataclass(frozen=True)
class Kind:
    name: str
    url_name: str  # web page of one object, reversed with its slug
    lastmod: Expression | None

    def queryset(self) -> QuerySet:
        if self.name == "articles":
            return Article.objects.published()
        # Sections, tags and authors with at least one public story.
        if self.name == "tags":
            return Tag.objects.public()
        if self.name == "authors":
            return Author.objects.public()
        return Section.objects.public()


KINDS = {
    k.name: k
    for k in (
        # The later of the last edit and the publication: a story scheduled
        # yesterday for this morning was last modified this morning.
        Kind("articles", "web:article", Greatest("updated_at", "published_at")),
        Kind("sections", "web:section", None),
        Kind("tags", "web:tag", None),
        Kind("authors", "web:author", None),
    )
}


def page_size() -> int:
    return conf.NEWSROOM_SITEMAP_PAGE_SIZE


def _url_prefix(url_name: str) -> tuple[str, str]:
    # Reverse once with a marker and splice slugs in: a reverse() per row
    # would dominate the cost of a 50,000-URL page.
    marker = "SLUG-MARKER"
    path = absolute_url(reverse(url_name, args=[marker]))
    before, _, after = path.partition(marker)
    return before, after


def pages(kind: Kind) -> list[tuple[int, object]]:
    """``[(page number, lastmod or None)]`` for the non-empty id ranges."""
    key = f"sitemap:pages:{kind.name}:{page_size()}"
    found = cache.get(key)
    if found is None:
        bucket = ExpressionWrapper(
            F("id") / page_size(), output_field=BigIntegerField()
        )
        qs = kind.queryset().order_by().annotate(bucket=bucket).values("bucket")
        if kind.lastmod is not None:
            rows = qs.annotate(lastmod=Max(kind.lastmod)).values_list(
                "bucket", "lastmod"
            )
        else:
            buckets = qs.distinct().values_list("bucket", flat=True)
            rows = ((b, None) for b in buckets)
        found = sorted((int(b), lastmod) for b, lastmod in rows)
        cache.set(key, found, conf.NEWSROOM_SITEMAP_CACHE_SECONDS)
    return found


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """The sitemap index: one entry per non-empty page of every kind."""
    lines = [XML_HEAD, f'<sitemapindex xmlns="{SITEMAP_NS}">\n']
    for kind in KINDS.values():
        for number, lastmod in pages(kind):
            loc = absolute_url(
                reverse("articles:sitemap-page", args=[kind.name, number])
            )
            lines.append(f"<sitemap><loc>{escape(loc)}</loc>")
            if lastmod:
                lines.append(f"<lastmod>{lastmod.isoformat()}</lastmod>")
            lines.append("</sitemap>\n")
    lines.append("</sitemapindex>\n")
    return HttpResponse("".join(lines), content_type="application/xml")


def _stream(kind: Kind, number: int) -> Iterator[str]:
    size = page_size()
    dated = kind.lastmod is not None
    qs = kind.queryset().annotate(lastmod=kind.lastmod) if dated else kind.queryset()
    rows = (
        qs.filter(id__gte=number * size, id__lt=(number + 1) * size)
        .order_by("id")
        .values_list(*(["slug", "lastmod"] if dated else ["slug"]))
        .iterator(chunk_size=2000)
    )
    before, after = _url_prefix(kind.url_name)
    yield XML_HEAD + f'<urlset xmlns="{SITEMAP_NS}">\n'
    chunk: list[str] = []
    for row in rows:
        entry = f"<url><loc>{escape(before + row[0] + after)}</loc>"
        if dated and row[1]:
            entry += f"<lastmod>{row[1].isoformat()}</lastmod>"
        chunk.append(entry + "</url>\n")
        if len(chunk) >= 1000:
            yield "".join(chunk)
            chunk = []
    yield "".join(chunk) + "</urlset>\n"


@require_safe
def page(request: HttpRequest, kind: str, number: int) -> StreamingHttpResponse:
    """One sitemap page, streamed (never the whole page in memory)."""
    if kind not in KINDS or number < 0:
        raise Http404("No such sitemap")
    if number not in {n for n, _ in pages(KINDS[kind])}:
        raise Http404("No such sitemap page")
    return StreamingHttpResponse(
        _stream(KINDS[kind], number), content_type="application/xml"
    )


@require_safe
def news(request: HttpRequest) -> HttpResponse:
    """Google News sitemap: public articles of the last 48 hours."""
    now = timezone.now()
    rows = (
        Article.objects.published(now)
        .filter(published_at__gte=now - timedelta(hours=48))
        .order_by("-published_at", "-id")
        .values_list("slug", "headline", "published_at")[:NEWS_MAX_URLS]
    )
    before, after = _url_prefix("web:article")
    name = escape(settings.SITE_NAME)
    language = escape(settings.LANGUAGE_CODE.split("-")[0])
    lines = [XML_HEAD, f'<urlset xmlns="{SITEMAP_NS}" xmlns:news="{NEWS_NS}">\n']
    for slug, headline, published_at in rows:
        lines.append(
            f"<url><loc>{escape(before + slug + after)}</loc><news:news>"
            f"<news:publication><news:name>{name}</news:name>"
            f"<news:language>{language}</news:language></news:publication>"
            f"<news:publication_date>{published_at.isoformat()}"
            f"</news:publication_date><news:title>{escape(one_line(headline))}"
            "</news:title>"
            "</news:news></url>\n"
        )
    lines.append("</urlset>\n")
    return HttpResponse("".join(lines), content_type="application/xml")


def one_line(text: str) -> str:
    """Text stored before cleaning (a vertical tab) is still valid XML here."""
    return clean_text(text, multiline=False)
