"""Who the client is: one rule for every part of the site.

The address is the socket peer (``REMOTE_ADDR``). Only when the operator names
the proxies in front of the site (``NEWSROOM_TRUSTED_PROXIES``) is
``X-Forwarded-For`` read, and then from the right: each trusted proxy appends
the address it saw, so the right-most entry that is *not* a trusted proxy is
the client. Everything to its left was written by the client and can be forged.

``NEWSROOM_TRUSTED_PROXIES`` is either a count ("1": one proxy, such as nginx
on the same machine, sits in front) or a comma-separated list of addresses and
CIDR networks ("127.0.0.1, 10.0.0.0/8"). Empty (the default): no proxy is
trusted and the header is ignored.

Comments, shares, reads, reports, the API and search limits all ask
:func:`client_network` (never the full address), so one household or office
shares one budget and nothing personal is stored. Counters that dedupe per
visitor ask :func:`visitor_key` (a keyed hash of that network and the user
agent, with a daily key) and skip what :func:`is_bot` says is no reader.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from newsroom.core.conf import conf

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Junk or missing addresses all share this one network, so they share a budget
# instead of each escaping it.
UNKNOWN = "unknown"
_NETWORK_KEY = "newsroom.client_network"


def parse_ip(value: str) -> IPAddress | None:
    """An address from a header or socket value; None for anything else.

    A zone id (``fe80::1%eth0``) and brackets are dropped, and an IPv4-mapped
    IPv6 address is its IPv4 address.
    """
    text = (value or "").strip().strip("[]").split("%", 1)[0]
    if not text or len(text) > 64:
        return None
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        return ip.ipv4_mapped
    return ip


@lru_cache(maxsize=8)
def _trusted(spec: str) -> tuple[int, tuple[IPNetwork, ...]]:
    """``(count, networks)`` from the setting's text; one of them is empty."""
    spec = spec.strip()
    if not spec:
        return 0, ()
    if spec.isascii() and spec.isdigit():
        return int(spec), ()
    networks = []
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"NEWSROOM_TRUSTED_PROXIES: {item!r} is not an address or network"
            ) from exc
    return 0, tuple(networks)


def trusted_proxies() -> tuple[int, tuple[IPNetwork, ...]]:
    """The trusted-proxy setting, parsed (and validated) once per value."""
    value = conf.NEWSROOM_TRUSTED_PROXIES
    if isinstance(value, (list, tuple)):
        value = ",".join(value)
    return _trusted(str(value))


def proxies_configured() -> bool:
    """True when the operator said a proxy stands in front of the site."""
    count, networks = trusted_proxies()
    return bool(count or networks)


def _is_trusted(ip: IPAddress | None, networks: tuple[IPNetwork, ...]) -> bool:
    return ip is not None and any(ip in net for net in networks)


def from_trusted_proxy(meta: Mapping[str, Any]) -> bool:
    """True when the request's forwarding headers (``X-Forwarded-For``,
    ``X-Forwarded-Proto``) were written by a proxy the operator trusts.

    No proxy configured: never. A count ("1"): always, since the operator
    says every request comes through that many proxies. Addresses: only when
    the socket peer is one of them; a client that reaches the server directly
    writes its own headers.
    """
    count, networks = trusted_proxies()
    if count:
        return True
    return _is_trusted(parse_ip(meta.get("REMOTE_ADDR", "")), networks)


def forwarded_proto(meta: Mapping[str, Any]) -> str | None:
    """The scheme a trusted proxy says the client used ("http" or "https"),
    or None (no trusted proxy, no header, or a value that is neither).

    Read like ``X-Forwarded-For``: a proxy that appends to the header puts its
    own word last, and whatever comes before it is the client's. The front
    cache keys pages on this value, and ProxyHeadersMiddleware leaves Django
    only this value, so the two never disagree on a request's scheme.
    """
    header = meta.get("HTTP_X_FORWARDED_PROTO")
    if header is None or not from_trusted_proxy(meta):
        return None
    last = str(header).rsplit(",", 1)[-1].strip().lower()
    return last if last in ("http", "https") else None


def client_ip(request: HttpRequest) -> IPAddress | None:
    """The client's address under the trusted-proxy rule; None when unknown."""
    peer = parse_ip(request.META.get("REMOTE_ADDR", ""))
    count, networks = trusted_proxies()
    if not count and not networks:
        return peer
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [h for h in (part.strip() for part in header.split(",")) if h]
    if count:
        # The peer is the nearest proxy; each of the ``count`` proxies appended
        # the address it saw, so the client is ``count`` entries from the right.
        if len(hops) >= count:
            return parse_ip(hops[-count])
        return parse_ip(hops[0]) if hops else peer
    if not _is_trusted(peer, networks):
        # The request did not come through our proxy: its header is the
        # client's own words.
        return peer
    for hop in reversed(hops):
        ip = parse_ip(hop)
        if ip is None:
            # Garbage where a proxy would have written an address: the chain
            # is broken here, so this hop is as far as we can trust.
            return None
        if not _is_trusted(ip, networks):
            return ip
    return parse_ip(hops[0]) if hops else peer


def anonymise(ip: IPAddress | str | None) -> str:
    """The /24 (IPv4) or /48 (IPv6) network of an address; ``UNKNOWN`` for junk."""
    if isinstance(ip, str):
        ip = parse_ip(ip)
    if ip is None:
        return UNKNOWN
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def network_address(request: HttpRequest) -> str:
    """The client's network as one address (its first): for a store that
    wants an address, such as django-axes' login lockout. Unknown clients
    share ``0.0.0.0``, as they share ``UNKNOWN``."""
    network = client_network(request)
    if network == UNKNOWN:
        return "0.0.0.0"
    return str(ipaddress.ip_network(network).network_address)


def client_network(request: HttpRequest) -> str:
    """The client's anonymised network: the one key for limits and counts."""
    # Kept in META (the WSGI environ), which the front cache's stand-in for a
    # request has too; no header can write a key without the HTTP_ prefix.
    cached = request.META.get(_NETWORK_KEY)
    if cached is None:
        cached = request.META[_NETWORK_KEY] = anonymise(client_ip(request))
    return cached


# Crawlers, link unfurlers, monitors and scripted clients: their "shares",
# "reads" and "reports" are not a person's. Matched case-insensitively. A
# story posted on the fediverse is fetched by every server that shows the
# post (Mastodon, Pleroma, Akkoma, Misskey, Friendica), each from its own
# network; and a client that names a URL about itself ("+https://…") is a
# program, never a browser.
BOT_PATTERN = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|archiver|facebookexternalhit|facebookcatalog|"
    r"embedly|preview|validator|monitor|pingdom|uptime|lighthouse|headlesschrome|"
    r"phantomjs|python-|python/|curl/|wget/|httpx|aiohttp|go-http-client|"
    r"okhttp|java/|libwww|scrapy|feedfetcher|whatsapp/|telegrambot|skypeuri|"
    r"\+https?://|mastodon|http\.rb|pleroma|akkoma|misskey|friendica|cardyb|"
    r"iframely|onebox|axios/|node-fetch|undici|postmanruntime|mediapartners",
    re.IGNORECASE,
)


def is_bot(user_agent: str) -> bool:
    """An empty user agent or one on the known-bot list is not a reader."""
    return not (user_agent or "").strip() or bool(BOT_PATTERN.search(user_agent))


@lru_cache(maxsize=64)
def _day_key(secret: str, day: str) -> bytes:
    # A key for this purpose and this day only: the hashes say nothing about
    # any other use of SECRET_KEY, and one day's hash cannot be matched with
    # another day's, so no visitor can be followed across days.
    return salted_hmac("newsroom.net.visitor", day, secret=secret).digest()


def visitor_key(request: HttpRequest, day: date, *scope: object) -> str:
    """A keyed hash of this visitor (anonymised network + user agent) on ``day``.

    ``scope`` (an article id, a share network, "report" and a comment id...)
    makes one key per thing counted, so a counter's unique index on the key
    is what lets each visitor count once. Nothing personal is stored: the
    address is cut to its network first, and the key is derived from
    SECRET_KEY and the day.
    """
    agent = request.META.get("HTTP_USER_AGENT", "")[:512]
    message = "\x1f".join([client_network(request), agent, *map(str, scope)])
    key = _day_key(settings.SECRET_KEY, day.isoformat())
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()
