"""The front cache: anonymous page reads answered in the WSGI callable, before Django.

With NEWSROOM_PAGE_CACHE_SECONDS > 0, a reader page that Django rendered for
an anonymous GET (no query string, no session or messages cookie; see
``pagecache.cacheable``) is kept in this process, split at its per-visitor
markers, for that many seconds. A later request for the same scheme and path
is answered from it without entering Django: the stored headers, and the body
joined with this visitor's own values, computed as Django would:

- the CSRF secret from the visitor's ``csrftoken`` cookie (or a new one, set
  by ``Set-Cookie`` as Django's middleware does), masked afresh per response;
- a new confirmation code and fill-time stamp for the comment form;
- a read counted for the article (newsroom.shares.reads; bots skipped).

Stored headers never include ``Set-Cookie``, and the stored body never holds
a visitor's values, so nothing of one visitor reaches another. A page is kept
only when Django answered 200 with no cookie other than the CSRF one. What the
page shows otherwise (an edit, a newly approved comment, share counts, a new
story in a list) is seen within the TTL; an article withdrawn is a 404 within
the TTL.

Invalidation: saving or deleting an article bumps a version number in the
default cache (``invalidate``). Each process reads it at most every
``VERSION_CHECK`` seconds and drops its kept pages when it moved. With
``REDIS_URL`` set the default cache is shared, so an edit on one node
empties every process's store on every node within about a second; with the
per-process default cache only the process that saved is told, and the
others fall back on the TTL, as on one machine.

The key is normalised: pages are built on SITE_URL, never on the request's
host, so every allowed host (any port, any case) shares one entry, and a host
Django would refuse goes to Django (a 400); the scheme is the socket's, or
``X-Forwarded-Proto`` only behind a trusted proxy (NEWSROOM_TRUSTED_PROXIES),
its last value, the same that Django is left (``net.forwarded_proto``).
The store is bounded in bytes (NEWSROOM_PAGE_CACHE_BYTES), not entries, and
expired pages leave it as soon as the cache is next used.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.http import HttpResponse
from django.http.cookie import parse_cookie
from django.http.request import split_domain_port, validate_host
from django.middleware.csrf import (
    CSRF_ALLOWED_CHARS,
    CSRF_SECRET_LENGTH,
    CSRF_TOKEN_LENGTH,
)

from newsroom.core import slots, versions
from newsroom.net import forwarded_proto

from . import csrf, pagecache
from .conf import conf

VERSION_KEY = versions.KEY  # kept pages go when public content changes
VERSION_CHECK = 1.0  # seconds between looks at the shared version
_UNSET = object()

log = logging.getLogger(__name__)


def invalidate() -> None:
    """Tell every process (every node, with Redis) to drop its kept pages."""
    versions.bump()


def budget() -> int:
    """Bytes of pages one process keeps (NEWSROOM_PAGE_CACHE_BYTES)."""
    return conf.NEWSROOM_PAGE_CACHE_BYTES


_CHARS = CSRF_ALLOWED_CHARS
_INDEX = {c: n for n, c in enumerate(_CHARS)}
_LIMIT = 256 - 256 % len(_CHARS)  # bytes at or above would bias the choice


def _random_string(length: int = CSRF_SECRET_LENGTH) -> str:
    """Like Django's get_random_string over the CSRF alphabet (uniform, from
    the OS's CSPRNG), with one urandom call instead of one per character."""
    out: list[str] = []
    while len(out) < length:
        out += [
            _CHARS[b % len(_CHARS)]
            for b in secrets.token_bytes(length + 8)
            if b < _LIMIT
        ]
    return "".join(out[:length])


def mask(secret: str) -> str:
    """Django's ``_mask_cipher_secret``: a fresh mask per response (BREACH)."""
    key = _random_string()
    n = len(_CHARS)
    cipher = "".join(
        _CHARS[(_INDEX[x] + _INDEX[y]) % n] for x, y in zip(secret, key, strict=True)
    )
    return key + cipher


class _Kept:
    __slots__ = (
        "expires",
        "status",
        "headers",
        "parts",
        "csrf",
        "read_article",
        "size",
    )

    def __init__(self, expires, status, headers, parts, read_article) -> None:
        self.expires = expires
        self.status = status
        self.headers = headers
        # Text as bytes once; marker names stay str at the odd positions.
        self.parts = [p.encode() if n % 2 == 0 else p for n, p in enumerate(parts)]
        self.csrf = "csrf" in parts[1::2]
        self.read_article = read_article
        self.size = (
            sum(len(p) for p in self.parts)
            + sum(len(k) + len(v) for k, v in headers)
            + 512  # the objects around them
        )


class _Reader:
    """What newsroom.shares.reads.record_read looks at in a request."""

    __slots__ = ("method", "META")

    def __init__(self, environ: dict) -> None:
        self.method = environ["REQUEST_METHOD"]
        self.META = environ


class FrontCache:
    def __init__(self, app: Callable) -> None:
        self.app = app
        self.pages: dict[tuple, _Kept] = {}  # oldest first (one TTL for all)
        self.bytes = 0
        self._lock = threading.Lock()
        self._cookie_tail: tuple[int, str, str] | None = None
        self._version: object = _UNSET
        self._checked = 0.0

    # --- the WSGI callable ----------------------------------------------------
    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        key = self.key(environ)
        if key is None:
            return self.app(environ, start_response)
        now = time.monotonic()
        if now - self._checked >= VERSION_CHECK:
            self.check_version(now)
        kept = self.pages.get(key)
        if kept is not None and kept.expires > now:
            return self.serve(kept, environ, start_response)
        if self.pages:
            with self._lock:
                self._expire(now)
        seen: list = []

        def remember(status, headers, exc_info=None):
            seen[:] = [status, headers]
            return start_response(status, headers, exc_info)

        result = self.app(environ, remember)
        page = environ.get(pagecache.ENVIRON_KEY)
        if page is not None and seen and environ["REQUEST_METHOD"] == "GET":
            self.keep(key, page, seen[0], seen[1], now)
        return result

    def key(self, environ: dict) -> tuple | None:
        """The cache key, or None when this request must go to Django."""
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return None
        if environ.get("QUERY_STRING") or environ.get("HTTP_AUTHORIZATION"):
            return None
        if pagecache.seconds() <= 0 or settings.CSRF_USE_SESSIONS:
            return None
        cookie = environ.get("HTTP_COOKIE", "")
        # A substring test: a false positive only sends the request to Django.
        if cookie and (
            settings.SESSION_COOKIE_NAME in cookie
            or CookieStorage.cookie_name in cookie
        ):
            return None
        # As Django reads it (HttpRequest.get_host): a Host header sent empty
        # is the host, not a reason to take the server's name.
        host = (
            environ["HTTP_HOST"]
            if "HTTP_HOST" in environ
            else environ.get("SERVER_NAME", "")
        )
        domain, _port = split_domain_port(host)
        if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
            return None  # Django answers it (a 400)
        # As ProxyHeadersMiddleware leaves it for Django (newsroom.net).
        scheme = forwarded_proto(environ) or environ.get("wsgi.url_scheme", "http")
        return (
            scheme,
            environ.get("SCRIPT_NAME", ""),
            environ.get("PATH_INFO", ""),
        )

    # --- storing --------------------------------------------------------------
    def keep(
        self, key: tuple, page: pagecache.Page, status: str, headers: list, now: float
    ) -> None:
        if not status.startswith("200") or not slots.valid(page.parts):
            return
        csrf_cookie = settings.CSRF_COOKIE_NAME
        kept_headers = []
        for name, value in headers:
            lower = name.lower()
            if lower == "set-cookie":
                if not value.lstrip().startswith(csrf_cookie + "="):
                    return  # a cookie of this visitor's own: never shared
                continue
            if lower != "content-length":
                kept_headers.append((name, value))
        entry = _Kept(
            now + pagecache.seconds(),
            status,
            kept_headers,
            page.parts,
            page.read_article,
        )
        limit = budget()
        if entry.size > limit // 8:
            return  # one huge page may not push out the whole store
        with self._lock:
            self._drop(key)
            self._expire(now)
            while self.pages and self.bytes + entry.size > limit:
                self._drop(next(iter(self.pages)))  # the oldest stored
            self.pages[key] = entry
            self.bytes += entry.size

    def _drop(self, key: tuple) -> None:
        old = self.pages.pop(key, None)
        if old is not None:
            self.bytes -= old.size

    def _expire(self, now: float) -> None:
        """Drop expired pages: they are the oldest, so from the front."""
        while self.pages:
            key = next(iter(self.pages))
            if self.pages[key].expires > now:
                return
            self._drop(key)

    def clear(self) -> None:
        with self._lock:
            self.pages.clear()
            self.bytes = 0

    def check_version(self, now: float) -> None:
        """Drop every kept page when the shared version moved."""
        self._checked = now
        try:
            version = cache.get(VERSION_KEY)
        except Exception:  # noqa: BLE001 - the cache is away: keep the TTL rule
            return
        if version != self._version:
            if self._version is not _UNSET:
                self.clear()
            self._version = version

    # --- serving --------------------------------------------------------------
    def serve(
        self, kept: _Kept, environ: dict, start_response: Callable
    ) -> Iterable[bytes]:
        headers = list(kept.headers)
        secret = None
        if kept.csrf:
            secret = self._csrf_secret(environ)
            headers.append(("Set-Cookie", self._csrf_cookie(secret)))
        live = slots.Live(lambda: mask(secret))
        parts = kept.parts
        if len(parts) == 1:
            body = parts[0]
        else:
            out = parts[:]
            for n in range(1, len(out), 2):
                out[n] = live[out[n]].encode()
            body = b"".join(out)
        headers.append(("Content-Length", str(len(body))))
        start_response(kept.status, headers)
        if kept.read_article is not None:
            from newsroom.shares.reads import record_read

            record_read(_Reader(environ), kept.read_article)
        return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [body]

    def _csrf_secret(self, environ: dict) -> str:
        """The visitor's CSRF secret as CsrfViewMiddleware reads it, or a new one."""
        name = settings.CSRF_COOKIE_NAME
        cookie = environ.get("HTTP_COOKIE", "")
        if name in cookie:
            value = parse_cookie(cookie).get(name)
            if value is not None:
                if not csrf.is_token_format(value):
                    return _random_string()
                if len(value) == CSRF_TOKEN_LENGTH:  # masked, as before Django 4
                    value = csrf.unmask(value)
                return value
        return _random_string()

    def _csrf_cookie(self, secret: str) -> str:
        """``Set-Cookie`` for the CSRF secret, exactly as Django writes it."""
        second = int(time.time())
        tail = self._cookie_tail
        if tail is None or tail[0] != second:
            probe = "x" * CSRF_SECRET_LENGTH
            response = HttpResponse()
            response.set_cookie(
                settings.CSRF_COOKIE_NAME,
                probe,
                max_age=settings.CSRF_COOKIE_AGE,
                domain=settings.CSRF_COOKIE_DOMAIN,
                path=settings.CSRF_COOKIE_PATH,
                secure=settings.CSRF_COOKIE_SECURE,
                httponly=settings.CSRF_COOKIE_HTTPONLY,
                samesite=settings.CSRF_COOKIE_SAMESITE,
            )
            head, _, rest = (
                response.cookies[settings.CSRF_COOKIE_NAME]
                .OutputString()
                .partition(probe)
            )
            tail = self._cookie_tail = (second, head, rest)
        return f"{tail[1]}{secret}{tail[2]}"


def wrap(app: Callable) -> FrontCache:
    """The WSGI application with the front cache in front of it."""
    return FrontCache(app)
