"""Articles -> ``IndexDocument``s: what of an article the index holds.

The bulk paths (``documents_for``, ``all_documents``) read plain rows with
``values_list`` (section names by SQL join) and attach tags and bylines
from one query each per chunk: building model instances and prefetch caches
cost about half of indexing time.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime
from operator import itemgetter

from django.db.models import Max, Min, Prefetch, QuerySet
from django.utils import timezone

from newsroom.articles.models import Article, Byline

from .backends.base import IndexDocument

_BLOCK_END = re.compile(r"</(?:p|blockquote|li|h\d|pre|figure|figcaption)>|<br\s*/?>")
_TAG = re.compile(r"<[^>]+>")
_COLUMNS = (
    "pk",
    "headline",
    "standfirst",
    "body_html",
    "slug",
    "published_at",
    "section__slug",
    "section__name",
)
_CHUNK = 500  # ids per query: under SQLite's and PostgreSQL's parameter limits


def indexable(now: datetime | None = None) -> QuerySet:
    """What the index holds: articles public ``now``. A scheduled article is
    indexed when it comes due (``Indexer`` wakes at the next due time), so
    suggestions, spelling, facets and counts never see embargoed words."""
    return (
        Article.objects.published(now=now)
        .select_related("section")
        .prefetch_related(
            "tags",
            Prefetch(
                "byline_set",
                queryset=Byline.objects.select_related("author").order_by(
                    "position", "id"
                ),
            ),
        )
    )


def plain_text(body_html: str) -> str:
    """The sanitised HTML body as text, one line per block."""
    text = _BLOCK_END.sub("\n", body_html or "")
    if "<" in text:
        text = _TAG.sub("", text)
    return html.unescape(text).strip() if "&" in text else text.strip()


def to_document(article: Article) -> IndexDocument:
    """One article (with section, tags and bylines loaded) as a document."""
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


def _by_article(rows: Iterable[tuple[int, str, str]]) -> dict[int, list]:
    out: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for article_id, slug, name in rows:
        out[article_id].append((slug, name))
    return out


def _names(**where) -> tuple[dict[int, list], dict[int, list]]:
    """(tags, bylines) of the articles ``where`` picks (by ``article_id``),
    each article's in page order. Names come through SQL joins, not a
    process-wide cache, so a renamed tag is indexed with its new name by the
    very next batch."""
    tags = _by_article(
        Article.tags.through.objects.filter(**where)
        .order_by("article_id", "tag__name", "tag_id")
        .values_list("article_id", "tag__slug", "tag__name")
    )
    authors = _by_article(
        Byline.objects.filter(**where)
        .order_by("article_id", "position", "id")
        .values_list("article_id", "author__slug", "author__name")
    )
    return tags, authors


def _documents(
    rows: list[tuple], names: tuple[dict, dict] | None = None
) -> list[IndexDocument]:
    """Rows of ``_COLUMNS`` -> documents, with ``names`` (``_names``) or,
    without, the tags and bylines of these rows' ids."""
    if not rows:
        return []
    tags, authors = names or _names(article_id__in=[r[0] for r in rows])
    return [
        IndexDocument(
            id=pk,
            headline=headline,
            standfirst=standfirst,
            body=plain_text(body_html),
            slug=slug,
            published_at=published_at,
            section=(section_slug, section_name),
            tags=tuple(tags.get(pk, ())),
            authors=tuple(authors.get(pk, ())),
        )
        for (
            pk,
            headline,
            standfirst,
            body_html,
            slug,
            published_at,
            section_slug,
            section_name,
        ) in rows
    ]


def _public(now: datetime | None) -> QuerySet:
    return Article.objects.published(now=now or timezone.now())


def next_due(after: datetime, among: Iterable[int] | None = None) -> datetime | None:
    """The earliest release time after ``after`` of an article that is
    published or scheduled (of those ids, if given; None: nothing waits)."""
    waiting = Article.objects.filter(
        status__in=[Article.Status.PUBLISHED, Article.Status.SCHEDULED],
        published_at__gt=after,
    )
    if among is not None:
        ids = sorted(set(among))
        if len(ids) <= _CHUNK:  # a mass withdrawal: ask without the list
            waiting = waiting.filter(pk__in=ids)
    return waiting.aggregate(m=Min("published_at"))["m"]


def came_due(since: datetime, now: datetime) -> list[int]:
    """Ids of the articles whose release time passed in ``(since, now]``."""
    return list(
        Article.objects.published(now=now)
        .filter(published_at__gt=since)
        .values_list("pk", flat=True)
    )


def documents_for(
    ids: Iterable[int], now: datetime | None = None
) -> dict[int, IndexDocument]:
    """Documents for those ids that are public ``now``; others are absent."""
    ids = sorted(set(ids))
    out: dict[int, IndexDocument] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        # The pk bounds are redundant but let SQLite walk the ids' range
        # instead of every public article's index entry (without them a
        # batch cost grew with the archive: ~17 ms at 100k, ~170 at 1M).
        rows = list(
            _public(now)
            .filter(pk__in=chunk, pk__gte=chunk[0], pk__lte=chunk[-1])
            .order_by()
            .values_list(*_COLUMNS)
        )
        out.update((d.id, d) for d in _documents(rows))
    return out


def all_documents(
    chunk: int = 2000, now: datetime | None = None
) -> Iterator[IndexDocument]:
    """Every article public ``now``, in id order, ``chunk`` ids at a time.

    Windows of ids (``pk`` between two bounds), not ``pk > last LIMIT n``:
    SQLite then reads the window alone, where the LIMIT form walked and
    sorted every public article again for each chunk.
    """
    now = now or timezone.now()
    high = Article.objects.aggregate(m=Max("pk"))["m"] or 0
    last = 0
    while last < high:
        # Sorted here, not by SQL: SQLite reads the window through the status
        # index and sorted it in a temporary b-tree, ~2 us an article. The
        # window's tags and bylines by range, not by a list of 2,000 ids
        # (Django prepares each id of a list: ~5 us an article).
        rows = list(
            _public(now)
            .filter(pk__gt=last, pk__lte=last + chunk)
            .order_by()
            .values_list(*_COLUMNS)
        )
        rows.sort(key=itemgetter(0))
        if rows:
            window = {"article_id__gt": last, "article_id__lte": last + chunk}
            yield from _documents(rows, _names(**window))
        last += chunk
