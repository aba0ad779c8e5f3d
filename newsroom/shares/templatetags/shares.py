"""Template tags for share buttons, share counts in lists and read counting."""

from __future__ import annotations

from django import template

from newsroom.articles.models import Article

from ..counters import share_counts as _share_counts
from ..counters import share_totals
from ..networks import ORDER, public_url
from ..reads import record_read as _record_read

register = template.Library()

_TOTALS_ATTR = "_newsroom_share_totals"


@register.simple_tag
def share_buttons(article: Article) -> list[dict]:
    """One entry per network, in button order, with its count."""
    from ..models import Network

    counts = _share_counts(article.pk)
    labels = dict(Network.choices)
    return [
        {"network": n, "label": labels[n], "count": counts.get(n, 0)} for n in ORDER
    ]


@register.simple_tag
def share_url(article: Article) -> str:
    return public_url(article)


def _collect(value, found: set[int], depth: int = 0) -> None:
    if isinstance(value, Article):
        found.add(value.pk)
    elif depth < 3 and isinstance(value, list | tuple):
        for item in value:
            _collect(item, found, depth + 1)
    elif depth < 3 and isinstance(getattr(value, "items", None), list):
        _collect(value.items, found, depth + 1)  # a listing Page


@register.simple_tag(takes_context=True)
def share_total(context, article: Article) -> int:
    """Total shares of ``article``; the first call loads a whole page's worth.

    List views hand the template lists of articles; rather than a query per
    card, the first card gathers every article in the context and fetches
    all their totals in one query, kept on the request for the other cards.
    """
    holder = context.get("request")
    totals = getattr(holder, _TOTALS_ATTR, None) if holder is not None else None
    if totals is None or article.pk not in totals:
        found: set[int] = {article.pk}
        for value in context.flatten().values():
            _collect(value, found)
        fetched = share_totals(found)
        totals = {**(totals or {}), **fetched}
        if holder is not None:
            setattr(holder, _TOTALS_ATTR, totals)
    return totals.get(article.pk, 0)


@register.simple_tag(takes_context=True)
def record_read(context, article: Article) -> str:
    """Count this page view (buffered; see newsroom.shares.reads)."""
    if not context.get("preview"):
        _record_read(context.get("request"), article.pk)
    return ""
