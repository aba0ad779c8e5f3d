"""Who is a visitor, without cookies and without keeping anything personal.

A visitor is the pair (anonymised network, user agent): the address is cut to
its /24 (IPv4) or /48 (IPv6) before it is hashed, and the hash is an HMAC keyed
from SECRET_KEY, so the stored value identifies nobody and cannot be rebuilt
from a list of addresses without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from datetime import date
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

# Crawlers, link unfurlers, monitors and scripted clients: their "shares" and
# "reads" are not a person's. Matched case-insensitively against the UA.
BOT_PATTERN = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|archiver|facebookexternalhit|facebookcatalog|"
    r"embedly|preview|validator|monitor|pingdom|uptime|lighthouse|headlesschrome|"
    r"phantomjs|python-|python/|curl/|wget/|httpx|aiohttp|go-http-client|"
    r"okhttp|java/|libwww|scrapy|feedfetcher|whatsapp/|telegrambot|skypeuri",
    re.IGNORECASE,
)


def is_bot(user_agent: str) -> bool:
    """An empty user agent or one on the known-bot list is not a reader."""
    return not user_agent.strip() or bool(BOT_PATTERN.search(user_agent))


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the last hop a trusted proxy added."""
    header = settings.NEWSROOM_SHARES_IP_HEADER
    if header:
        forwarded = request.META.get(header, "")
        # The rightmost entry is the one our own proxy appended; anything to
        # its left came from the client and can be forged.
        last = forwarded.split(",")[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR", "")


def anonymise_ip(address: str) -> str:
    """Keep the network only: /24 for IPv4, /48 for IPv6; junk becomes ''."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return ""
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


@lru_cache(maxsize=4)
def _hmac_key(secret: str) -> bytes:
    # A key derived for this purpose only, so the hashes say nothing about
    # any other use of SECRET_KEY (sessions, signing).
    return salted_hmac("newsroom.shares.visitor", "key", secret=secret).digest()


def visitor_key(request: HttpRequest, day: date, *parts: object) -> str:
    """A keyed hash of this visitor on ``day``, scoped by ``parts``."""
    network = anonymise_ip(client_ip(request))
    agent = request.META.get("HTTP_USER_AGENT", "")[:512]
    message = "\x1f".join([network, agent, day.isoformat(), *map(str, parts)])
    key = _hmac_key(settings.SECRET_KEY)
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()
