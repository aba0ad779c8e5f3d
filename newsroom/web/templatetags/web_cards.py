"""``{% cards items %}``: a list of story cards (see newsroom/web/cards.py)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from newsroom.shares.counters import share_totals

from .. import cards as _cards

register = template.Library()


@register.simple_tag(takes_context=True)
def cards(
    context, items, big: bool = False, compact: bool = False, level: int = 0
) -> SafeString:
    """Cards for ``items``; share totals come from the view's ``share_totals``
    (one query for the whole page), or are fetched for these items."""
    items = list(items)
    totals = context.get("share_totals")
    if totals is None or any(a.pk not in totals for a in items):
        totals = share_totals(a.pk for a in items)
    return _cards.cards(items, totals, big=big, compact=compact, level=level)
