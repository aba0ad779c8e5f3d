"""The bounded fetcher against a real HTTP server on loopback."""

from __future__ import annotations

import gzip
import http.server
import threading
import time

import pytest

from newsroom.ingest.fetch import FetchError, fetch

BIG = b"x" * 300_000
# Set by the server when it has sent the last slow byte of a drip.
DRIPPED = threading.Event()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self):  # noqa: N802 - the stdlib's name
        path = self.path
        if path == "/ok":
            self._send(b"<rss/>")
        elif path == "/empty-feed":
            self._send(
                b'<?xml version="1.0"?><rss version="2.0"><channel>'
                b"<title>Wire</title><link>https://wire.example/</link>"
                b"<description>Nothing yet</description></channel></rss>"
            )
        elif path == "/big":
            self._send(BIG)
        elif path == "/big-no-length":
            self.send_response(200)
            self.end_headers()
            self.wfile.write(BIG)
        elif path == "/bomb":
            self._send(gzip.compress(b"\0" * 50_000_000), encoding="gzip")
        elif path == "/drip":
            self.send_response(200)
            self.end_headers()
            for _ in range(100):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.05)
        elif path in ("/drip-headers", "/drip-chunked"):
            self._drip(path)
        elif path.startswith("/to/"):
            self.send_response(302)
            self.send_header("Location", path[4:].replace("|", "://", 1))
            self.end_headers()
        elif path == "/loop":
            self.send_response(301)
            self.send_header("Location", "/loop")
            self.end_headers()
        else:
            self.send_response(404)
            self.end_headers()

    def _send(self, body: bytes, encoding: str = "") -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass

    def _drip(self, path: str) -> None:
        """A header line, or a chunk's size, one byte every 0.1 s for 5 s."""
        if path == "/drip-headers":
            head = b"HTTP/1.0 200 OK\r\n"
            slow = b"X-Drip: " + b"a" * 42
            rest = b"\r\n\r\n<rss/>"
        else:
            head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            slow = b"0" * 49 + b"6"
            rest = b"\r\n<rss/>\r\n0\r\n\r\n"
        try:
            self.wfile.write(head)
            for byte in slow:
                time.sleep(0.1)
                self.wfile.write(bytes([byte]))
            DRIPPED.set()  # before the rest: nothing is read whole before it
            self.wfile.write(rest)
        except OSError:
            pass  # the client went away

    def log_message(self, *args):
        pass


@pytest.fixture
def server(settings):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    settings.NEWSROOM_FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    DRIPPED.clear()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    srv.server_close()


def get(url: str, **kw):
    options = {"max_bytes": 100_000, "seconds": 5, "max_redirects": 3, **kw}
    return fetch(url, **options)


def test_fetches_within_the_bounds(server):
    """A small body from an allowed address comes back whole."""
    assert get(server + "/ok").body == b"<rss/>"


def test_loopback_and_private_addresses_are_refused_by_default(server, settings):
    """Without the operator's allowance, loopback is not a public address."""
    settings.NEWSROOM_FETCH_ALLOWED_NETWORKS = []
    with pytest.raises(FetchError, match="non-public"):
        get(server + "/ok")
    for url in ("http://10.0.0.1/", "http://169.254.169.254/", "http://[::1]/"):
        with pytest.raises(FetchError, match="non-public"):
            get(url)


def test_a_body_over_the_cap_is_refused(server):
    """Over the byte cap: refused, whether or not Content-Length says so."""
    with pytest.raises(FetchError, match="cap"):
        get(server + "/big")
    with pytest.raises(FetchError, match="cap"):
        get(server + "/big-no-length")


def test_a_gzip_bomb_stops_at_the_cap(server):
    """50 MB of zeros in 50 kB of gzip expands only to the cap, then stops."""
    with pytest.raises(FetchError, match="cap"):
        get(server + "/bomb")


def test_a_slow_drip_stops_at_the_deadline(server):
    """One byte every 50 ms never finishes; the overall deadline ends it."""
    started = time.monotonic()
    with pytest.raises(FetchError, match="deadline|timed out"):
        get(server + "/drip", seconds=0.5)
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("path", ["/drip-headers", "/drip-chunked"])
def test_a_drip_in_the_headers_or_a_chunk_size_stops_at_the_deadline(server, path):
    """A server sending a header line, or a chunk's size line, one byte every
    0.1 s is left at the deadline, while it is still sending: the socket's
    timeout bounded each read alone, so every byte started the clock again
    and the fetch lasted as long as the server cared to drip (a header line
    may be 64 KB long)."""
    with pytest.raises(FetchError, match="deadline"):
        get(server + path, seconds=0.5)
    assert not DRIPPED.is_set()


def test_redirects_are_checked_at_every_hop(server):
    """A redirect to another loopback address, to ftp, or in a loop is refused;
    one to an allowed address is followed."""
    assert get(server + "/to/" + server.replace("://", "|") + "/ok").body == b"<rss/>"
    port = server.rsplit(":", 1)[1]
    with pytest.raises(FetchError, match="non-public"):
        get(server + f"/to/http|127.0.0.2:{port}/ok")
    with pytest.raises(FetchError, match="only http"):
        get(server + "/to/ftp|127.0.0.1/file")
    with pytest.raises(FetchError, match="file"):
        get(server + "/to/file|/etc/passwd")
    with pytest.raises(FetchError, match="redirects"):
        get(server + "/loop")


def test_only_http_and_https_urls(server):
    """file:, ftp: and schemeless URLs are refused before any connection."""
    for url in ("file:///etc/passwd", "ftp://127.0.0.1/x", "/etc/passwd"):
        with pytest.raises(FetchError, match="only http"):
            get(url)


def test_an_address_python_cannot_split_is_refused_not_raised(server):
    """An imported file's picture at ``http://[::1/x.jpg`` (or a hostile
    server's redirect there) is a FetchError the import reports for that
    picture: a ValueError from ``urlsplit`` escaped the fetch before."""
    for url in ("http://[::1/x.jpg", "https://a]b.example/x.jpg", "http://a[b/"):
        with pytest.raises(FetchError, match="cannot read"):
            get(url)
    with pytest.raises(FetchError, match="cannot read"):
        get(server + "/to/http|[::1/x.jpg")


@pytest.mark.django_db
def test_a_feed_with_no_entry_for_now_says_so_and_exits_0(server):
    """A feed polled by cron is often empty for now: ``import_articles``
    says no record was found on stderr and exits 0 (a file named on purpose
    with no record exits 1, test_idempotency.py); a failure every run would
    bury the real ones."""
    from .conftest import import_articles

    run = import_articles(f"{server}/empty-feed")
    assert "0 read" in run.out
    assert "no record found in" in run.err
