"""What every request passes first: forwarding headers and static files.

- :class:`ProxyHeadersMiddleware` drops ``X-Forwarded-Proto`` unless a trusted
  proxy wrote it (``NEWSROOM_TRUSTED_PROXIES``, the rule of ``newsroom.net``),
  so a client cannot make ``request.is_secure()`` true by sending the header.
  The settings name the header (``SECURE_PROXY_SSL_HEADER``) only when proxies
  are configured at all; this covers a client that reaches the server past
  the proxy.
- :class:`PermissionsPolicyMiddleware` sends ``Permissions-Policy``
  (``NEWSROOM_PERMISSIONS_POLICY``) on every response, as ``csp``'s middleware
  does the Content-Security-Policy; the front cache keeps both with a page.
- :class:`StaticFilesMiddleware` is WhiteNoise, except that the manifest
  (``staticfiles.json``, every static file's name and hash) is not served.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest, HttpResponse
from whitenoise.middleware import WhiteNoiseMiddleware

from newsroom.net import from_trusted_proxy

from .conf import conf

FORWARDED_PROTO = "HTTP_X_FORWARDED_PROTO"


class ProxyHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if FORWARDED_PROTO in request.META and not from_trusted_proxy(request.META):
            del request.META[FORWARDED_PROTO]
        return self.get_response(request)


class PermissionsPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = conf.NEWSROOM_PERMISSIONS_POLICY
        if policy and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = policy
        return response


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise without the manifest: it is a map of every file for no reader."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        super().__init__(get_response)
        name = getattr(staticfiles_storage, "manifest_name", "staticfiles.json")
        self.manifest_url = self.static_prefix + name
        self.files.pop(self.manifest_url, None)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == self.manifest_url:
            # Past the static files to Django's own URLs, which answer 404.
            return self.get_response(request)
        return super().__call__(request)
