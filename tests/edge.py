"""The shipped nginx site file in front of a stand-in app, for tests of the kit.

Debian's nginx serves deploy/nginx/newsroom.conf (and its proxy snippet) from
a temporary prefix, in front of a stand-in for the app servers: a small HTTP
server that answers every request it is passed with ``app: METHOD PATH``, so
a test sees which requests nginx answers itself (files, limits) and which
reach the app. The two-node test (tests/test_two_nodes.py) runs the real app
behind the same file. Use it as ``with serve_edge(tmp_path) as edge:``.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from .nginx import nginx_binary, prefix_with, render_site

HOST = "news.example.org"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _App(BaseHTTPRequestHandler):
    """Stands for granian: says what it was asked, reads any body."""

    seen: list[tuple[str, str, int]] = []
    headers: list[dict[str, str]] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        left = length
        while left > 0:
            left -= len(self.rfile.read(min(left, 1 << 20)))
        type(self).seen.append((self.command, self.path, length))
        type(self).headers.append(dict(self.headers.items()))
        body = f"app: {self.command} {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_HEAD = _answer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass


class Edge:
    def __init__(self, port: int, var: Path) -> None:
        self.port = port
        self.var = var

    @property
    def seen(self) -> list[tuple[str, str, int]]:
        """(method, path, body length) of each request the app was passed."""
        return _App.seen

    @property
    def headers_seen(self) -> list[dict[str, str]]:
        """The headers of each request the app was passed, as nginx sent them."""
        return _App.headers

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict | None = None,
        source: str = "127.0.0.1",
    ) -> tuple[int, dict, bytes]:
        """``source``: the client's address (any of 127.0.0.0/8)."""
        conn = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=30, source_address=(source, 0)
        )
        try:
            conn.request(
                method, path, body=body, headers={"Host": HOST, **(headers or {})}
            )
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()


@contextlib.contextmanager
def serve_edge(tmp_path: Path, edit=None) -> Iterator[Edge]:
    """``edit``: a function of the rendered site file's text, for a test that
    fills in what the operator would (an address, a name)."""
    binary = nginx_binary()
    var = tmp_path / "var"
    (var / "static").mkdir(parents=True)
    (var / "static" / "site.css").write_text("body{}")
    original = var / "media" / "originals" / "ab" / ("ab" * 32 + ".jpg")
    original.parent.mkdir(parents=True)
    original.write_bytes(b"\xff\xd8 the full-size original \xff\xd9")
    made = var / "media" / "r" / "0123456789abcdef" / "320w.jpg"
    made.parent.mkdir(parents=True)
    made.write_bytes(b"\xff\xd8 a rendition \xff\xd9")

    _App.seen = []
    _App.headers = []
    app = ThreadingHTTPServer(("127.0.0.1", 0), _App)
    threading.Thread(target=app.serve_forever, daemon=True).start()
    port = free_port()
    prefix = tmp_path / "nginx"
    site = render_site(
        prefix, [f"127.0.0.1:{app.server_address[1]}"], f"127.0.0.1:{port}", var
    )
    if edit is not None:
        site.write_text(edit(site.read_text()))
    main = prefix_with(site, prefix)
    server = subprocess.Popen(
        [binary, "-p", str(prefix), "-c", str(main)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"nginx did not start: {server.stderr.read()!r}")
                time.sleep(0.05)
        yield Edge(port, var)
    finally:
        server.terminate()
        server.wait(timeout=10)
        app.shutdown()
        app.server_close()
