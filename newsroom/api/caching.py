"""Validators and cache headers: ETag, Last-Modified, 304, Cache-Control.

The ETag is a hash of the exact JSON bytes, so it changes whenever anything a
client could see changes, on every route alike. No route sets Last-Modified
today: each answer shows more than one row's date covers (counts, names), and
a date that misses a change would earn a client a wrong 304. A route whose
answer one date does cover may set the header; ``finish`` honours it.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import parse_http_date_safe

CACHEABLE_METHODS = ("GET", "HEAD")


def set_max_age(response: HttpResponse, seconds: int) -> None:
    """Let a route ask for a shorter (or longer) life than the default."""
    response["Cache-Control"] = f"public, max-age={max(0, int(seconds))}"


def finish(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Add validators and cache headers to a successful answer; 304 if fresh."""
    if request.method not in CACHEABLE_METHODS or response.status_code != 200:
        response.setdefault("Cache-Control", "no-store")
        return response
    etag = '"' + hashlib.blake2b(response.content, digest_size=16).hexdigest() + '"'
    response["ETag"] = etag
    if "Cache-Control" not in response:
        set_max_age(response, settings.NEWSROOM_API_CACHE_SECONDS)
    last_modified = None
    if response.has_header("Last-Modified"):
        last_modified = parse_http_date_safe(response["Last-Modified"])
    # Django's own implementation of RFC 9110's precedence rules: a matching
    # If-None-Match wins, If-Modified-Since only counts without it.
    return get_conditional_response(
        request, etag=etag, last_modified=last_modified, response=response
    )
