"""The API's errors that nginx answers itself are the API's JSON shape.

Behind the shipped site file a body past ``client_max_body_size`` (413) and
an app server that does not answer (502/504) were nginx's own HTML pages,
which an API client cannot read as the errors docs/api.md promises
(``{"error": {"code", "message", "details"}}``). Pages keep nginx's own.
"""

from __future__ import annotations

import json
import re

import pytest

from .edge import serve_edge


@pytest.fixture
def edge(tmp_path):
    with serve_edge(tmp_path) as edge:
        yield edge


def _error(status: int, headers: dict, body: bytes) -> dict:
    assert headers["Content-Type"].startswith("application/json"), headers
    assert headers.get("Cache-Control") == "no-store", headers
    payload = json.loads(body)
    assert set(payload["error"]) == {"code", "message", "details"}, payload
    return payload["error"]


def test_an_api_body_past_nginxs_limit_is_a_json_413(edge):
    body = b"x" * (11 << 20)
    status, headers, answer = edge.request(
        "POST", "/api/v1/comments", body, {"Content-Type": "application/json"}
    )
    assert status == 413
    assert _error(status, headers, answer)["code"] == "too_large"
    assert edge.seen == []
    page, page_headers, _ = edge.request("POST", "/comments/post/1/", body)
    assert page == 413 and "html" in page_headers["Content-Type"]


def test_an_api_request_no_app_server_answers_is_a_json_502(tmp_path):
    def nobody_home(site: str) -> str:
        # Every upstream line points at a port nothing listens on.
        return re.sub(r"server 127\.0\.0\.1:\d+", "server 127.0.0.1:9", site)

    with serve_edge(tmp_path, edit=nobody_home) as edge:
        status, headers, answer = edge.request("GET", "/api/v1/articles")
        assert status == 502
        error = _error(status, headers, answer)
        assert error["code"] == "unavailable"
        page, page_headers, _ = edge.request("GET", "/")
        assert page == 502 and "html" in page_headers["Content-Type"]
