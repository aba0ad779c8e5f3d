"""The project's own system checks: settings an operator can get wrong.

Django's ``check --deploy`` knows Django's settings; these know ours, and how
they combine. Each returns a warning (``newsroom.W0xx``) with what to do; an
operator who means it silences one with ``SILENCED_SYSTEM_CHECKS``. See
docs/operations.md, "Checks".
"""

from __future__ import annotations

import stat
from collections.abc import Iterable
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

from newsroom.core.addresses import mailbox
from newsroom.net import proxies_configured

LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1", ".localhost", "testserver"}


@register(Tags.security, deploy=True)
def check_hsts_preload(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """W001: HSTS preload is on (a commitment for every subdomain, for months)."""
    if not settings.SECURE_HSTS_PRELOAD:
        return []
    return [
        Warning(
            "HSTS preload is on: once the domain is on the browsers' preload "
            "list, every host under it must serve HTTPS, and leaving the list "
            "takes months.",
            hint="Turn NEWSROOM_HSTS_PRELOAD off unless every subdomain serves "
            "HTTPS and you mean to submit the domain; then silence newsroom.W001.",
            id="newsroom.W001",
        )
    ]


@register(Tags.security)
def check_proxy_header(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """W002: X-Forwarded-Proto trusted with no trusted proxy named."""
    if settings.SECURE_PROXY_SSL_HEADER and not proxies_configured():
        return [
            Warning(
                "SECURE_PROXY_SSL_HEADER is set but NEWSROOM_TRUSTED_PROXIES is "
                "empty: any client can send the header and be taken for HTTPS.",
                hint="Name the proxies in NEWSROOM_TRUSTED_PROXIES (the settings "
                "then trust the header from them only), or unset the header.",
                id="newsroom.W002",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_redirect_behind_proxy(
    app_configs: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    """W003: HTTPS redirect on, but no proxy may say a request came over HTTPS."""
    if settings.SECURE_SSL_REDIRECT and not settings.SECURE_PROXY_SSL_HEADER:
        return [
            Warning(
                "The site redirects plain HTTP to HTTPS but trusts no proxy's "
                "X-Forwarded-Proto: behind a TLS-terminating proxy every request "
                "looks like plain HTTP and is redirected forever.",
                hint="Behind a proxy, set NEWSROOM_TRUSTED_PROXIES (1, or its "
                "addresses). If the server itself terminates TLS, silence "
                "newsroom.W003.",
                id="newsroom.W003",
            )
        ]
    return []


@register(Tags.security)
def check_debug(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """W004: DEBUG on for a site that answers to a public host name."""
    if not settings.DEBUG:
        return []
    public = sorted(set(settings.ALLOWED_HOSTS) - LOCAL_HOSTS)
    if not public:
        return []
    return [
        Warning(
            f"DEBUG is on while the site answers to {', '.join(public)}: error "
            "pages show settings, code and request data to anyone.",
            hint="Use DJANGO_SETTINGS_MODULE=newsroom.settings.prod (DEBUG is "
            "always off there).",
            id="newsroom.W004",
        )
    ]


@register(Tags.urls, deploy=True)
def check_site_url(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """W007: SITE_URL, which every feed, sitemap, API link and e-mail names
    the site by, is a local address (or plain HTTP on an HTTPS site) while
    the site answers to a public host name."""
    public = sorted(set(settings.ALLOWED_HOSTS) - LOCAL_HOSTS)
    if not public:
        return []
    parts = urlsplit(settings.SITE_URL)
    host = parts.hostname or ""
    local = host in LOCAL_HOSTS or host.startswith("127.") or host == "::1"
    plain = parts.scheme == "http" and settings.SECURE_SSL_REDIRECT
    if not (local or plain):
        return []
    return [
        Warning(
            f"NEWSROOM_SITE_URL is {settings.SITE_URL} while the site answers to "
            f"{', '.join(public)}: feeds, sitemaps, robots.txt, the API's links "
            "and e-mails send readers, crawlers and clients there.",
            hint="Set NEWSROOM_SITE_URL to the public address, e.g. "
            "https://news.example.org.",
            id="newsroom.W007",
        )
    ]


# Backends that send nothing: the console (the default) prints each mail,
# signed links included, to the log; the dummy drops it.
MAIL_GOES_NOWHERE = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}


@register(deploy=True)
def check_mail_backend(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """W008: comments are open on a public site whose mail goes nowhere:
    moderators' emails, reply notifications and address links are printed
    to the log (the default backend) or dropped, and nobody is told."""
    public = sorted(set(settings.ALLOWED_HOSTS) - LOCAL_HOSTS)
    if not public or not settings.NEWSROOM_COMMENTS_ENABLED:
        return []
    if settings.EMAIL_BACKEND not in MAIL_GOES_NOWHERE:
        return []
    return [
        Warning(
            f"EMAIL_BACKEND is {settings.EMAIL_BACKEND} while the site answers "
            f"to {', '.join(public)}: moderators' emails, reply notifications "
            "and readers' confirmation links are never sent (the console "
            "backend writes them, signed links included, to the log).",
            hint="Set EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend "
            "and EMAIL_HOST (docs/settings.md).",
            id="newsroom.W008",
        )
    ]


@register(deploy=True)
def check_mail_addresses(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """W009: the sender or a moderator is not a mailbox at a domain while the
    site sends mail on a public host: "newsroom@localhost" (the default
    sender) is refused or junked by most servers, and a moderator typed
    "desk" or "a@x.org;b@x.org" fails every email, logged and unread."""
    public = sorted(set(settings.ALLOWED_HOSTS) - LOCAL_HOSTS)
    kept = MAIL_GOES_NOWHERE | {"django.core.mail.backends.locmem.EmailBackend"}
    if not public or settings.EMAIL_BACKEND in kept:  # nothing is sent (tests)
        return []
    named = [("DEFAULT_FROM_EMAIL", parseaddr(settings.DEFAULT_FROM_EMAIL)[1])]
    named += [
        ("NEWSROOM_COMMENTS_MODERATORS", address)
        for address in settings.NEWSROOM_COMMENTS_MODERATORS
    ]
    found: list[CheckMessage] = []
    for setting, address in named:
        try:
            mailbox(address)
        except ValueError:
            found.append(
                Warning(
                    f"{setting} names {address!r}, not a mailbox at a domain: "
                    "mail to or from it is refused or lost.",
                    hint="Use an address such as newsroom@news.example.org.",
                    id="newsroom.W009",
                )
            )
    return found


def _open_to_others(path: Path) -> bool:
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return bool(stat.S_IMODE(mode) & 0o077)


def _sqlite_files() -> Iterable[Path]:
    for db in settings.DATABASES.values():
        if not str(db.get("ENGINE", "")).endswith("sqlite3"):
            continue
        name = str(db.get("NAME", ""))
        if not name or name == ":memory:" or name.startswith("file:"):
            continue
        for suffix in ("", "-wal", "-shm"):
            yield Path(name + suffix)


@register(Tags.security)
def check_private_files(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """W005: the SQLite files readable by others; W006: var/ open to others."""
    found: list[CheckMessage] = []
    for path in _sqlite_files():
        if _open_to_others(path):
            found.append(
                Warning(
                    f"{path} can be read by other users: it holds password "
                    "hashes, sessions and commenters' emails.",
                    hint=f"chmod 600 {path}",
                    id="newsroom.W005",
                )
            )
    var = Path(settings.VAR_DIR)  # the project's base settings define it
    if _open_to_others(var):
        found.append(
            Warning(
                f"{var} (the database, secret key and search index) is open to "
                "other users.",
                hint=f"chmod 700 {var}",
                id="newsroom.W006",
            )
        )
    return found
