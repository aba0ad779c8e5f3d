"""The anonymous page cache: rendered pages kept briefly, live parts redone per hit.

Off unless NEWSROOM_PAGE_CACHE_SECONDS > 0. Only anonymous reads qualify: GET
or HEAD, no query string, no session or messages cookie (an editor, or a
reader who just posted a comment, always gets a fresh page).

A template marks the parts that must stay live with
``<!--newsroom:live TEMPLATE-->…<!--/newsroom:live-->`` around an include;
on a hit those includes are rendered again for this request (share counters,
read counting, the comment thread and form with a fresh confirmation code),
and every CSRF field elsewhere gets this request's token. The markers never
reach the reader. Callers put what the page shows into the key (an article's
``updated_at`` and comment count), so an edit is seen at once; anything else
(a new story on the home page, a tag renamed) within the TTL.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.html import format_html

LIVE = re.compile(
    r"<!--newsroom:live (?P<name>[\w./-]+)-->(?P<body>.*?)<!--/newsroom:live-->",
    re.S,
)
CSRF_FIELD = re.compile(
    r'<input type="hidden" name="csrfmiddlewaretoken" value="[^"]*">'
)
CSRF_SLOT = "\x00newsroom-csrf\x00"


def seconds() -> int:
    return int(getattr(settings, "NEWSROOM_PAGE_CACHE_SECONDS", 0) or 0)


def cacheable(request: HttpRequest) -> bool:
    """An anonymous read of a page's canonical URL, with the cache switched on."""
    if seconds() <= 0 or request.method not in ("GET", "HEAD") or request.GET:
        return False
    cookies = request.COOKIES
    return not (
        settings.SESSION_COOKIE_NAME in cookies
        or getattr(settings, "MESSAGE_COOKIE_NAME", "messages") in cookies
    )


def strip_marks(html: str) -> str:
    return LIVE.sub(lambda m: m.group("body"), html)


def split(html: str) -> list[str]:
    """[static, template, static, template, …, static], CSRF fields as slots."""
    parts: list[str] = []
    at = 0
    for m in LIVE.finditer(html):
        parts.append(CSRF_FIELD.sub(CSRF_SLOT, html[at:m.start()]))
        parts.append(m.group("name"))
        at = m.end()
    parts.append(CSRF_FIELD.sub(CSRF_SLOT, html[at:]))
    return parts


def assemble(parts: list[str], request: HttpRequest, context: dict) -> str:
    out = []
    field = None
    for n, part in enumerate(parts):
        if n % 2:
            out.append(render_to_string(part, context, request))
            continue
        if CSRF_SLOT in part:
            if field is None:
                field = format_html(
                    '<input type="hidden" name="csrfmiddlewaretoken" value="{}">',
                    get_token(request),
                )
            part = part.replace(CSRF_SLOT, field)
        out.append(part)
    return "".join(out)


def serve(request: HttpRequest, key: str, render, live_context: dict) -> HttpResponse:
    """The cached page under ``key`` rebuilt for this request, or a fresh render.

    ``render()`` returns the page's HTML with its live marks; ``live_context``
    is what the live includes need (the same names the page template used).
    """
    if not cacheable(request):
        return HttpResponse(strip_marks(render()))
    key = f"web:page:{key}"
    parts = cache.get(key)
    if parts is None:
        html = render()
        cache.set(key, split(html), seconds())
        return HttpResponse(strip_marks(html))
    return HttpResponse(assemble(parts, request, live_context))
