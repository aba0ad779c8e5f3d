"""Template tags for share buttons, share counts in lists and read counting."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.core.cache import cache
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from newsroom.articles.models import Article

from ..counters import bar_cache_key
from ..counters import share_counts as _share_counts
from ..networks import ORDER, public_url
from ..reads import record_read as _record_read

register = template.Library()


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


_CSRF_SLOT = "<!--csrf-slot-->"


@register.simple_tag(takes_context=True)
def share_bar(context, article: Article) -> SafeString:
    """The share bar, rendered once per article and count change, then cached.

    It is on every article page, so its HTML (seven small forms, counts) is
    kept for NEWSROOM_SHARES_CACHE_SECONDS (a counted share clears it); only
    the forms' CSRF fields are filled in per request.
    """
    key = bar_cache_key(article.pk)
    html = cache.get(key)
    if html is None:
        html = render_to_string(
            "shares/_bar.html",
            {
                "article": article,
                "buttons": share_buttons(article),
                "url": public_url(article),
                "copy_action": reverse("shares:copy", args=[article.pk]),
                "share_base": reverse("shares:share", args=["x", article.pk]).replace(
                    "/x/", "/{}/", 1
                ),
                "csrf_slot": mark_safe(_CSRF_SLOT),  # noqa: S308 - a constant
            },
        )
        cache.set(key, html, settings.NEWSROOM_SHARES_CACHE_SECONDS)
    # The page's own CSRF value: the request's token, or the marker a page
    # kept for several visitors fills per visitor (newsroom/core/slots.py).
    token = context.get("csrf_token")
    if token is None:
        request = context.get("request")
        token = get_token(request) if request is not None else ""
    field = format_html(
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token
    )
    return mark_safe(html.replace(_CSRF_SLOT, field))  # noqa: S308 - every form


@register.filter
def share_href(base: str, network: str) -> str:
    return base.format(network)


@register.simple_tag(takes_context=True)
def record_read(context, article: Article) -> str:
    """Count this page view (buffered; see newsroom.shares.reads)."""
    if not context.get("preview"):
        _record_read(context.get("request"), article.pk)
    return ""
