"""The front cache's key, markers and memory cannot be steered from outside."""

from __future__ import annotations

from wsgiref.util import setup_testing_defaults

import pytest

from newsroom.articles.models import Article
from newsroom.articles.tests import factories as f
from newsroom.core import slots
from newsroom.web import front

from .test_front import BROWSER, Served, app  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def get(app, path: str, **environ) -> Served:  # noqa: F811
    env = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "HTTP_HOST": "testserver",
        "HTTP_USER_AGENT": BROWSER,
        **environ,
    }
    setup_testing_defaults(env)
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen.update(status=status, headers=headers)

    result = app(env, start_response)
    body = b"".join(result)
    if hasattr(result, "close"):
        result.close()
    return Served(seen["status"], seen["headers"], body, env)


def test_host_ports_case_and_forwarded_proto_share_one_entry(app, settings):  # noqa: F811
    """Ports, letter case and an untrusted X-Forwarded-Proto do not make new
    entries: one page is stored, the rest are hits."""
    settings.ALLOWED_HOSTS = ["news.example"]
    url = f.article("Keyed once").get_absolute_url()
    assert get(app, url, HTTP_HOST="news.example").from_django
    for n, host in enumerate(["news.example:1", "NEWS.example:65535", "news.example"]):
        hit = get(app, url, HTTP_HOST=host, HTTP_X_FORWARDED_PROTO=f"https{n}")
        assert hit.status.startswith("200") and not hit.from_django
    assert len(app.pages) == 1


def test_a_host_django_refuses_is_never_served_from_the_cache(app, settings):  # noqa: F811
    """A host outside ALLOWED_HOSTS goes to Django, which answers 400."""
    settings.ALLOWED_HOSTS = ["news.example"]
    url = f.article("Host checked").get_absolute_url()
    get(app, url, HTTP_HOST="news.example")
    evil = get(app, url, HTTP_HOST="evil.example")
    assert evil.from_django and evil.status.startswith("400")


def test_an_empty_host_header_is_refused_whether_or_not_the_page_is_kept(
    app,  # noqa: F811
    settings,
):
    """``Host:`` sent empty is Django's 400 (it reads the header, present and
    empty); the front cache took the server's own name in its place and
    served the kept page: 200 or 400 by whether the worker had kept it."""
    settings.ALLOWED_HOSTS = ["news.example", "127.0.0.1"]
    url = f.article("Empty host").get_absolute_url()
    kept = get(app, url, HTTP_HOST="127.0.0.1", SERVER_NAME="127.0.0.1")
    assert kept.status.startswith("200")
    assert len(app.pages) == 1
    empty = get(app, url, HTTP_HOST="", SERVER_NAME="127.0.0.1")
    assert empty.from_django and empty.status.startswith("400"), empty.status


def test_forwarded_proto_counts_only_behind_a_trusted_proxy(app, settings):  # noqa: F811
    """Behind a trusted proxy, http and https are two entries."""
    settings.NEWSROOM_TRUSTED_PROXIES = "1"
    url = f.article("Schemes").get_absolute_url()
    get(app, url, HTTP_X_FORWARDED_PROTO="https")
    assert get(app, url, HTTP_X_FORWARDED_PROTO="http").from_django
    assert not get(app, url, HTTP_X_FORWARDED_PROTO="https").from_django
    assert len(app.pages) == 2


def test_the_store_is_bounded_in_bytes(app, settings):  # noqa: F811
    """With a budget of a few pages, the store never holds more bytes than
    the budget; the oldest page goes first."""
    urls = [f.article(f"Budget {n:02d}").get_absolute_url() for n in range(12)]
    get(app, urls[0])
    # Room for eight pages of this size (a page over an eighth is not kept).
    settings.NEWSROOM_PAGE_CACHE_BYTES = app.bytes * 8 + 400
    for url in urls:
        get(app, url)
        assert app.bytes <= front.budget()
        assert app.bytes == sum(p.size for p in app.pages.values())
    assert ("http", "", urls[-1]) in app.pages
    assert ("http", "", urls[0]) not in app.pages


def test_expired_pages_leave_the_store(app, settings, monkeypatch):  # noqa: F811
    """Past the TTL a page is dropped at the next use of the cache."""
    first = f.article("Expires").get_absolute_url()
    second = f.article("Later").get_absolute_url()
    get(app, first)
    clock = front.time.monotonic()
    monkeypatch.setattr(front.time, "monotonic", lambda: clock + 31)
    get(app, second)
    assert list(app.pages) == [("http", "", second)]
    assert app.bytes == app.pages[("http", "", second)].size


def test_text_cannot_carry_a_marker(app):  # noqa: F811
    """A headline holding the old fixed marker text (or a 4,400-digit stamp)
    stays text: no visitor's token is put into it, and the page is 200."""
    from django.db import connection

    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL text cannot hold NUL, so it cannot store a marker")
    a = f.article("Plain")
    for text in ["\x00nr:csrf\x00", "\x00nr:stamp." + "9" * 4400 + "\x00"]:
        Article.objects.filter(pk=a.pk).update(headline=f"Head {text} line")
        app.clear()
        page = get(app, a.get_absolute_url())
        assert page.status.startswith("200")
        assert "nr:" in page.html  # shown as text, never filled
    assert slots.NONCE not in page.html
    assert slots.split(f"a{slots.CSRF}b") == ["a", "csrf", "b"]
    assert slots.split("a\x00nr:csrf\x00b") == ["a\x00nr:csrf\x00b"]
