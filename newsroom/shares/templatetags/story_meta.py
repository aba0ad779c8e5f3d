"""Article head and tail: JSON-LD, social cards, related and most-read lists."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.utils.safestring import SafeString

from newsroom.articles.jsonld import news_article, to_script
from newsroom.articles.models import Article, Section

from ..popular import most_lists as _most_lists
from ..related import related_articles as _related

register = template.Library()


@register.simple_tag
def article_jsonld(article: Article, notes=(), tags=()) -> SafeString:
    data = news_article(article, notes)
    names = [t.name for t in tags]
    if names:
        data["keywords"] = names
    return to_script(data)


@register.inclusion_tag("shares/_social_meta.html")
def social_meta(article: Article, tags=()) -> dict:
    base = settings.SITE_URL.rstrip("/")
    return {
        "article": article,
        "tags": tags,
        "url": base + article.get_absolute_url(),
        "SITE_NAME": settings.SITE_NAME,
    }


@register.inclusion_tag("shares/_related.html")
def related_articles(article: Article, limit: int = 4) -> dict:
    return {"related": _related(article, limit)}


@register.inclusion_tag("shares/_most.html")
def most_lists(section: Section | None = None, limit: int = 5) -> dict:
    return {"lists": _most_lists(section, limit), "section": section}
