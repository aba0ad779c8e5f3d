"""Every address a reader reaches, walked from the URLconf, under any method
and any query string.

The test walks the URLconf: every pattern outside the admin and the API
(each has its own tests) must have a sample address here, so a new page
cannot be added without being asked.

HEAD answers as GET does, without a body: link checkers, uptime monitors
and mail programs' link previews send it, and HTTP asks a server that
answers GET to answer HEAD the same way minus the body. Mail scanners send
HEAD (and GET) to every link in a mail: the mailed links (confirm an
address, unsubscribe, moderate) only show a page with a button on either,
and a HEAD of any page changes nothing in the database.

A method no page serves (PUT, DELETE, PATCH, OPTIONS, TRACE, a made-up
one) is a 405 naming the methods it does; a query string with repeated
keys, an empty key, NUL bytes, bytes that are no UTF-8 or 10,000
parameters is the page or a 4xx, never a 500. (tests/test_fuzz_params.py
fuzzes the values of the parameters the listings and search read.)
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from newsroom.articles.desk import PreviewLink, preview_token
from newsroom.articles.tests import factories as f
from newsroom.comments import confirm_email, moderation
from newsroom.comments.confirmation import get_backend as code_backend
from newsroom.comments.models import Comment
from newsroom.core.models import RateCounter
from newsroom.search import analytics
from newsroom.search.tests.conftest import backend_settings
from newsroom.shares import reads

pytestmark = pytest.mark.django_db

# GET endpoints of the comment form's script that spend the network's budget
# of new codes: a HEAD would spend it for nothing, so it stays a 405.
SPENDS_ON_GET = {"comments:code_new", "comments:proof_challenge"}


def names(patterns, prefix: str = "") -> set[str]:
    found: set[str] = set()
    for p in patterns:
        if isinstance(p, URLResolver):
            if p.namespace in ("admin",) or str(p.pattern).startswith("api/"):
                continue
            inner = f"{prefix}{p.namespace}:" if p.namespace else prefix
            found |= names(p.url_patterns, inner)
        elif isinstance(p, URLPattern):
            found.add(f"{prefix}{p.name}")
    return found


@pytest.fixture
def site(settings, tmp_path):
    settings.NEWSROOM_SEARCH_BACKENDS = backend_settings(tmp_path / "search")
    settings.NEWSROOM_COMMENTS_MODERATORS = ["desk@example.org"]
    story = f.article(
        "Harbour story", section_name="World", tags=("Syria",), authors=("Amira",)
    )
    approved = Comment.objects.create(
        article=story,
        name="Ada",
        email="ada@example.org",
        body="An approved comment.",
        status=Comment.Status.APPROVED,
        notify_replies=True,
    )
    held = Comment.objects.create(
        article=story, name="Bob", body="A held comment.", status="pending"
    )
    editor = get_user_model().objects.create_user("ed", is_staff=True)
    link = PreviewLink.objects.create(
        article=f.article("A draft", status="draft"),
        created_by=editor,
        expires_at=timezone.now() + timedelta(days=1),
    )
    from newsroom.search.backends import get_backend, reset_backends
    from newsroom.search.indexer import drain

    reset_backends()
    drain(get_backend(), wait=10)
    code = code_backend().issue().token
    confirm = confirm_email.make_token("ada@example.org", True, approved.pk)
    yield {
        "healthz": "/healthz",
        "readyz": "/readyz",
        "search:results": "/search/?q=harbour",
        "search:suggest": "/search/suggest?q=harb",
        "comments:post": f"/comments/post/{story.pk}/",
        "comments:code_image": f"/comments/code/{code}.png?article={story.pk}",
        "comments:moderate": (
            f"/comments/moderate/{moderation.moderation_token(held, 'approve')}/"
        ),
        "comments:confirm_email": f"/comments/confirm/{confirm}/",
        "comments:unsubscribe": (
            f"/comments/unsubscribe/{moderation.unsubscribe_token(approved)}/"
        ),
        "comments:report": f"/comments/{approved.pk}/report/",
        "shares:copy": f"/share/copy/{story.slug}/",
        "shares:share": f"/share/x/{story.slug}/",
        "media:rendition": "/media/r/nothing.jpg",
        "articles:site-rss": "/feeds/rss/",
        "articles:site-atom": "/feeds/atom/",
        "articles:section-rss": "/feeds/section/world/rss/",
        "articles:section-atom": "/feeds/section/world/atom/",
        "articles:tag-rss": "/feeds/tag/syria/rss/",
        "articles:tag-atom": "/feeds/tag/syria/atom/",
        "articles:author-rss": "/feeds/author/amira/rss/",
        "articles:author-atom": "/feeds/author/amira/atom/",
        "articles:corrections-rss": "/feeds/corrections/rss/",
        "articles:corrections-atom": "/feeds/corrections/atom/",
        "articles:comments-rss": f"/feeds/article/{story.slug}/comments/rss/",
        "articles:comments-atom": f"/feeds/article/{story.slug}/comments/atom/",
        "articles:sitemap": "/sitemap.xml",
        "articles:sitemap-news": "/sitemap-news.xml",
        "articles:sitemap-page": "/sitemap-articles-0.xml",
        "web:home": "/",
        "web:section": "/section/world/",
        "web:tag": "/tag/syria/",
        "web:author": "/author/amira/",
        "web:article": story.get_absolute_url(),
        "web:preview": f"/preview/{link.article_id}/",
        "web:shared-preview": f"/preview/s/{preview_token(link)}/",
        "web:robots": "/robots.txt",
        "web:favicon": "/favicon.ico",
    }
    reset_backends()


def body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def snapshot() -> dict[str, list[dict]]:
    """Every row of every table (rate budgets aside: a HEAD costs as a GET
    does, and counts against them as a GET does), buffers written first."""
    analytics.flush()
    reads.flush()
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for model in apps.get_models()
        if model is not RateCounter and not model._meta.proxy
    }


def test_every_reader_address_has_a_sample(site):
    """A pattern added to the URLconf is asked here too (or named as spending)."""
    assert names(get_resolver().url_patterns) == set(site) | SPENDS_ON_GET


def test_head_answers_as_get_with_no_body_and_changes_nothing(site):
    """Each address: HEAD's status and type are GET's, its body empty; the
    HEADs together leave every table as it was."""
    before = snapshot()
    heads = {}
    for name, url in site.items():
        response = Client().head(url)
        heads[name] = (response.status_code, response.get("Content-Type"))
        assert body(response) == b"", name
    assert snapshot() == before
    gets = {}
    for name, url in site.items():
        response = Client().get(url)
        gets[name] = (response.status_code, response.get("Content-Type"))
    wrong = {
        name: (heads[name], gets[name]) for name in site if heads[name] != gets[name]
    }
    assert not wrong, f"HEAD differs from GET: {sorted(wrong)}"


def test_a_head_of_a_mailed_link_does_not_act(site):
    """Mail scanners' HEADs of the confirm, unsubscribe and moderate links
    show the page (200) and confirm, unsubscribe or moderate nothing."""
    client = Client()
    for name in ("comments:confirm_email", "comments:unsubscribe", "comments:moderate"):
        response = client.head(site[name])
        assert (name, response.status_code) == (name, 200)
        assert confirm_email.COOKIE not in response.cookies, name
    assert Comment.objects.filter(status="pending").count() == 1
    assert Comment.objects.get(name="Ada").notify_replies is True
    assert not confirm_email.consented("ada@example.org")


OTHER_METHODS = ("PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "FOO")
HOSTILE_QUERIES = (
    "q=a&q=b&page=1&page=2&before=x&before=y&article=1&article=2",
    "=x&&=&q",
    "q=%00&page=%00&before=%00&article=%00&sort=%00&section=%00",
    "%00=1&q%00=2",
    "q=%ff%fe&page=%c0%80",
    "&".join(f"k{i}=v" for i in range(10_000)),
)


def test_a_method_no_page_serves_is_a_405_naming_those_it_does(site):
    """Every other method, a made-up one too, is a 405 with ``Allow``
    (the staff preview first sends a stranger to the login: 302)."""
    wrong = {}
    for name, url in site.items():
        for method in OTHER_METHODS:
            client = Client()
            client.raise_request_exception = False
            response = client.generic(method, url)
            if name == "web:preview":
                got, want = response.status_code, 302
            else:
                got = (response.status_code, bool(response.get("Allow")))
                want = (405, True)
            if got != want:
                wrong[(name, method)] = got
    assert not wrong, f"not a 405 with Allow: {wrong}"


def test_a_hostile_query_string_is_the_page_or_a_4xx_never_a_500(site):
    """Repeated keys, an empty key, NUL, bytes that are no UTF-8, 10,000
    parameters: on every address, GET and HEAD, below 500."""
    failed = {}
    for name, url in site.items():
        for query in HOSTILE_QUERIES:
            joined = f"{url}{'&' if '?' in url else '?'}{query}"
            for method in ("GET", "HEAD"):
                client = Client()
                client.raise_request_exception = False
                status = client.generic(method, joined).status_code
                if status >= 500:
                    failed[(name, method, query[:20])] = status
    assert not failed, f"500s: {failed}"
