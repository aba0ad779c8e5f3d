"""Reader-page URLs without a ``reverse()`` per link.

A list page links every card to its article and section (three links a card,
sixty on a section page); ``reverse()`` costs tens of microseconds each. The
URL patterns are ``<prefix><slug>/``, so the prefix is reversed once per
script prefix and route and a plain slug is appended. Anything that is not a
plain ASCII slug goes through ``reverse()`` as before, so the result is always
what ``get_absolute_url()`` returns.
"""

from __future__ import annotations

import re

from django.urls import get_script_prefix, reverse

_PLAIN = re.compile(r"[-a-zA-Z0-9_]+")
_PROBE = "slug-probe"
_prefixes: dict[tuple[str, str], str] = {}


def slug_url(route: str, slug: str) -> str:
    """``reverse(route, args=[slug])``, for the web app's ``<slug>/`` routes."""
    if not _PLAIN.fullmatch(slug):
        return reverse(route, args=[slug])
    key = (get_script_prefix(), route)
    prefix = _prefixes.get(key)
    if prefix is None:
        probe = reverse(route, args=[_PROBE])
        prefix = probe[: -len(_PROBE) - 1]
        _prefixes[key] = prefix
    return f"{prefix}{slug}/"


def article_url(article) -> str:
    return slug_url("web:article", article.slug)


def section_url(section) -> str:
    return slug_url("web:section", section.slug)
