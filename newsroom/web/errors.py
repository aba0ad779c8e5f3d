"""The site's error pages: what went wrong, and the way on.

Django's defaults are bare ("Not Found", "Bad Request (400)", "Server Error
(500)", and a CSRF page that ends "More information is available with
DEBUG=True"): a reader following a dead link lost the site and its search.

The 404, 403 and CSRF pages are in the site's frame (its search box and
sections). The 400 and 500 pages stand alone (``error_standalone.html``):
they are rendered without the request's context, so they show even when the
database, or the host the request named, is what failed; so is a 404 for a
missing file, or one the database cannot frame.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.exceptions import (
    DisallowedHost,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.db import DatabaseError
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseNotFound,
    HttpResponseServerError,
)
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme

NO_STORE = "private, no-store"
ASSETS = ("/static/", "/media/")  # a missing file: the standalone 404
log = logging.getLogger(__name__)
# Words of an address that name a kind of page, not what was looked for.
_ROUTE_WORDS = frozenset({"article", "section", "tag", "author", "preview", "s"})
_WORD = re.compile(r"[^\W_]+")
SEARCH_WORDS = 8


def _words(path: str) -> str:
    """The words of a dead link's address, to search for: /article/harbour-
    flood-warning/ -> "harbour flood warning"."""
    words = [w for w in _WORD.findall(path) if w.lower() not in _ROUTE_WORDS]
    return " ".join(words[:SEARCH_WORDS])


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = NO_STORE
    response["X-Robots-Tag"] = "noindex"
    return response


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """In the site's frame; a missing file (``/static/``, ``/media/``: a
    browser's asset, no reader's page) and a database that cannot give the
    frame its sections get the standalone page, without a query."""
    words = _words(request.path)
    context = {"search": "/search/?" + urlencode({"q": words}) if words else ""}
    if not request.path.startswith(ASSETS):
        try:
            page = loader.render_to_string("404.html", context, request)
            return _no_store(HttpResponseNotFound(page))
        except DatabaseError:
            log.warning("404 page without its frame: the database failed")
    context["SITE_NAME"] = settings.SITE_NAME
    page = loader.render_to_string("404_standalone.html", context)
    return _no_store(HttpResponseNotFound(page))


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    page = loader.render_to_string("403.html", {}, request)
    return _no_store(HttpResponseForbidden(page))


def _why(exception: Exception | None) -> str:
    if isinstance(exception, TooManyFilesSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
        return (
            f"The form sent more files than one request may carry: at most "
            f"{limit} files at once. Send them in smaller groups."
        )
    if isinstance(exception, TooManyFieldsSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        return f"The request carried more than {limit:,} fields."
    if isinstance(exception, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return (
            f"The form sent more text than one request may carry "
            f"(at most {limit / 1e6:.1f} MB besides files)."
        )
    return "The request could not be understood."


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    # Without the request's context: a 400 may come from the Host header the
    # context processors would read again.
    page = loader.render_to_string(
        "400.html", {"SITE_NAME": settings.SITE_NAME, "why": _why(exception)}
    )
    return _no_store(HttpResponseBadRequest(page))


def server_error(request: HttpRequest) -> HttpResponse:
    page = loader.render_to_string("500.html", {"SITE_NAME": settings.SITE_NAME})
    return _no_store(HttpResponseServerError(page))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without its security cookie (cleared, blocked, or the
    form came from another site): nothing is done, and the reader is told
    how to send it again, with a way back to the page it came from."""
    back = "/"
    try:
        referer = urlsplit(request.META.get("HTTP_REFERER", ""))
    except ValueError:  # "http://[::1": anyone can send it; home is the way back
        referer = urlsplit("")
    try:
        host = request.get_host()
    except DisallowedHost:  # a refused host: home is the way back
        host = None
    if referer.scheme in ("http", "https") and host and referer.netloc == host:
        back = referer.path or "/"
    # A path that a browser reads as another site's address ("//evil.example/",
    # "/\evil.example/"): the page anyone may send a reader to leads home.
    if not url_has_allowed_host_and_scheme(back, allowed_hosts=None):
        back = "/"
    page = loader.render_to_string("web/csrf_failure.html", {"back": back}, request)
    return _no_store(HttpResponseForbidden(page))
