"""A bounded HTTP(S) GET for pictures a stranger's import names.

Timeout per step and overall, a byte cap (the body is read no further), at
most ``max_redirects`` redirects, ``http``/``https`` only, and only public
addresses: every hop's host is resolved, each address checked, and the
connection made to the checked address (so DNS cannot answer "public" for
the check and "127.0.0.1" for the connection). ``NEWSROOM_FETCH_ALLOWED_NETWORKS``
names networks an operator trusts anyway (an intranet; the tests' loopback).

Issue 18 builds the same guard for the importers' own URL sources
(newsroom/ingest/fetch.py); when it lands, one of the two should go.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from django.conf import settings

USER_AGENT = "newsroom-pictures/1"
REDIRECTS = {301, 302, 303, 307, 308}


class FetchError(Exception):
    """Not fetched: refused, too big, too slow, too many redirects, or broken."""


@dataclass(frozen=True)
class Fetched:
    url: str
    content_type: str
    body: bytes


def _allowed_networks() -> list:
    value = settings.NEWSROOM_FETCH_ALLOWED_NETWORKS
    if isinstance(value, str):
        value = value.split(",")
    return [ipaddress.ip_network(v.strip(), strict=False) for v in value if v.strip()]


def address_allowed(ip) -> bool:
    """A globally routable unicast address, or one in an allowed network."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if any(ip in net for net in _allowed_networks()):
        return True
    return ip.is_global and not ip.is_multicast and not ip.is_reserved


def _resolve(host: str, port: int) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"cannot resolve {host}: {exc}") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    refused = [str(a) for a in addresses if not address_allowed(a)]
    if refused or not addresses:
        raise FetchError(f"refused: {host} is not a public address ({refused[0]})")
    return str(addresses[0])


class _Pinned(http.client.HTTPConnection):
    def __init__(self, address: str, host: str, port: int, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedTLS(http.client.HTTPSConnection):
    def __init__(self, address: str, host: str, port: int, timeout: float):
        super().__init__(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
        self._address = address

    def connect(self):
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)


def fetch(
    url: str,
    *,
    max_bytes: int | None = None,
    timeout: float = 10.0,
    max_redirects: int = 3,
) -> Fetched:
    """GET ``url`` within the bounds above, or raise ``FetchError`` saying why."""
    max_bytes = max_bytes or settings.NEWSROOM_MEDIA_MAX_BYTES
    deadline = time.monotonic() + timeout
    for _hop in range(max_redirects + 1):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(f"refused: only http(s) URLs are fetched ({url[:80]})")
        if parts.username or parts.password:
            raise FetchError("refused: URLs with credentials are not fetched")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = _resolve(parts.hostname, port)
        left = deadline - time.monotonic()
        if left <= 0:
            raise FetchError("timed out")
        kind = _PinnedTLS if parts.scheme == "https" else _Pinned
        conn = kind(address, parts.hostname, port, timeout=min(left, timeout))
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            conn.request("GET", path, headers={"User-Agent": USER_AGENT})
            response = conn.getresponse()
            if response.status in REDIRECTS:
                location = response.getheader("Location", "")
                if not location:
                    raise FetchError(f"redirect without a Location from {url[:80]}")
                url = urljoin(url, location)
                continue
            if response.status != 200:
                raise FetchError(f"HTTP {response.status} from {url[:80]}")
            length = response.getheader("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise FetchError(f"too large: {int(length)} bytes (limit {max_bytes})")
            chunks, size = [], 0
            while chunk := response.read1(65536):
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(f"too large: over {max_bytes} bytes")
                if time.monotonic() > deadline:
                    raise FetchError("timed out")
                chunks.append(chunk)
            return Fetched(
                url, response.getheader("Content-Type", ""), b"".join(chunks)
            )
        except (OSError, http.client.HTTPException) as exc:
            raise FetchError(f"cannot fetch {url[:80]}: {exc}") from None
        finally:
            conn.close()
    raise FetchError(f"too many redirects (more than {max_redirects})")
