"""The results page's frame, rendered once and kept per process (issue 16).

Everything around the page's content (``base.html``: head, masthead, menu,
footer) is the same on every results page but for the query, which is in
the title and the search box. Through Django's template engine, with the
context processors, it cost ~0.85 ms a page at 1,000,000 articles (of ~7
for a search of two or three words: docs/search.md). Here the template is
rendered once with markers where the query and the content go, split at
them, and each page joins the pieces with its own escaped query and
content: what the template would give, byte for byte
(``tests/test_frame.py`` compares them, hostile queries included).

A kept frame is used only for a reader without a session or a message
cookie (an editor signed in gets the template's own render) and is keyed
by what the frame shows besides the query: whether there is a query (the
title changes), the content version and the script prefix (the section
menu), the language and the day (the masthead's date). An entry lasts
``FRAME_SECONDS``, as the menu's own cache does.
"""

from __future__ import annotations

import re
import threading
import time

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import get_script_prefix
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from newsroom.core import versions
from newsroom.core.html import escape

TEMPLATE = "search/results.html"
FRAME_SECONDS = 60.0
MAX_FRAMES = 16  # a handful of keys a day; past this the dict starts again
# Markers no template writes and escaping leaves as they are.
QUERY, CONTENT = "\x00newsroom:query\x00", "\x00newsroom:content\x00"
_SPLIT = re.compile(f"({re.escape(QUERY)}|{re.escape(CONTENT)})")

_frames: dict[tuple, tuple[float, tuple[str, ...]]] = {}
_lock = threading.Lock()


def shared(request: HttpRequest) -> bool:
    """Whether this request may get a kept frame: a reader with no session
    and no queued messages (whose page the template renders alike)."""
    cookies = request.COOKIES
    return (
        settings.SESSION_COOKIE_NAME not in cookies
        and CookieStorage.cookie_name not in cookies
    )


def _pieces(request: HttpRequest, has_query: bool) -> tuple[str, ...]:
    page = render(
        request,
        TEMPLATE,
        {"query": QUERY if has_query else "", "content_html": mark_safe(CONTENT)},
    ).content.decode()
    return tuple(_SPLIT.split(page))


def results_page(request: HttpRequest, query: str, content: SafeString) -> HttpResponse:
    """The results page: ``content`` (built by ``page.content_html``) in the
    site's frame, with ``query`` in the title and the search box."""
    if not shared(request):
        return render(request, TEMPLATE, {"query": query, "content_html": content})
    key = (
        bool(query),
        versions.current(),
        get_script_prefix(),
        get_language(),
        timezone.localdate(),
    )
    now = time.monotonic()
    kept = _frames.get(key)
    if kept is None or kept[0] <= now:
        kept = (now + FRAME_SECONDS, _pieces(request, bool(query)))
        if timezone.localdate() == key[-1]:  # not across midnight: keep it
            with _lock:
                if len(_frames) >= MAX_FRAMES:
                    _frames.clear()
                _frames[key] = kept
    q = escape(query)
    body = "".join(
        q if piece == QUERY else content if piece == CONTENT else piece
        for piece in kept[1]
    )
    return HttpResponse(body)


def clear() -> None:
    with _lock:
        _frames.clear()


@receiver(setting_changed)
def _setting_changed(**kwargs) -> None:
    """A changed setting (the site's name, the static files' storage: tests)
    may change the frame."""
    clear()
