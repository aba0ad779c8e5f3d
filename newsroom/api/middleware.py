"""What happens around every /api/ request: CORS, and JSON for every error.

Django answers an unknown URL, a wrong method or a crash with an HTML page;
an API client must get the API's JSON error shape instead, so this middleware
rewrites such answers for paths under ``/api/``. It also answers CORS
preflight requests itself, before any view (no view knows OPTIONS).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

from .errors import json_error, logged_path, refused

logger = logging.getLogger(__name__)

PREFIX = "/api/"
ALLOWED_METHODS = "GET, HEAD, POST, OPTIONS"
ALLOWED_HEADERS = ("content-type", "if-none-match", "if-modified-since", "accept")
EXPOSED_HEADERS = "ETag, Last-Modified, Retry-After, Link"
PREFLIGHT_MAX_AGE = "600"


def served(route_allow: str) -> str:
    """The methods a route answers, from the ``Allow`` of the route's own
    405: this middleware adds HEAD to every GET route and OPTIONS to all."""
    methods = {m.strip().upper() for m in route_allow.split(",") if m.strip()}
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods | {"OPTIONS"}))


def allowed_origin(origin: str) -> str | None:
    """The value for Access-Control-Allow-Origin, or None when not allowed."""
    origins = settings.NEWSROOM_API_CORS_ORIGINS
    if not origin:
        return None
    if "*" in origins:
        return "*"
    return origin if origin in origins else None


class ApiMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(PREFIX):
            return self.get_response(request)
        origin = request.headers.get("Origin", "")
        if request.method == "OPTIONS":
            response = self.preflight(request, origin)
        elif request.method == "HEAD":
            response = self.head(request)
        else:
            response = self.as_json(request, self.get_response(request))
        self.add_cors(response, origin)
        return response

    def head(self, request: HttpRequest) -> HttpResponse:
        """HEAD is the GET's answer without its body (same status, headers,
        ETag and Content-Length), as HTTP asks; the routes only know GET."""
        request.method = "GET"
        request.META["REQUEST_METHOD"] = "GET"
        try:
            inner = self.get_response(request)
        finally:
            request.method = request.META["REQUEST_METHOD"] = "HEAD"
        response = self.as_json(request, inner)
        if not response.streaming:
            response["Content-Length"] = str(len(response.content))
            response.content = b""
        return response

    def preflight(self, request: HttpRequest, origin: str) -> HttpResponse:
        # The route itself knows its methods: ninja answers a method it does
        # not serve (OPTIONS, here) with 405 and an exact Allow header.
        inner = self.get_response(request)
        if inner.status_code == 404:
            return self.as_json(request, inner)
        methods = ALLOWED_METHODS
        if inner.status_code == 405 and inner.get("Allow"):
            methods = served(inner["Allow"])
        response = HttpResponse(status=204)
        response["Allow"] = methods
        if allowed_origin(origin) and request.headers.get(
            "Access-Control-Request-Method"
        ):
            response["Access-Control-Allow-Methods"] = methods
            asked = request.headers.get("Access-Control-Request-Headers", "")
            wanted = [h.strip().lower() for h in asked.split(",") if h.strip()]
            granted = [h for h in wanted if h in ALLOWED_HEADERS]
            response["Access-Control-Allow-Headers"] = ", ".join(
                granted or ALLOWED_HEADERS
            )
            response["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
        return response

    def add_cors(self, response: HttpResponse, origin: str) -> None:
        origins = settings.NEWSROOM_API_CORS_ORIGINS
        if origins and "*" not in origins:
            # The answer depends on Origin: caches must keep one per origin.
            patch_vary_headers(response, ("Origin",))
        # With "*" one answer serves every request, with an Origin or not: a
        # public answer a cache kept from a request without one must still
        # let a page elsewhere read it.
        value = "*" if "*" in origins else allowed_origin(origin)
        if value:
            response["Access-Control-Allow-Origin"] = value
            response["Access-Control-Expose-Headers"] = EXPOSED_HEADERS

    def as_json(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if response.status_code < 400:
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        status = response.status_code
        if status == 404:
            return json_error(404, f"No API route at {request.path}.", "not_found")
        if status == 405:
            allow = served(response.get("Allow", ""))
            out = json_error(
                405,
                f"{request.method} is not allowed here (allowed: {allow}).",
                "method_not_allowed",
            )
            out["Allow"] = allow
            return out
        if status == 403:
            return json_error(403, "Forbidden.", "forbidden")
        if status == 400:
            return json_error(400, "Bad request.", "bad_request")
        if status == 413:
            return json_error(413, "Request too large.", "too_large")
        return json_error(status, "Server error." if status >= 500 else "Error.")

    def process_exception(self, request: HttpRequest, exc: Exception):
        if not request.path.startswith(PREFIX):
            return None
        if isinstance(exc, SuspiciousOperation):  # read before a route's own
            status, code, message = refused(request, exc)
            return json_error(status, message, code)
        logger.exception("API error on %s %s", request.method, logged_path(request))
        return json_error(500, "Server error.", "server_error")
