"""Absolute URLs: the one place a path becomes a link for outside readers.

Feeds, sitemaps, structured data, share links, e-mails and the API all name
the site by ``SITE_URL`` (not the request's host), so a page read through a
proxy or a cache never links to the proxy's address.
"""

from __future__ import annotations

from django.conf import settings


def absolute_url(path: str) -> str:
    """``path`` (starting with "/") under the site's public address."""
    return settings.SITE_URL.rstrip("/") + path
