"""schema.org ``NewsArticle`` for an article page, as safe inline JSON-LD.

Corrections and updates are structured data too: each correction note becomes
a ``CorrectionComment`` in ``correction`` (schema.org's property for it), and
update notes are listed the same way with their own text, so a reader's tool
or a search engine sees what changed and when.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.conf import settings
from django.templatetags.static import static
from django.utils.safestring import SafeString, mark_safe

from newsroom.articles.models import Article, ArticleNote
from newsroom.core.links import absolute_url
from newsroom.media.describe import jsonld_images

# The characters json_script escapes so JSON cannot end the <script> element
# or open a comment in it (</script>, <!--), whatever the headline says.
_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def _iso(when) -> str | None:
    return when.isoformat() if when else None


def publisher_logo() -> dict:
    """The publisher logo: NEWSROOM_PUBLISHER_LOGO_URL, else the site's own."""
    configured = settings.NEWSROOM_PUBLISHER_LOGO_URL
    if configured:
        return {"@type": "ImageObject", "url": configured}
    return {
        "@type": "ImageObject",
        "url": absolute_url(static("newsroom/logo.png")),
        "width": 600,
        "height": 60,
    }


def news_article(article: Article, notes: Iterable[ArticleNote] = ()) -> dict:
    """The NewsArticle dict (uses ``with_byline()``'s prefetch for authors)."""
    url = article.canonical_url or absolute_url(article.get_absolute_url())
    data: dict = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "url": url,
        "headline": article.headline[:110],
        "datePublished": _iso(article.published_at),
        # A scheduled story edited before it went out was not modified after.
        "dateModified": _iso(
            max(filter(None, [article.updated_at, article.published_at]), default=None)
        ),
        "author": [
            {
                "@type": "Person",
                "name": author.name,
                "url": absolute_url(author.get_absolute_url()),
            }
            for author in article.byline()
        ],
        "publisher": {
            "@type": "NewsMediaOrganization",
            "name": settings.SITE_NAME,
            "url": settings.SITE_URL,
        },
        "articleSection": article.section.name,
        "inLanguage": settings.LANGUAGE_CODE,
        "isAccessibleForFree": True,
    }
    if article.standfirst:
        data["description"] = article.standfirst
    if article.dateline:
        data["locationCreated"] = {"@type": "Place", "name": article.dateline}
    data["publisher"]["logo"] = publisher_logo()
    if article.lead_image_id:
        data["image"] = jsonld_images(article.lead_image)
    corrections = [
        {
            "@type": "CorrectionComment",
            "text": note.text,
            "datePublished": note.noted_at.isoformat(),
            "name": note.get_kind_display(),
        }
        for note in notes
    ]
    if corrections:
        data["correction"] = corrections
    return {k: v for k, v in data.items() if v is not None}


def to_script(data: dict) -> SafeString:
    """``<script type="application/ld+json">`` with json_script's escaping."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return mark_safe(  # noqa: S308 - <, > and & are escaped above
        '<script type="application/ld+json">' + text.translate(_ESCAPES) + "</script>"
    )
