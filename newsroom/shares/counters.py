"""Counting shares: idempotent per visitor-day, atomic under concurrency.

This module is the public API of the share counters (the JSON API uses it):

- ``record_share(request, article, network)`` counts one share when it is the
  first from this visitor for this article, network and day, and the client's
  network has not yet added NEWSROOM_SHARES_PER_NETWORK_DAY shares to this
  article today;
- ``share_counts(article_id)`` -> ``{network: count}`` with every network;
- ``share_totals(article_ids)`` -> ``{article_id: total}`` in one query.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.http import HttpRequest
from django.urls import get_script_prefix
from django.utils import timezone

from newsroom import net
from newsroom.articles.models import Article
from newsroom.core.limits import hit

from .models import Network, ShareCount, ShareVisit


def _cache_key(article_id: int) -> str:
    return f"shares:counts:{article_id}"


def bar_cache_key(article_id: int) -> str:
    """The share bar's key under this request's script prefix, which its
    links carry (a share counted under another prefix, if a site has two,
    shows there once its copy's NEWSROOM_SHARES_CACHE_SECONDS are over)."""
    return f"shares:bar:{article_id}:{get_script_prefix()}"


DAY = 86400


class _OverCap(Exception):
    """The client's network has added its daily share of this article's count."""


def record_share(request: HttpRequest, article: Article, network: str) -> bool:
    """Count a share unless this visitor already shared it there today.

    Returns True when the share was counted. The visit row's unique key is
    the guard: of two racing requests from one visitor exactly one inserts
    it, and only that one increments the counter (with F(), in the database,
    so concurrent increments never overwrite each other). A new visitor is
    then weighed against its network's daily cap for the article (all share
    networks together, whatever user agents it sends); past the cap the visit
    is rolled back and nothing counts.
    """
    if network not in Network.values:
        raise ValueError(f"unknown network {network!r}")
    if net.is_bot(request.META.get("HTTP_USER_AGENT", "")):
        return False
    now = timezone.now()
    key = net.visitor_key(request, timezone.localdate(now), article.pk, network)
    try:
        with transaction.atomic():
            ShareVisit.objects.create(
                key=key, article_id=article.pk, network=network, created_at=now
            )
            cap = settings.NEWSROOM_SHARES_PER_NETWORK_DAY
            scope = f"shares-day:{article.pk}"
            if (
                cap > 0
                and not hit(
                    scope, net.client_network(request), cap, DAY, rolling=True
                ).allowed
            ):
                raise _OverCap
            ShareCount.objects.bulk_create(
                [ShareCount(article_id=article.pk, network=network, count=0)],
                ignore_conflicts=True,
            )
            ShareCount.objects.filter(article_id=article.pk, network=network).update(
                count=F("count") + 1
            )
    except IntegrityError:
        # The visit row exists already: this visitor was counted today.
        return False
    except _OverCap:
        return False
    cache.delete_many([_cache_key(article.pk), bar_cache_key(article.pk)])
    return True


def share_counts(article_id: int) -> dict[str, int]:
    """Every network's count for one article, zeros included (cached briefly).

    The cache is per process; another process's new share shows here within
    NEWSROOM_SHARES_CACHE_SECONDS.
    """
    key = _cache_key(article_id)
    counts = cache.get(key)
    if counts is None:
        counts = dict.fromkeys(Network.values, 0)
        rows = ShareCount.objects.filter(article_id=article_id).values_list(
            "network", "count"
        )
        counts.update(rows)
        cache.set(key, counts, settings.NEWSROOM_SHARES_CACHE_SECONDS)
    return counts


def share_totals(article_ids: Iterable[int]) -> dict[int, int]:
    """Total shares per article for a list of articles, in one query."""
    ids = list({int(pk) for pk in article_ids})
    if not ids:
        return {}
    totals = dict.fromkeys(ids, 0)
    rows = (
        ShareCount.objects.filter(article_id__in=ids)
        .values("article_id")
        .annotate(total=Sum("count"))
        .values_list("article_id", "total")
    )
    totals.update(rows)
    return totals
