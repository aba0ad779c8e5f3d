"""What every request passes first: forwarding headers and static files.

- :class:`ProxyHeadersMiddleware` drops ``X-Forwarded-Proto`` unless a trusted
  proxy wrote it (``NEWSROOM_TRUSTED_PROXIES``, the rule of ``newsroom.net``),
  so a client cannot make ``request.is_secure()`` true by sending the header.
  The settings name the header (``SECURE_PROXY_SSL_HEADER``) only when proxies
  are configured at all; this covers a client that reaches the server past
  the proxy. It also logs, once per process, when forwarded requests come
  from a private address while no proxy is named (a proxy nobody told us of).
- :class:`PermissionsPolicyMiddleware` sends ``Permissions-Policy``
  (``NEWSROOM_PERMISSIONS_POLICY``) on every response, as ``csp``'s middleware
  does the Content-Security-Policy; the front cache keeps both with a page.
- :class:`StaticFilesMiddleware` is WhiteNoise, except that the manifest
  (``staticfiles.json``, every static file's name and hash) is not served.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest, HttpResponse
from whitenoise.middleware import WhiteNoiseMiddleware

from newsroom.net import from_trusted_proxy, parse_ip, proxies_configured

from .conf import conf

FORWARDED_PROTO = "HTTP_X_FORWARDED_PROTO"
FORWARDED_FOR = "HTTP_X_FORWARDED_FOR"
log = logging.getLogger(__name__)


class ProxyHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.warned = False

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        if FORWARDED_PROTO in meta and not from_trusted_proxy(meta):
            del meta[FORWARDED_PROTO]
        if not self.warned and FORWARDED_FOR in meta and not proxies_configured():
            self.warn_unnamed_proxy(meta)
        return self.get_response(request)

    def warn_unnamed_proxy(self, meta: dict) -> None:
        """Once per process: forwarded requests from a private or loopback
        peer look like a proxy in front that nobody named, and then every
        visitor shares that proxy's address (and its rate limits)."""
        peer = parse_ip(meta.get("REMOTE_ADDR", ""))
        if peer is not None and (peer.is_private or peer.is_loopback):
            self.warned = True
            log.warning(
                "Requests from %s carry X-Forwarded-For but "
                "NEWSROOM_TRUSTED_PROXIES is empty: every visitor counts as "
                "that proxy. Name it (e.g. NEWSROOM_TRUSTED_PROXIES=1); see "
                "docs/operations.md.",
                peer,
            )


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
