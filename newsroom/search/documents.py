"""Articles -> ``IndexDocument``s: what of an article the index holds."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from django.db.models import Prefetch, QuerySet

from newsroom.articles.models import Article, Byline

from .backends.base import IndexDocument

# Far enough ahead that every scheduled article is included: the index holds
# scheduled articles with their time, and searches filter on "now".
_FOREVER = datetime(9999, 1, 1, tzinfo=UTC)
_BLOCK_END = re.compile(r"</(?:p|blockquote|li|h\d|pre|figure|figcaption)>|<br\s*/?>")
_TAG = re.compile(r"<[^>]+>")


def indexable() -> QuerySet:
    """Public now or later: ``published()`` with the time check left to search."""
    return (
        Article.objects.published(now=_FOREVER)
        .select_related("section")
        .prefetch_related(
            "tags",
            Prefetch("byline_set",
                     queryset=Byline.objects.select_related("author")
                     .order_by("position", "id")),
        )
    )


def plain_text(body_html: str) -> str:
    """The sanitised HTML body as text, one line per block."""
    text = _BLOCK_END.sub("\n", body_html or "")
    return html.unescape(_TAG.sub("", text)).strip()


def to_document(article: Article) -> IndexDocument:
    return IndexDocument(
        id=article.pk,
        headline=article.headline,
        standfirst=article.standfirst,
        body=plain_text(article.body_html),
        slug=article.slug,
        published_at=article.published_at,
        section=(article.section.slug, article.section.name),
        tags=tuple((t.slug, t.name) for t in article.tags.all()),
        authors=tuple((b.author.slug, b.author.name) for b in article.byline_set.all()),
    )


def documents_for(ids: Iterable[int]) -> dict[int, IndexDocument]:
    """Documents for those ids that are (or will be) public; others are absent."""
    ids = list(ids)
    out: dict[int, IndexDocument] = {}
    for start in range(0, len(ids), 500):
        for article in indexable().filter(pk__in=ids[start:start + 500]):
            out[article.pk] = to_document(article)
    return out


def all_documents(chunk: int = 1000) -> Iterator[IndexDocument]:
    """Every indexable article, in id order, a chunk of queries at a time."""
    last = 0
    while True:
        rows = list(indexable().filter(pk__gt=last).order_by("pk")[:chunk])
        if not rows:
            return
        for article in rows:
            yield to_document(article)
        last = rows[-1].pk
