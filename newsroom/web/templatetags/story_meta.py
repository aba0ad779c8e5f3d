"""Article head and tail: JSON-LD, social cards, related and most-read lists."""

from __future__ import annotations

import hashlib

from django import template
from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils.safestring import SafeString, mark_safe

from newsroom.articles.models import Article, Section
from newsroom.core.links import absolute_url
from newsroom.media.describe import alt_text, image_version, social_image
from newsroom.search.related import related_articles as _related
from newsroom.shares.popular import most_lists as _most_lists

from ..jsonld import news_article, to_script

register = template.Library()


@register.simple_tag
def article_jsonld(article: Article, notes=(), tags=()) -> SafeString:
    data = news_article(article, notes)
    names = [t.name for t in tags]
    if names:
        data["keywords"] = names
    return to_script(data)


@register.inclusion_tag("web/_social_meta.html")
def social_meta(article: Article, tags=()) -> dict:
    image = article.lead_image if article.lead_image_id else None
    return {
        "image": social_image(image) if image else None,
        "image_alt": alt_text(image) if image else "",
        "article": article,
        "tags": tags,
        "url": absolute_url(article.get_absolute_url()),
        "SITE_NAME": settings.SITE_NAME,
    }


@register.simple_tag
def article_head(article: Article, notes=(), tags=()) -> SafeString:
    """Social cards and JSON-LD for an article page, cached per content.

    The cache key is a digest of everything the markup shows (the article's
    update time, section, authors, notes, tags, the site settings and the
    script prefix its address carries), so an edit or a new correction
    yields a new key instead of a stale head.
    """
    notes, tags = list(notes), list(tags)
    parts = [
        article.pk,
        article.updated_at.isoformat() if article.updated_at else "",
        settings.SITE_URL,
        get_script_prefix(),  # in the article's address the head names
        settings.SITE_NAME,
        article.section.name,
        image_version(article.lead_image) if article.lead_image_id else "",
        *(f"a{a.pk}:{a.name}" for a in article.byline()),
        *(f"n{n.pk}:{n.noted_at.isoformat()}:{n.kind}:{n.text}" for n in notes),
        *(f"t{t.pk}:{t.name}" for t in tags),
    ]
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=12)
    key = f"shares:head:{article.pk}:{digest.hexdigest()}"
    html = cache.get(key)
    if html is None:
        html = render_to_string(
            "web/_social_meta.html", social_meta(article, tags)
        ) + article_jsonld(article, notes, tags)
        cache.set(key, html, settings.NEWSROOM_RELATED_CACHE_SECONDS)
    return mark_safe(html)  # noqa: S308 - rendered by our templates above


@register.inclusion_tag("web/_related.html")
def related_articles(article: Article, limit: int = 4) -> dict:
    return {"related": _related(article, limit)}


@register.inclusion_tag("shares/_most.html")
def most_lists(section: Section | None = None, limit: int = 5) -> dict:
    return {"lists": _most_lists(section, limit), "section": section}
