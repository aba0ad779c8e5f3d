"""What every request passes first: forwarding headers and static files.

- :class:`ProxyHeadersMiddleware` drops ``X-Forwarded-Proto`` unless a trusted
  proxy wrote it (``NEWSROOM_TRUSTED_PROXIES``, the rule of ``newsroom.net``),
  so a client cannot make ``request.is_secure()`` true by sending the header,
  and leaves only the proxy's own (last) value of a list, as the front cache
  reads it (``newsroom.net.forwarded_proto``).
  The settings name the header (``SECURE_PROXY_SSL_HEADER``) only when proxies
  are configured at all; this covers a client that reaches the server past
  the proxy. It also logs, once per process, when forwarded requests come
  from a private address while no proxy is named (a proxy nobody told us of).
- :class:`PermissionsPolicyMiddleware` sends ``Permissions-Policy``
  (``NEWSROOM_PERMISSIONS_POLICY``) on every response, as ``csp``'s middleware
  does the Content-Security-Policy; the front cache keeps both with a page.
- :class:`StaticFilesMiddleware` is WhiteNoise, except that the manifest
  (``staticfiles.json``, every static file's name and hash) is not served.
- :class:`CSPMiddleware` is django-csp's, with the site's policy built once:
  django-csp builds the header string anew for every response (0.1 ms of
  CPU each, measured on the comment intake); when no view decorator and no
  nonce vary it, it is the same string, kept until a setting changes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from csp import middleware as csp_middleware
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.utils import build_policy
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from whitenoise.middleware import WhiteNoiseMiddleware

from newsroom.net import forwarded_proto, parse_ip, proxies_configured

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
        if FORWARDED_PROTO in meta:
            # Only a trusted proxy's own (last) word, as the front cache
            # reads it: Django's own rule takes the first, which a client
            # wrote when the proxy appends (``https, http``).
            proto = forwarded_proto(meta)
            if proto is None:
                del meta[FORWARDED_PROTO]
            else:
                meta[FORWARDED_PROTO] = proto
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


# What a view or a nonce sets to vary the policy of one response.
_CSP_VARIES = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)
_CSP_SETTINGS = ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY")
_csp_kept: dict[str, tuple[str, tuple[str, ...]]] = {}


def _csp_policy(name: str) -> tuple[str, tuple[str, ...]]:
    """The header built from setting ``name`` alone, and its excluded prefixes."""
    kept = _csp_kept.get(name)
    if kept is None:
        config = getattr(settings, name, None) or {}
        prefixes = tuple(config.get("EXCLUDE_URL_PREFIXES", None) or ())
        policy = build_policy(report_only=name != "CONTENT_SECURITY_POLICY")
        kept = _csp_kept[name] = (policy, prefixes)
    return kept


def _forget_csp(setting: str, **kwargs) -> None:
    if setting in _CSP_SETTINGS:
        _csp_kept.clear()


setting_changed.connect(_forget_csp, dispatch_uid="newsroom.web.csp")


class CSPMiddleware(csp_middleware.CSPMiddleware):
    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        varies = getattr(request, "_csp_nonce", None) is not None or any(
            getattr(response, name, None) is not None for name in _CSP_VARIES
        )
        if varies or settings.DEBUG:
            return super().process_response(request, response)
        path = request.path_info
        for name, header, exempt in (
            (_CSP_SETTINGS[0], HEADER, "_csp_exempt"),
            (_CSP_SETTINGS[1], HEADER_REPORT_ONLY, "_csp_exempt_ro"),
        ):
            policy, prefixes = _csp_policy(name)
            if (
                policy
                and header not in response
                and getattr(response, exempt, False) is False
                and not path.startswith(prefixes)
            ):
                response[header] = policy
        # As django-csp does: a nonce asked for after this point is an error.
        request.csp_nonce = csp_middleware.CheckableLazyObject(  # type: ignore[attr-defined]
            self._csp_nonce_post_response
        )
        return response
