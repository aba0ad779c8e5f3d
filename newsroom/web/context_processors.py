"""Values every page template needs: the site name and the section menu."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache

from newsroom.articles.models import Section

MENU_CACHE_KEY = "web:menu-sections"


def menu_sections() -> list[Section]:
    sections = cache.get(MENU_CACHE_KEY)
    if sections is None:
        sections = list(Section.objects.only("name", "slug", "position"))
        cache.set(MENU_CACHE_KEY, sections, 60)
    return sections


def site(request) -> dict:
    return {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": settings.SITE_URL,
        "menu_sections": menu_sections(),
    }
