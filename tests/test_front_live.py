"""The front cache in a real granian server, probed over HTTP by hostile clients.

A fresh demo newsroom (migrate, load_demo, collectstatic in a temporary
var/) is served by granian with the prod settings, HTTPS on (so a plain-HTTP
request is redirected) and the page cache on; the test stands in for the
trusted proxy in front (NEWSROOM_TRUSTED_PROXIES=127.0.0.1). The server is
stopped by its process group at the end. Its database is always a SQLite
file of its own, as in tests/test_make_run.py.
"""

from __future__ import annotations

import http.client
import subprocess
import sys
from pathlib import Path

import pytest

from .test_make_run import (
    demo_site,
    free_port,
    stop_group,
    story_path,
    wait_for_port,
)

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """granian on a demo newsroom behind a trusted proxy (this test); yields
    its port."""
    var = tmp_path_factory.mktemp("front-live") / "var"
    port = free_port()
    env = demo_site(
        var,
        NEWSROOM_HTTPS="true",
        NEWSROOM_TRUSTED_PROXIES="127.0.0.1",
        NEWSROOM_PAGE_CACHE_SECONDS="300",
    )
    log_path = var / "granian.log"
    log = log_path.open("w")
    # One worker: every request meets the same front cache.
    granian = subprocess.Popen(
        [
            str(BIN / "granian"),
            "--interface",
            "wsgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "newsroom.wsgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for_port(port, granian, log, log_path, 60)
        yield port
    finally:
        stop_group(granian)
        log.close()


def get(port: int, path: str, headers: dict) -> tuple[int, dict, bytes]:
    """One GET as the proxy passes it on; status, headers (lower-case), body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Host": "localhost", **headers})
        response = conn.getresponse()
        return (
            response.status,
            {k.lower(): v for k, v in response.getheaders()},
            response.read(),
        )
    finally:
        conn.close()


def test_a_forged_https_does_not_keep_plain_http_readers_off_https(server):
    """The proxy appends its own X-Forwarded-Proto to what the client sent
    (``https, http`` for a plain-HTTP client claiming HTTPS). The front cache
    took the proxy's (last) value, Django the client's (first): Django
    rendered the page as if over HTTPS, the front cache kept it for plain
    HTTP, and every plain-HTTP reader after got the page, not the redirect."""
    path = story_path(2)
    plain = {"X-Forwarded-Proto": "http"}
    status, headers, _ = get(server, path, plain)
    assert status == 301 and headers["location"].startswith("https://"), status
    forged, _, _ = get(server, path, {"X-Forwarded-Proto": "https, http"})
    # The next plain-HTTP reader is still sent to HTTPS.
    status, headers, _ = get(server, path, plain)
    assert (status, headers.get("location", "")[:8]) == (301, "https://")
    assert forged == 301, "a plain-HTTP client is redirected, whatever it claims"
    # A reader over HTTPS gets the page (kept, and from the cache after).
    for _ in range(2):
        status, headers, body = get(server, path, {"X-Forwarded-Proto": "https"})
        assert status == 200 and b"<article" in body, status
        assert "strict-transport-security" in headers
