"""Values every page template needs: the site name and the section menu."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.urls import get_script_prefix
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from newsroom.articles.models import Section
from newsroom.core import versions

from .links import section_url

MENU_CACHE_KEY = "web:menu-sections"


def menu_sections() -> list[Section]:
    # Keyed by the content version: a deleted or renamed section leaves the
    # menu at once, not after the minute.
    key = f"{MENU_CACHE_KEY}:{versions.current()}"
    sections = cache.get(key)
    if sections is None:
        # Sections with a published article (an empty one's page is a 404).
        sections = list(Section.objects.public().only("name", "slug", "position"))
        cache.set(key, sections, 60)
    return sections


def menu_html() -> SafeString:
    """The menu's ``<li>`` items, built once a minute instead of per page."""
    key = f"{MENU_CACHE_KEY}:html:{versions.current()}:{get_script_prefix()}"
    html = cache.get(key)
    if html is None:
        html = format_html_join(
            "",
            '<li><a href="{}">{}</a></li>',
            ((section_url(s), s.name) for s in menu_sections()),
        )
        cache.set(key, html, 60)
    return html


def site(request) -> dict:
    return {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": settings.SITE_URL,
        "menu_sections": menu_sections(),
        "menu_html": menu_html(),
    }
