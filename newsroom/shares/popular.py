"""Most read, most shared and most commented articles over a time window.

The lists are aggregates over bucketed rows (``ReadCount`` per hour,
``ShareVisit`` per counted share, approved comments), computed at most once
per NEWSROOM_MOST_CACHE_SECONDS per process and section, so a page showing
them costs a cache read.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import FieldError
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from newsroom.articles.models import Article, Section
from newsroom.core.registry import rankings

from .models import ReadCount, ShareVisit
from .reads import hour_of

WINDOWS: dict[str, timedelta] = {"24h": timedelta(hours=24), "7d": timedelta(days=7)}
KINDS = ("read", "shared", "commented")


def _since(window: str, now: datetime) -> datetime:
    return now - WINDOWS[window]


def _read_ranking(since: datetime, section_id: int | None) -> QuerySet:
    qs = ReadCount.objects.filter(hour__gte=hour_of(since))
    if section_id:
        qs = qs.filter(article__section_id=section_id)
    return qs.values("article_id").annotate(n=Sum("count"))


def _shared_ranking(since: datetime, section_id: int | None) -> QuerySet:
    qs = ShareVisit.objects.filter(created_at__gte=since)
    if section_id:
        qs = qs.filter(article__section_id=section_id)
    return qs.values("article_id").annotate(n=Count("id"))


def register() -> None:
    """The lists this app ranks itself; "commented" comes from the comments app."""
    rankings.register("read", _read_ranking)
    rankings.register("shared", _shared_ranking)


def most(
    kind: str,
    window: str = "24h",
    section: Section | None = None,
    limit: int = 5,
    now: datetime | None = None,
) -> list[Article]:
    """The top public articles by ``kind`` over ``window``, each with ``.score``."""
    if kind not in KINDS or window not in WINDOWS:
        raise ValueError(f"unknown list {kind!r} / {window!r}")
    rank = rankings.get(kind)
    if rank is None:
        return []  # no app ranks this kind (comments not installed)
    now = now or timezone.now()
    try:
        ranking = rank(_since(window, now), section.pk if section else None)
        # A few spare rows: some top entries may have been unpublished since.
        top = list(ranking.order_by("-n", "-article_id")[: limit * 2])
    except FieldError:
        return []
    scores = {row["article_id"]: row["n"] for row in top if row["n"]}
    found = {
        a.pk: a
        for a in Article.objects.published(now)
        .filter(pk__in=scores)
        .select_related("section")
        .only(
            "id",
            "slug",
            "headline",
            "published_at",
            "section__name",
            "section__slug",
            "comment_count",
        )
    }
    articles = []
    for pk in scores:
        if pk in found:
            found[pk].score = scores[pk]
            articles.append(found[pk])
    return articles[:limit]


def most_lists(section: Section | None = None, limit: int = 5) -> dict:
    """Every list for a page, ``{kind: {window: [articles]}}``, cached."""
    key = f"shares:most:{section.pk if section else 0}:{limit}"
    lists = cache.get(key)
    if lists is None:
        now = timezone.now()
        lists = {
            kind: {w: most(kind, w, section, limit, now) for w in WINDOWS}
            for kind in KINDS
        }
        cache.set(key, lists, settings.NEWSROOM_MOST_CACHE_SECONDS)
    return lists
