"""Counters played as an attacker would, against a real HTTP server on 127.0.0.1.

The server is the site's own WSGI stack (the front cache around Django), with
the page cache on, so reads are counted on both paths: the page Django renders
and the copies the front cache serves without Django. Every request comes
from one network (the loopback peer) and forges X-Forwarded-For; the user
agent changes to pretend to be many visitors.
"""

from __future__ import annotations

import http.client
import re
import threading
from http.cookies import SimpleCookie

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.db import connections

from newsroom.articles.tests import factories as f
from newsroom.shares import reads
from newsroom.shares.models import ReadCount, ShareCount
from newsroom.web import front

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

AGENTS = [
    f"Mozilla/5.0 (X11; Linux x86_64; rv:{100 + n}.0) Gecko/20100101 Firefox/{n}.0"
    for n in range(100)
]
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:  # no access log in the test output
        pass


class Django(WSGIHandler):
    """Django's handler, counting how many requests reached it."""

    calls = 0

    def __call__(self, environ, start_response):
        type(self).calls += 1
        return super().__call__(environ, start_response)


@pytest.fixture
def server(settings):
    """The front cache and Django behind a threaded HTTP server; its port."""
    settings.NEWSROOM_PAGE_CACHE_SECONDS = 60
    settings.NEWSROOM_READS_PER_NETWORK_DAY = 20
    settings.NEWSROOM_SHARES_PER_NETWORK_DAY = 10
    settings.ALLOWED_HOSTS = ["127.0.0.1", "testserver"]
    reads.buffer.clear()
    Django.calls = 0
    httpd = ThreadedWSGIServer(("127.0.0.1", 0), Quiet, allow_reuse_address=False)
    httpd.set_app(front.wrap(Django()))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)
        reads.buffer.clear()
        connections.close_all()


def request(port, method, path, headers=None, body=b""):
    """One request on its own connection; never follows a redirect."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def forged(n: int) -> dict[str, str]:
    """A visitor that changes its user agent and claims another address."""
    return {
        "User-Agent": AGENTS[n % len(AGENTS)],
        "X-Forwarded-For": f"10.{n % 250}.{n // 250}.7",
    }


def reads_of(article) -> int:
    reads.flush()
    return sum(
        ReadCount.objects.filter(article=article).values_list("count", flat=True)
    )


def shares_of(article) -> int:
    return sum(
        ShareCount.objects.filter(article=article).values_list("count", flat=True)
    )


def test_2000_gets_with_100_agents_add_at_most_the_daily_cap(server):
    """2,000 GETs of one article from one network, 100 user agents and forged
    X-Forwarded-For, most answered by the front cache: +20 reads, the cap."""
    a = f.article("Read me 2,000 times")
    for n in range(2000):
        status, _, _ = request(server, "GET", a.get_absolute_url(), forged(n))
        assert status == 200
    assert Django.calls < 100  # the front cache answered the rest
    assert reads_of(a) == 20


def test_a_reader_counts_once_and_prefetch_head_and_bots_never(server):
    """One person's repeat views are one read; HEAD, the three prefetch
    headers and a crawler count nothing, on Django's path and the cache's."""
    a = f.article("Read once")
    url = a.get_absolute_url()
    person = {"User-Agent": AGENTS[0]}
    for headers in (
        {**person, "Sec-Purpose": "prefetch;prerender"},
        {**person, "Purpose": "prefetch"},
        {**person, "X-Moz": "prefetch"},
        {"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1)"},
    ):
        for _ in range(2):  # the first reaches Django, the second the cache
            assert request(server, "GET", url, headers)[0] == 200
    assert request(server, "HEAD", url, person)[0] == 200
    assert reads_of(a) == 0
    for _ in range(5):
        assert request(server, "GET", url, person)[0] == 200
    assert reads_of(a) == 1


def _page_token(port, article, headers) -> tuple[str, str]:
    """What the article page gives a visitor: its CSRF cookie and form token."""
    status, got, body = request(port, "GET", article.get_absolute_url(), headers)
    assert status == 200
    cookie = SimpleCookie(got["Set-Cookie"])["csrftoken"].value
    return cookie, TOKEN.search(body.decode()).group(1)


def test_100_share_posts_with_100_agents_add_at_most_the_daily_cap(server):
    """100 share POSTs (with valid CSRF, as a script that reads the page would
    send them) from one network with 100 user agents: +10 shares, the cap."""
    a = f.article("Share me 100 times")
    statuses = set()
    for n in range(100):
        headers = forged(n)
        cookie, token = _page_token(server, a, headers)
        network = ("facebook", "x", "linkedin", "whatsapp", "telegram")[n % 5]
        status, got, _ = request(
            server,
            "POST",
            f"/share/{network}/{a.pk}/",
            {
                **headers,
                "Cookie": f"csrftoken={cookie}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://127.0.0.1:{server}/",
            },
            f"csrfmiddlewaretoken={token}".encode(),
        )
        statuses.add(status)
        assert status == 303 and got["Location"].startswith("https://")
    assert statuses == {303}
    assert shares_of(a) == 10


def test_a_get_of_a_share_url_only_redirects(server):
    """An <img> or link on any page fetches the share URL with GET: it is sent
    on to the network and nothing is counted, whatever the user agent."""
    a = f.article("Shared by an image")
    for n in range(50):
        status, got, _ = request(
            server,
            "GET",
            f"/share/facebook/{a.pk}/",
            {**forged(n), "Accept": "image/*"},
        )
        assert status == 302 and "facebook.com" in got["Location"]
    assert shares_of(a) == 0


def test_a_cross_site_post_without_csrf_counts_nothing(server):
    """A form on another site posting to a share URL (no token, foreign
    Origin) is refused with 403 and counts nothing."""
    a = f.article("Shared cross-site")
    for path in (f"/share/x/{a.pk}/", f"/share/copy/{a.pk}/"):
        status, _, _ = request(
            server,
            "POST",
            path,
            {
                "User-Agent": AGENTS[1],
                "Origin": "https://evil.example",
                "Content-Type": "application/x-www-form-urlencoded",
            },
            b"",
        )
        assert status == 403
    assert shares_of(a) == 0
