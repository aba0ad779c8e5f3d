"""Reader pages rendered with markers, filled per request, offered to the front cache.

Every reader page is rendered with markers (newsroom/core/slots.py) where a
visitor's own values go: CSRF fields, the comment form's confirmation code
and fill-time stamp. :func:`respond` fills them for this request; when the
request is an anonymous read of a canonical URL and the page cache is on
(NEWSROOM_PAGE_CACHE_SECONDS > 0), it also hands the unfilled parts to the
front cache (newsroom/web/front.py) through the WSGI environ, which keeps
them for that many seconds and fills them itself for later visitors, without
running Django at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string

from newsroom.core import slots

from .conf import conf

ENVIRON_KEY = "newsroom.front_page"


@dataclass(frozen=True)
class Page:
    """What the front cache keeps: the page split at its markers, and which
    article a view of it counts a read for."""

    parts: list[str]
    read_article: int | None = None


def seconds() -> int:
    return conf.NEWSROOM_PAGE_CACHE_SECONDS


def cacheable(request: HttpRequest) -> bool:
    """An anonymous read of a page's canonical URL, with the cache switched on."""
    if seconds() <= 0 or request.method not in ("GET", "HEAD") or request.GET:
        return False
    cookies = request.COOKIES
    return not (
        settings.SESSION_COOKIE_NAME in cookies or CookieStorage.cookie_name in cookies
    )


def render(
    request: HttpRequest, template: str, context: dict, read_article: int | None = None
) -> HttpResponse:
    """The page for this request, rendered with markers and filled."""
    context = {**context, "page_slots": True, "csrf_token": slots.CSRF}
    parts = slots.split(render_to_string(template, context, request))
    response = HttpResponse(slots.fill(parts, slots.Live(lambda: get_token(request))))
    if cacheable(request):
        request.META[ENVIRON_KEY] = Page(parts, read_article)
    return response
