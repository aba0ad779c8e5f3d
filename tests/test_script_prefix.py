"""What an article page keeps for every reader follows the request's script prefix.

The share bar, the comment form, the related stories and the page's social
head are rendered once per article and kept for every reader; their links
carry the script prefix (``SCRIPT_NAME``: the path a site is mounted under).
One request under another prefix (gunicorn takes a ``SCRIPT_NAME`` header
from a loopback peer; a monitor asking the app beside the proxy that mounts
it under ``/news/``) must not leave its prefix in every reader's links.
"""

from __future__ import annotations

import io
import re
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.urls import clear_script_prefix

from newsroom.articles.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _prefix_reset():
    # The test client leaves the last request's prefix in this thread.
    yield
    clear_script_prefix()


def get(path: str, script_name: str = "") -> str:
    """The page as the WSGI server's request gets it (Django's test client
    never sets the script prefix: the handler the servers call does)."""
    environ = {
        "PATH_INFO": path,
        "SCRIPT_NAME": script_name,
        "HTTP_HOST": "testserver",
        "wsgi.input": io.BytesIO(),
    }
    setup_testing_defaults(environ)
    status: list[str] = []
    # As the test client does: the test's transaction keeps its connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        app = get_wsgi_application()
        body = app(environ, lambda s, h, e=None: status.append(s))
        page = b"".join(body).decode()
        body.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    assert status == ["200 OK"]
    return page


def links(html: str) -> list[str]:
    return re.findall(r'(?:href|action|content|src)="([^"]*)"', html)


def test_one_request_under_another_prefix_leaves_it_in_no_readers_links(settings):
    """A request under ``/evil`` is answered with ``/evil/`` links; the next
    reader's page (no prefix) has none of them: not in the share bar, the
    comment form, the related stories or the social head."""
    settings.SITE_URL = "https://news.example"
    story = f.article("Harbour flood warning", tags=("Harbour",))
    f.article("Harbour walls rebuilt", tags=("Harbour",))
    path = story.get_absolute_url()
    forged = get(path, script_name="/evil")
    assert f"/evil/share/copy/{story.pk}/" in forged  # the forged prefix's own page
    assert f"/evil/comments/post/{story.pk}/" in forged
    page = get(path)
    kept = sorted({link for link in links(page) if "/evil/" in link})
    assert not kept, f"another request's prefix in a reader's page: {kept}"


def test_a_feed_kept_for_every_reader_names_no_other_requests_prefix(settings):
    """A feed is kept for every reader for a minute: one read under
    ``/evil`` left ``https://news.example/evil/...`` as every story's link."""
    settings.SITE_URL = "https://news.example"
    settings.NEWSROOM_FEED_CACHE_SECONDS = 60
    f.article("Harbour flood warning")
    assert "https://news.example/evil/" in get("/feeds/rss/", script_name="/evil")
    feed = get("/feeds/rss/")
    kept = sorted(set(re.findall(r"https://news\.example/evil/[^<\"]*", feed)))
    assert not kept, f"another request's prefix in the feed: {kept}"
