"""nginx's per-address burst guards in the shipped site file: they stop
floods of the costly requests and never a reader's ordinary browsing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from .edge import serve_edge


@pytest.fixture
def edge(tmp_path):
    with serve_edge(tmp_path) as edge:
        yield edge


def statuses(edge, method: str, paths: list[str]) -> list[int]:
    body = b"text=hello" if method == "POST" else None
    with ThreadPoolExecutor(len(paths)) as pool:
        return list(pool.map(lambda p: edge.request(method, p, body)[0], paths))


def test_opening_several_articles_at_once_shows_every_comment_code(edge):
    """Each article page loads its comment form's code image from
    /comments/code/; a reader who opens eight stories from the home page in
    tabs at once gets all eight, not nginx's 429 for the code of some."""
    paths = [f"/comments/code/tok{n}.png?article={n}" for n in range(8)]
    assert statuses(edge, "GET", paths) == [200] * 8


def test_comment_posts_are_still_held_to_a_burst(edge):
    paths = [f"/comments/post/{n}/" for n in range(12)]
    found = statuses(edge, "POST", paths)
    assert found.count(429) >= 5, found
    assert found.count(200) <= 7, found


def test_a_flood_of_code_images_is_still_cut(edge):
    """Drawing a code costs the app a few ms: a flood from one address is
    still refused by nginx."""
    paths = [f"/comments/code/tok{n}.png?article=1" for n in range(45)]
    found = statuses(edge, "GET", paths)
    assert found.count(429) >= 15, found


def test_nginxs_own_429_says_when_to_come_back_in_a_page_a_reader_can_read(edge):
    """A reader who types fast in the search box, or a script, meets nginx's
    burst guard. Its 429 was nginx's bare page: no Retry-After, so a client
    could not tell when to try again, and nothing in the words of the site.
    Now it is a short page of the site's own that says what happened and
    when to try again, with Retry-After and kept by no cache; the app's own
    429s (its per-network limits) still pass as the app wrote them."""
    paths = [f"/search/?q=flood{n}" for n in range(45)]
    with ThreadPoolExecutor(len(paths)) as pool:
        answers = list(pool.map(lambda p: edge.request("GET", p), paths))
    refused = [a for a in answers if a[0] == 429]
    assert len(refused) >= 15, [a[0] for a in answers]
    for _, headers, body in refused:
        assert headers.get("Retry-After") == "1"
        assert headers.get("Cache-Control") == "no-store"
        assert headers["Content-Type"].startswith("text/html")
        assert "charset=utf-8" in headers["Content-Type"]
        text = body.decode()
        assert "<title>Too many requests" in text
        assert "try again" in text and 'href="/"' in text
        assert "nginx" not in text
