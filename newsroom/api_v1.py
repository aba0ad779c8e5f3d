"""The one place the public API is assembled: routers, limits, errors, caching.

Each app owns its router (``<app>/api.py``) with its schemas, built from the
toolkit in ``newsroom.api`` (errors, pagination, params, throttling, caching,
shared types); this module, beside ``urls.py`` and above every app, mounts
them under one ``NinjaAPI`` with the rate limits, the error handlers and the
cache validators every route shares. ``newsroom/urls.py`` mounts it at
``/api/v1/``.
"""

from __future__ import annotations

from typing import Any

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from newsroom.api import caching
from newsroom.api.errors import install_handlers
from newsroom.api.params import reject_unknown_query
from newsroom.api.throttling import NetworkThrottle
from newsroom.articles.api import router as articles_router
from newsroom.comments.api import router as comments_router
from newsroom.search.api import router as search_router
from newsroom.shares.api import router as shares_router

DESCRIPTION = """\
Public, read-mostly JSON API of the newsroom: articles, sections, tags,
authors, search, comments and share counts. Errors always have the shape
`{"error": {"code", "message", "details"}}`. Lists are cursor-paginated:
follow `next`. GET answers carry `ETag` (and `Last-Modified` where known) and
answer `304` to `If-None-Match` / `If-Modified-Since`. See docs/api.md.
"""


class NewsroomAPI(NinjaAPI):
    def create_response(
        self,
        request: HttpRequest,
        data: Any,
        *,
        status: int | None = None,
        temporal_response: HttpResponse | None = None,
    ) -> HttpResponse:
        response = super().create_response(
            request, data, status=status, temporal_response=temporal_response
        )
        return caching.finish(request, response)


def build_api() -> NinjaAPI:
    api = NewsroomAPI(
        title="Newsroom API",
        version="1",
        description=DESCRIPTION,
        urls_namespace="api-v1",
        # The bundled Swagger UI (ninja in INSTALLED_APPS): nothing from a
        # CDN, and no badge image fetched from validator.swagger.io.
        docs=Swagger(settings={"validatorUrl": None}),
        # Swagger UI sets inline styles and draws icons from data: URLs;
        # only its page gets that (the site's policy stays strict).
        docs_decorator=csp_update({"style-src": [UNSAFE_INLINE], "img-src": ["data:"]}),
        throttle=[NetworkThrottle("read")],
    )
    install_handlers(api)
    api.add_decorator(reject_unknown_query, mode="view")
    api.add_router("", articles_router)
    api.add_router("", search_router)
    api.add_router("", comments_router)
    api.add_router("", shares_router)
    return api


api = build_api()
