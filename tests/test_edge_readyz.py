"""/readyz through the shipped nginx site: it names this cluster's nodes,
their index generations and outbox positions, and costs the database four
queries, so a stranger gets nginx's 403 and the app never sees the request.
Monitoring polls each node's own :8000 (docs/operations.md), and a check run
on the nginx machine itself still gets through. /healthz (no query, says
"ok") stays open."""

from __future__ import annotations

import pytest

from .edge import serve_edge


@pytest.fixture
def edge(tmp_path):
    with serve_edge(tmp_path) as edge:
        yield edge


def test_a_stranger_cannot_read_readiness(edge):
    for path in ("/readyz", "/readyz?x=1"):
        status, _, _ = edge.request("GET", path, source="127.0.0.2")
        assert status == 403, path
    assert not [s for s in edge.seen if s[1].startswith("/readyz")]


def test_the_nginx_machine_and_health_still_get_through(edge):
    status, _, body = edge.request("GET", "/readyz", source="127.0.0.1")
    assert (status, body) == (200, b"app: GET /readyz")
    status, _, body = edge.request("GET", "/healthz", source="127.0.0.2")
    assert (status, body) == (200, b"app: GET /healthz")
