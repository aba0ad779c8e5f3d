"""The front cache in the WSGI callable: fast hits, per-visitor values, never shared.

Requests go through the real WSGI stack (FrontCache around Django's
WSGIHandler) with a WSGI environ, as granian or gunicorn would call it.
"""

from __future__ import annotations

import re
import time
from http.cookies import SimpleCookie
from wsgiref.util import setup_testing_defaults

import pytest
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client

from newsroom.articles.models import Article
from newsroom.articles.tests import factories as f
from newsroom.comments.confirmation import answer_for
from newsroom.comments.forms import stamp_age
from newsroom.comments.models import Comment
from newsroom.shares import reads
from newsroom.web import front

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def field(html: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', html)
    assert match, name
    return match.group(1).replace("&amp;", "&")


class Served:
    def __init__(self, status: str, headers: list, body: bytes, environ: dict):
        self.status, self.headers, self.body, self.environ = (
            status,
            headers,
            body,
            environ,
        )
        self.html = body.decode()

    def header(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    @property
    def cookie(self) -> str | None:
        for value in self.header("Set-Cookie"):
            jar = SimpleCookie(value)
            if "csrftoken" in jar:
                return jar["csrftoken"].value
        return None

    @property
    def from_django(self) -> bool:
        return self.environ.get("test.django_ran", False)


class Django(WSGIHandler):
    """Django's WSGI handler, noting in the environ that it ran."""

    def __call__(self, environ, start_response):
        environ["test.django_ran"] = True
        return super().__call__(environ, start_response)


@pytest.fixture
def app(settings):
    """A front cache around Django's own WSGI handler, page cache on (30 s)."""
    settings.NEWSROOM_PAGE_CACHE_SECONDS = 30
    settings.NEWSROOM_COMMENTS_MIN_FILL_SECONDS = 0
    # As Django's test client does: the test's transaction outlives a request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield front.FrontCache(Django())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def call(
    app,
    path: str,
    method: str = "GET",
    cookie: str = "",
    query: str = "",
    agent: str = BROWSER,
) -> Served:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "HTTP_HOST": "testserver",
        "HTTP_USER_AGENT": agent,
    }
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    setup_testing_defaults(environ)
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen.update(status=status, headers=headers)

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return Served(seen["status"], seen["headers"], body, environ)


def test_a_hit_skips_django_and_gives_each_visitor_their_own_values(app):
    """The second read is served from the cache (an unsaved change is not
    seen), yet its CSRF token, cookie, confirmation code and stamp are new,
    valid, and not the first visitor's."""
    a = f.article("Front story", body="One.\n\n> A quote.\n\nTwo.")
    url = a.get_absolute_url()
    first = call(app, url)
    assert first.status.startswith("200") and first.from_django
    Article.objects.filter(pk=a.pk).update(headline="Not yet seen")
    second = call(app, url)
    assert not second.from_django
    assert "Front story" in second.html and "Not yet seen" not in second.html
    assert "\x00" not in second.html
    for region in [
        "Total Comments (0)",
        "Comments About This Article",
        "Please fill the fields below.",
        'class="share',
        "<blockquote>",
    ]:
        assert region in second.html, region
    assert int(second.header("Content-Length")[0]) == len(second.body)
    # Each visitor has their own secret, set as a cookie; every CSRF field of
    # the page (share bar and comment form) carries it, masked.
    assert first.cookie and second.cookie and first.cookie != second.cookie
    tokens = CSRF_FIELD.findall(second.html)
    assert len(tokens) >= 2
    assert {_unmask_cipher_token(t) for t in tokens} == {second.cookie}
    assert not set(CSRF_FIELD.findall(first.html)) & set(tokens)
    assert "Cookie" in ", ".join(second.header("Vary"))
    # A fresh, valid confirmation code and stamp per response.
    code1, code2 = field(first.html, "token"), field(second.html, "token")
    assert code1 != code2 and answer_for(code2, a.pk)
    assert stamp_age(field(second.html, "stamp"), a.pk) is not None


def test_a_returning_visitor_keeps_their_secret_and_can_post(app):
    """A visitor with a csrftoken cookie gets a page whose form, as served
    from the cache, posts a comment through Django's real checks."""
    a = f.article("Post from a cached page", comment_moderation="none")
    url = a.get_absolute_url()
    call(app, url)  # fills the cache
    secret = "A" * 20 + "b" * 12
    hit = call(app, url, cookie=f"csrftoken={secret}")
    assert not hit.from_django and hit.cookie == secret
    reader = Client(enforce_csrf_checks=True)
    reader.cookies["csrftoken"] = secret
    token = field(hit.html, "token")
    response = reader.post(
        f"/comments/post/{a.pk}/",
        {
            "csrfmiddlewaretoken": CSRF_FIELD.search(hit.html).group(1),
            "name": "Ada Reader",
            "email": "",
            "parent": "",
            "homepage": "",
            "body": "Posted from a page the front cache served.",
            "stamp": field(hit.html, "stamp"),
            "token": token,
            "code": answer_for(token, a.pk),
        },
    )
    assert response.status_code == 303  # see other: the thread
    assert Comment.objects.filter(article=a, name="Ada Reader").exists()
    # A malformed cookie is replaced, as CsrfViewMiddleware would.
    bad = call(app, url, cookie="csrftoken=not!valid")
    assert bad.cookie and bad.cookie != "not!valid" and len(bad.cookie) == 32


def test_list_pages_are_cached_without_cookies(app):
    """Home and section pages have no per-visitor value: no cookie is set."""
    a = f.article("Listed story", section_name="World")
    for url in ("/", a.section.get_absolute_url()):
        assert call(app, url).from_django
        hit = call(app, url)
        assert not hit.from_django and "Listed story" in hit.html
        assert hit.cookie is None


def test_what_bypasses_the_cache(app, settings):
    """Session or messages cookies, a query string, a POST, and a switched-off
    cache always reach Django; HEAD is answered from the cache without a body."""
    a = f.article("Bypass story")
    url = a.get_absolute_url()
    call(app, url)
    assert call(app, url, cookie="sessionid=abc").from_django
    assert call(app, url, cookie="messages=abc").from_django
    assert call(app, url, query="comments=newest").from_django
    posted = call(app, url, method="POST")
    assert posted.from_django and posted.status[:3] in ("403", "405")
    head = call(app, url, method="HEAD")
    assert not head.from_django and head.body == b""
    assert int(head.header("Content-Length")[0]) > 1000
    settings.NEWSROOM_PAGE_CACHE_SECONDS = 0
    assert call(app, url).from_django and call(app, url).from_django


def test_only_good_anonymous_pages_are_kept(app):
    """A 404 is never kept, nor a page whose response set another cookie."""
    assert call(app, "/article/no-such-story/").status.startswith("404")
    assert call(app, "/article/no-such-story/").status.startswith("404")
    assert not app.pages
    a = f.article("Cookie story")
    served = call(app, a.get_absolute_url())
    key = app.key(served.environ)
    app.pages.clear()
    app.keep(
        key,
        served.environ["newsroom.front_page"],
        "200 OK",
        [("Set-Cookie", "sessionid=secret; Path=/")],
        time.monotonic(),
    )
    assert not app.pages


def test_changes_show_within_the_ttl(app, settings):
    """An edit and a withdrawal are seen once the TTL has passed."""
    settings.NEWSROOM_PAGE_CACHE_SECONDS = 1
    a = f.article("Before the edit")
    url = a.get_absolute_url()
    call(app, url)
    Article.objects.filter(pk=a.pk).update(headline="After the edit")
    assert "Before the edit" in call(app, url).html
    time.sleep(1.1)
    assert "After the edit" in call(app, url).html
    Article.objects.filter(pk=a.pk).update(status=Article.Status.DRAFT)
    time.sleep(1.1)
    assert call(app, url).status.startswith("404")


def test_hits_count_reads_but_not_bots(app):
    """Each cached view by a reader counts a read (once per visitor); a
    crawler's, a HEAD and a prefetch do not."""
    a = f.article("Counted story")
    url = a.get_absolute_url()
    reads.buffer.clear()
    call(app, url)
    call(app, url)
    call(app, url, agent=BROWSER + " another")
    call(app, url, agent="Googlebot/2.1 (+http://www.google.com/bot.html)")
    call(app, url, method="HEAD", agent=BROWSER + " a third")
    assert reads.buffer.pending() == 2


def test_the_project_wsgi_application_has_the_front_cache():
    """newsroom.wsgi:application, what the servers load, is wrapped."""
    from newsroom.wsgi import application

    assert isinstance(application, front.FrontCache)


def test_masking_matches_django():
    """The fast mask unmasks, with Django's own code, to the secret."""
    for _ in range(200):
        secret = front._random_string()
        assert len(secret) == 32 and _unmask_cipher_token(front.mask(secret)) == secret
