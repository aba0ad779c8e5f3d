"""A bounded HTTP GET for things a stranger names: feeds, pages, images.

:func:`fetch` reads one URL with an overall deadline (a slow drip cannot hold
it past the deadline), a cap on the bytes it keeps (after gunzipping), and a
cap on redirects. Only ``http`` and ``https`` are followed, and only to
public addresses: every hop's host is resolved once, each of its addresses
is checked, and the connection goes to the address that was checked (so a
name that resolves to a public address for the check and a private one for
the connection gets nowhere). An operator who imports from an intranet names
those networks in ``NEWSROOM_FETCH_ALLOWED_NETWORKS``.

The importers use it for URL sources and for the pictures records name
(newsroom/ingest/pictures.py); anything else that fetches what a stranger
names should too.
"""

from __future__ import annotations

import http.client
import io
import ipaddress
import socket
import ssl
import threading
import time
import zlib
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from newsroom.numbers import is_int

from .conf import conf

USER_AGENT = "newsroom-fetch/1"
REDIRECTS = {301, 302, 303, 307, 308}
CHUNK = 64 * 1024


class FetchError(Exception):
    """The URL was not read: refused, too big, too slow or broken."""


@dataclass(frozen=True)
class Fetched:
    url: str  # the last URL, after redirects
    status: int
    content_type: str
    body: bytes


def _allowed_networks() -> list:
    value = conf.NEWSROOM_FETCH_ALLOWED_NETWORKS or []
    if isinstance(value, str):
        value = [v for v in value.split(",") if v.strip()]
    return [ipaddress.ip_network(v.strip(), strict=False) for v in value]


def address_allowed(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """A public (globally routable, unicast) address, or one the operator allows."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if any(ip in net for net in _allowed_networks()):
        return True
    return ip.is_global and not ip.is_multicast and not ip.is_reserved


# Lookups still waiting for a name server that does not answer, at most: a
# source naming many hosts at such a server leaves this many threads behind,
# and the next fetch waits for one of them (within its own deadline).
LOOKUPS_AT_ONCE = 8
_lookups = threading.BoundedSemaphore(LOOKUPS_AT_ONCE)


def _lookup(host: str, port: int, deadline: float) -> list:
    """``getaddrinfo`` within the deadline.

    The resolver has no deadline of its own: a host whose name server never
    answers held a fetch for the resolver's timeouts and retries (10 s and
    more with the usual settings; a source naming a hundred such pictures
    held an import for most of an hour, whatever ``seconds`` said). The
    lookup runs in a thread of its own that is left to end by itself when
    the deadline passes first."""
    if not _lookups.acquire(timeout=_left(deadline)):
        raise FetchError(f"cannot resolve {host!r}: earlier lookups still wait")
    done = threading.Event()
    answer: dict = {}

    def look() -> None:
        try:
            answer["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            answer["error"] = exc
        finally:
            _lookups.release()
            done.set()

    try:
        threading.Thread(target=look, name="newsroom-fetch-lookup", daemon=True).start()
    except RuntimeError as exc:  # no thread can start: its place is given back
        _lookups.release()
        raise FetchError(f"cannot resolve {host!r}: {exc}") from exc
    if not done.wait(_left(deadline)):
        raise FetchError(f"cannot resolve {host!r}: no answer before the deadline")
    if "error" in answer:
        raise FetchError(f"cannot resolve {host!r}: {answer['error']}")
    return answer["infos"]


def _resolve(host: str, port: int, deadline: float) -> str:
    """One checked address for ``host``; refuses when any address is not public."""
    infos = _lookup(host, port, deadline)
    if time.monotonic() > deadline:
        raise FetchError("deadline passed")
    addresses = []
    for info in infos:
        text = info[4][0].split("%", 1)[0]
        ip = ipaddress.ip_address(text)
        if not address_allowed(ip):
            raise FetchError(
                f"refused: {host!r} resolves to a non-public address ({ip})"
            )
        addresses.append(text)
    if not addresses:
        raise FetchError(f"cannot resolve {host!r}")
    return addresses[0]


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise FetchError("deadline passed")
    return left


class _DeadlineReader(io.RawIOBase):
    """The socket as the response reads it: each read waits only for what is
    left of the deadline.

    http.client reads the status line, the headers and each chunk's size with
    ``readline``, one ``recv`` after another, and a socket timeout bounds
    each ``recv`` alone: a server sending a byte a second held a header line
    (up to 64 KB) for most of a day. Here the timeout is set again before
    every ``recv`` to the time the whole fetch has left.
    """

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._sock = sock
        # The socket's own file keeps it open for the response after the
        # connection is closed (HTTP/1.0 hands the socket to the response).
        self._raw = sock.makefile("rb", buffering=0)
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int | None:  # type: ignore[override]
        self._sock.settimeout(_left(self._deadline))
        try:
            return self._raw.readinto(buffer)
        except TimeoutError as exc:
            raise FetchError("deadline passed") from exc

    def close(self) -> None:
        self._raw.close()
        super().close()


class _Socket:
    """What ``HTTPResponse`` is given in place of the socket: ``makefile``
    is all it asks of it."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._sock, self._deadline = sock, deadline

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self._sock, self._deadline))


class _Response(http.client.HTTPResponse):
    def __init__(self, sock, *args, deadline: float, **kwargs) -> None:
        super().__init__(_Socket(sock, deadline), *args, **kwargs)  # type: ignore[arg-type]


class _Pinned(http.client.HTTPConnection):
    """An HTTP connection to an address checked beforehand, every step of it
    within the deadline."""

    def __init__(self, host, port, address, deadline: float) -> None:
        super().__init__(host, port, timeout=_left(deadline))
        self.address = address
        self.deadline = deadline
        self.answer: _Response | None = None

    def connect(self) -> None:
        self.sock = socket.create_connection(
            (self.address, self.port), _left(self.deadline)
        )

    def response_class(self, sock, *args, **kwargs) -> _Response:  # type: ignore[override]
        # Kept, so a response whose headers never came whole is closed too.
        self.answer = _Response(sock, *args, deadline=self.deadline, **kwargs)
        return self.answer


class _PinnedTLS(_Pinned, http.client.HTTPSConnection):
    def __init__(self, host, port, address, deadline: float) -> None:
        http.client.HTTPSConnection.__init__(
            self,
            host,
            port,
            timeout=_left(deadline),
            context=ssl.create_default_context(),
        )
        self.address = address
        self.deadline = deadline
        self.answer = None

    def connect(self) -> None:
        # The handshake as a whole is bounded by the socket's timeout (the
        # ssl module counts it down across the handshake's reads).
        super().connect()
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self.host)


def fetch(
    url: str,
    *,
    max_bytes: int,
    seconds: float,
    max_redirects: int = 5,
    accept: str = "*/*",
) -> Fetched:
    """GET ``url`` within ``seconds`` overall, keeping at most ``max_bytes``.

    Raises FetchError for a refused scheme or address, too many redirects, a
    body over the cap (compressed or not), the deadline, or a network error.
    """
    deadline = time.monotonic() + seconds
    for _hop in range(max_redirects + 1):
        try:
            parts = urlsplit(url)
        except ValueError as exc:  # "http://[::1/x.jpg": an export's or a redirect's
            raise FetchError(f"cannot read the address {url[:200]!r}: {exc}") from exc
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(f"refused: only http(s) URLs are fetched ({url[:200]!r})")
        if parts.username or parts.password:
            raise FetchError("refused: URLs with credentials are not fetched")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:
            raise FetchError(f"bad port in {url[:200]!r}") from exc
        address = _resolve(parts.hostname, port, deadline)
        cls = _PinnedTLS if parts.scheme == "https" else _Pinned
        conn = cls(parts.hostname, port, address, deadline)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        try:
            conn.request(
                "GET",
                path,
                headers={
                    "User-Agent": USER_AGENT,
                    "Accept": accept,
                    "Accept-Encoding": "gzip",
                },
            )
            response = conn.getresponse()
            if response.status in REDIRECTS:
                location = response.getheader("Location") or ""
                if not location:
                    raise FetchError(f"redirect without a Location from {url[:200]!r}")
                try:
                    url = urljoin(url, location.strip())
                except ValueError as exc:
                    raise FetchError(
                        f"cannot read the address {location[:200]!r} a redirect "
                        f"from {url[:200]!r} gave: {exc}"
                    ) from exc
                continue
            if response.status != 200:
                raise FetchError(f"HTTP {response.status} from {url[:200]!r}")
            body = _read(response, max_bytes, deadline)
            return Fetched(
                url=url,
                status=response.status,
                content_type=response.getheader("Content-Type") or "",
                body=body,
            )
        except (OSError, http.client.HTTPException) as exc:
            raise FetchError(f"cannot fetch {url[:200]!r}: {exc}") from exc
        finally:
            conn.close()
            if conn.answer is not None:
                conn.answer.close()
    raise FetchError(f"more than {max_redirects} redirects")


def _read(response, max_bytes: int, deadline: float) -> bytes:
    length = response.getheader("Content-Length") or ""
    # is_int, not isdigit(): "²" or 5,000 digits is no length (int() raises),
    # and the body is read to its end, within the cap, as http.client reads it.
    if is_int(length) and int(length) > max_bytes:
        raise FetchError(f"body of {int(length):,} bytes is over the cap")
    gzipped = "gzip" in (response.getheader("Content-Encoding") or "").lower()
    raw = bytearray()
    while True:
        chunk = response.read1(CHUNK)  # waits no longer than the deadline
        if not chunk:
            break
        raw += chunk
        if len(raw) > max_bytes:
            raise FetchError(f"body over the cap of {max_bytes:,} bytes")
        _left(deadline)
    data = bytes(raw)
    if gzipped or data[:2] == b"\x1f\x8b":
        data = gunzip(data, max_bytes)
    return data


def gunzip(data: bytes, max_bytes: int) -> bytes:
    """Gzip data expanded, refusing more than ``max_bytes`` of output."""
    inflater = zlib.decompressobj(wbits=47)  # gzip or zlib header
    try:
        out = inflater.decompress(data, max_bytes + 1)
    except zlib.error as exc:
        raise FetchError(f"broken gzip body: {exc}") from exc
    if len(out) > max_bytes or inflater.unconsumed_tail:
        raise FetchError(f"body expands past the cap of {max_bytes:,} bytes")
    return out
