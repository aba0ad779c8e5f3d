"""Request bodies behind the shipped nginx site: what the app accepts, nginx
lets through (docs/media.md: one picture may be NEWSROOM_MEDIA_MAX_BYTES)."""

from __future__ import annotations

import pytest
from django.conf import settings

from .edge import serve_edge


@pytest.fixture
def edge(tmp_path):
    with serve_edge(tmp_path) as edge:
        yield edge


def multipart(size: int) -> tuple[bytes, str]:
    boundary = "newsroomedgetest"
    body = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="upload"; filename="big.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    body += b"\xff" * size + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_a_picture_the_library_accepts_reaches_the_app(edge):
    """An editor's upload of the largest picture the library takes (and a
    second one beside it, as the several-file upload sends them) reaches
    the app, which checks it and says what is wrong, rather than nginx's
    bare 413 page."""
    body, kind = multipart(2 * settings.NEWSROOM_MEDIA_MAX_BYTES)
    status, _, answer = edge.request(
        "POST", "/admin/media/image/add/", body, {"Content-Type": kind}
    )
    assert (status, answer) == (200, b"app: POST /admin/media/image/add/")


def test_reader_routes_keep_the_small_limit(edge):
    """Elsewhere (comments, shares, the API) a body over 10 MB is refused by
    nginx before any app server reads it."""
    body, kind = multipart(11 << 20)
    for path in ("/comments/post/1/", "/api/v1/comments", "/admin/login/"):
        status, _, _ = edge.request("POST", path, body, {"Content-Type": kind})
        assert status == 413, path
    assert edge.seen == []
