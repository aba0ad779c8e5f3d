"""TLS ended before nginx (docs/operations.md: "or terminate TLS before
nginx"): the terminator's X-Forwarded-Proto reaches the app, nobody else's."""

from __future__ import annotations

import pytest

from .edge import serve_edge

TERMINATOR = "127.0.0.2"
HOOK = "    # 10.0.0.2 1;"


def name_the_terminator(text: str) -> str:
    """As the operator would: the terminator's address in the site file."""
    return text.replace(HOOK, f"    {TERMINATOR} 1;")


@pytest.fixture
def edge(tmp_path):
    with serve_edge(tmp_path, edit=name_the_terminator) as edge:
        yield edge


def proto_seen(edge, source: str, claimed: str | None) -> str:
    headers = {"X-Forwarded-Proto": claimed} if claimed else {}
    status, _, _ = edge.request("GET", "/", headers=headers, source=source)
    assert status == 200
    return edge.headers_seen[-1]["X-Forwarded-Proto"]


def test_the_terminators_https_reaches_the_app(edge):
    """Replaced by nginx's own scheme (http), it made the app (NEWSROOM_HTTPS)
    redirect every request to the https address it came from: a loop."""
    assert proto_seen(edge, TERMINATOR, "https") == "https"
    assert proto_seen(edge, TERMINATOR, "http") == "http"


def test_anyone_elses_claim_is_replaced_by_the_scheme(edge):
    assert proto_seen(edge, "127.0.0.1", "https") == "http"
    assert proto_seen(edge, "127.0.0.1", None) == "http"
    assert proto_seen(edge, TERMINATOR, "javascript") == "http"
