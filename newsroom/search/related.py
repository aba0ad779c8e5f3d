"""Related articles: the search engine's more-like-this, else shared tags.

The search backend is used when it says it can (``supports_more_like_this``)
and answers; any failure there falls back to the tag overlap, which needs
nothing but the database. The result is cached per article for
NEWSROOM_RELATED_CACHE_SECONDS as plain dicts (no model pickles).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count
from django.urls import get_script_prefix

from newsroom.articles.models import Article
from newsroom.core import versions

from .backends import get_backend

log = logging.getLogger(__name__)


def _search_backend():
    try:
        return get_backend()
    except Exception:  # noqa: BLE001 - a broken index must not break pages
        log.warning("search backend unavailable", exc_info=True)
        return None


def _hit_id(hit) -> int | None:
    if isinstance(hit, int):
        return hit
    if isinstance(hit, dict):
        value = hit.get("article_id", hit.get("id", hit.get("pk")))
    else:
        value = getattr(hit, "article_id", None) or getattr(hit, "pk", None)
        value = value or getattr(hit, "id", None)
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def by_search(article: Article, limit: int) -> list[int] | None:
    """Ids from the engine's more-like-this, or None when it cannot say."""
    backend = _search_backend()
    if backend is None or not getattr(backend, "supports_more_like_this", False):
        return None
    try:
        hits = backend.more_like_this(article.pk, limit + 1)
    except Exception:  # noqa: BLE001 - fall back on tags rather than fail
        log.warning("more_like_this failed for article %s", article.pk, exc_info=True)
        return None
    ids = [i for i in map(_hit_id, hits) if i is not None and i != article.pk]
    return ids[:limit]


def by_tags(article: Article, limit: int) -> list[int]:
    """Public articles sharing the most tags, newest first among equals.

    Articles with no tag in common are not related, except that an untagged
    article gets the latest stories of its own section.
    """
    public = Article.objects.published().exclude(pk=article.pk)
    tag_ids = list(article.tags.values_list("pk", flat=True))
    if tag_ids:
        rows = (
            public.filter(tags__in=tag_ids)
            .values("pk")
            .annotate(shared=Count("tags"))
            .order_by("-shared", "-published_at", "-pk")[:limit]
        )
        return [r["pk"] for r in rows]
    return list(
        public.filter(section_id=article.section_id).values_list("pk", flat=True)[
            :limit
        ]
    )


def related_articles(article: Article, limit: int = 4) -> list[dict]:
    """Up to ``limit`` related public articles as dicts for the template."""
    # Keyed by the content version: a withdrawn story leaves every list at
    # once; and by the script prefix its links carry.
    key = (
        f"search:related:{article.pk}:{limit}:{versions.current()}:"
        f"{get_script_prefix()}"
    )
    items = cache.get(key)
    if items is not None:
        return items
    ids = by_search(article, limit)
    if not ids:
        ids = by_tags(article, limit)
    rows = {
        a.pk: a
        for a in Article.objects.published()
        .filter(pk__in=ids)
        .select_related("section")
        .only(
            "id", "slug", "headline", "published_at", "section__name", "section__slug"
        )
    }
    items = [
        {
            "id": pk,
            "headline": rows[pk].headline,
            "url": rows[pk].get_absolute_url(),
            "section": rows[pk].section.name,
            "published_at": rows[pk].published_at,
        }
        for pk in ids
        if pk in rows
    ]
    cache.set(key, items, settings.NEWSROOM_RELATED_CACHE_SECONDS)
    return items
