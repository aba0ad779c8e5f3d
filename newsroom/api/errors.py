"""One error shape for the whole API, whatever went wrong and wherever.

Every error body is ``{"error": {"code", "message", "details"}}``: clients
branch on ``code`` (stable, snake_case), show ``message`` to people and read
``details`` (a list of objects, e.g. one per invalid field) when they care.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError, Throttled, ValidationError

logger = logging.getLogger(__name__)

# The code each status gets when the raiser did not choose a finer one.
DEFAULT_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    500: "server_error",
}


class ErrorBody(Schema):
    code: str
    message: str
    details: list[dict[str, Any]] = []


class ErrorOut(Schema):
    """What every 4xx and 5xx answer of the API carries."""

    error: ErrorBody


class ApiError(Exception):
    """Raise in a route to answer with ``status`` and the stable error shape."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []
        self.headers = headers or {}


def error_payload(
    status: int,
    message: str,
    code: str | None = None,
    details: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "error": {
            "code": code or DEFAULT_CODES.get(status, "error"),
            "message": message,
            "details": details or [],
        }
    }


def json_error(
    status: int,
    message: str,
    code: str | None = None,
    details: list[dict[str, Any]] | None = None,
) -> HttpResponse:
    """A plain Django response in the API's error shape (for middleware)."""
    body = json.dumps(error_payload(status, message, code, details))
    response = HttpResponse(
        body, status=status, content_type="application/json; charset=utf-8"
    )
    response["Cache-Control"] = "no-store"
    return response


def _validation_details(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    details = []
    for err in errors:
        loc = [str(part) for part in err.get("loc", ())]
        # ninja puts the source first ("query", "path", "body"); keep it apart
        # so "field" is the name the client sent.
        source, field = (loc[0], ".".join(loc[1:])) if loc else ("", "")
        if source == "body" and len(loc) > 2:
            # ("body", "<argument name>", "field"): the argument name is ours,
            # the client only knows the JSON field.
            field = ".".join(loc[2:])
        details.append(
            {
                "in": source,
                "field": field,
                "message": str(err.get("msg", "invalid")),
                "type": str(err.get("type", "invalid")),
            }
        )
    return details


def refused(request: HttpRequest, exc: SuspiciousOperation) -> tuple[int, str, str]:
    """(status, code, message) for input Django refuses to read: a body past
    DATA_UPLOAD_MAX_MEMORY_SIZE, more fields than
    DATA_UPLOAD_MAX_NUMBER_FIELDS, or another suspicious request. The
    client's fault: a 4xx, as on the site's pages, and one line in the
    security log (Django's logger for it), no traceback."""
    if isinstance(exc, RequestDataTooBig):
        status, code, message = 413, "too_large", "The request body is too large."
    elif isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        status, code = 400, "too_many_fields"
        message = "The request has too many fields."
    else:
        status, code, message = 400, "bad_request", "The request was refused."
    logging.getLogger(f"django.security.{type(exc).__name__}").warning(
        "API %s %s: %s", request.method, logged_path(request), exc
    )
    return status, code, message


def logged_path(request: HttpRequest) -> str:
    """The request's path for a log line, escaped as Django's request log
    escapes it: an encoded newline in it would write a second, forged line."""
    return request.path.encode("unicode_escape").decode("ascii")


def install_handlers(api: NinjaAPI) -> None:
    """Replace ninja's default handlers so no answer leaves in another shape."""

    def respond(request: HttpRequest, status: int, payload: dict) -> HttpResponse:
        response = api.create_response(request, payload, status=status)
        response["Cache-Control"] = "no-store"
        return response

    def on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        response = respond(
            request,
            exc.status,
            error_payload(exc.status, exc.message, exc.code, exc.details),
        )
        for name, value in exc.headers.items():
            response[name] = value
        return response

    def on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        details = _validation_details(exc.errors)
        fields = ", ".join(d["field"] or d["in"] for d in details) or "request"
        return respond(
            request,
            422,
            error_payload(422, f"Invalid value for: {fields}.", "invalid", details),
        )

    def on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        # The same rounding as ninja's Retry-After header (up, in seconds).
        wait = max(1, math.ceil(exc.wait or 1))
        return respond(
            request,
            429,
            error_payload(
                429,
                f"Too many requests; retry in {wait} s.",
                "rate_limited",
                [{"retry_after": wait}],
            ),
        )

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return respond(
            request, exc.status_code, error_payload(exc.status_code, str(exc))
        )

    def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, error_payload(404, "Not found."))

    def on_suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        status, code, message = refused(request, exc)
        return respond(request, status, error_payload(status, message, code))

    def on_exception(request: HttpRequest, exc: Exception) -> HttpResponse:
        # A bug, not bad input: log it with its traceback and still answer JSON.
        logger.exception("API error on %s %s", request.method, logged_path(request))
        return respond(request, 500, error_payload(500, "Server error."))

    api.add_exception_handler(ApiError, on_api_error)
    api.add_exception_handler(ValidationError, on_validation)
    api.add_exception_handler(Throttled, on_throttled)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(Http404, on_404)
    api.add_exception_handler(SuspiciousOperation, on_suspicious)
    api.add_exception_handler(Exception, on_exception)
