"""Pictures behind the shipped nginx site: renditions made on first request,
originals never served (docs/media.md)."""

from __future__ import annotations

import pytest

from .edge import serve_edge

ORIGINAL = "/media/originals/ab/" + "ab" * 32 + ".jpg"


@pytest.fixture
def edge(tmp_path):
    with serve_edge(tmp_path) as edge:
        yield edge


def test_a_rendition_not_made_yet_is_passed_to_the_app(edge):
    """Renditions are made on first request by the app's view: nginx serves
    the ones on disk and passes a missing one on. A fresh site (no rendition
    made yet) otherwise shows every picture broken, nginx's bare 404."""
    status, _, body = edge.request("GET", "/media/r/0123456789abcdef/640w.webp")
    assert (status, body) == (200, b"app: GET /media/r/0123456789abcdef/640w.webp")


def test_a_rendition_on_disk_is_served_by_nginx_with_its_policy(edge):
    status, headers, body = edge.request("GET", "/media/r/0123456789abcdef/320w.jpg")
    assert status == 200
    assert body == b"\xff\xd8 a rendition \xff\xd9"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in headers["Content-Security-Policy"]
    assert edge.seen == []


@pytest.mark.parametrize(
    "path",
    [
        ORIGINAL,
        "/media/originals/ab/%2e%2e/ab/" + "ab" * 32 + ".jpg",
        "/media/r/../originals/ab/" + "ab" * 32 + ".jpg",
    ],
)
def test_originals_are_never_served(edge, path):
    """The full-size upload stays private: only renditions are public."""
    status, _, body = edge.request("GET", path)
    assert status == 404
    assert b"the full-size original" not in body


def test_static_files_nginx_serves_are_not_sniffed(edge):
    """Static files nginx answers itself carry nosniff, as WhiteNoise adds it
    when the app serves them: the kit's /static/ location sent none."""
    status, headers, body = edge.request("GET", "/static/site.css")
    assert (status, body) == (200, b"body{}")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert edge.seen == []


def test_half_written_renditions_are_never_served(edge):
    """A rendition is written under var/media/partial/ and renamed into r/;
    one left half written in r/ by an earlier version (written beside the
    finished file as ``.<name>.<pid>-<thread>.tmp``, kept by a SIGKILL) is
    not served either, nor passed to the app: nginx served any file under
    r/ whose name was guessed, as an immutable picture."""
    key = edge.var / "media" / "r" / "0123456789abcdef"
    (key / ".640w.jpg.812-140181912685440.tmp").write_bytes(b"\xff\xd8 half")
    partial = edge.var / "media" / "partial"
    partial.mkdir()
    (partial / "0123456789abcdef-640w.jpg.812-1.tmp").write_bytes(b"\xff\xd8 half")
    for path in [
        "/media/r/0123456789abcdef/.640w.jpg.812-140181912685440.tmp",
        "/media/r/0123456789abcdef/%2e640w.jpg.812-140181912685440.tmp",
        "/media/partial/0123456789abcdef-640w.jpg.812-1.tmp",
    ]:
        status, _, body = edge.request("GET", path)
        assert status == 404, path
        assert b"half" not in body
    assert edge.seen == []
