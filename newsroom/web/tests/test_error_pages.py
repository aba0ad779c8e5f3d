"""Error pages a reader or an editor meets: the site's own, saying what to do.

They were Django's bare defaults ("Not Found / The requested resource was not
found on this server.", "Bad Request (400)", "Server Error (500)", and the
CSRF page ending "More information is available with DEBUG=True"): a reader
following a dead link lost the site, its search box and every way on.
"""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from newsroom.articles.tests import factories as f
from newsroom.media import samples

pytestmark = pytest.mark.django_db


def test_a_dead_link_is_the_sites_own_page_with_its_search(client, settings):
    """A missing story answers 404 inside the site's frame: the search box,
    the sections, a search for the words of the address it was looking for,
    and the way home. Nothing of the address is echoed unescaped."""
    f.article("Harbour storm")
    response = client.get('/article/harbour-flood-"><script>alert(1)</script>/')
    page = response.content.decode()
    assert response.status_code == 404
    assert 'role="search"' in page and settings.SITE_NAME in page
    assert "<script>alert(1)" not in page
    assert 'href="/search/?q=harbour+flood' in page
    assert 'content="noindex' in page
    other = client.get("/no/such/place")
    assert other.status_code == 404 and 'role="search"' in other.content.decode()


def test_a_server_error_is_a_page_of_its_own_that_needs_nothing(client, monkeypatch):
    """A bug's 500 is a page that needs no database and no template context
    (it renders when they are what failed), with the site's name and a plain
    search form."""
    from newsroom.web import views

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(views, "article_context", broken, raising=True)
    client.raise_request_exception = False
    story = f.article("Broken page")
    response = client.get(story.get_absolute_url())
    page = response.content.decode()
    assert response.status_code == 500
    assert "Server Error (500)" not in page
    assert 'action="/search/"' in page and "went wrong" in page


def test_too_many_pictures_at_once_says_how_many_may_go(admin_client, settings):
    """An editor selecting more files than one request may carry got
    Django's bare "Bad Request (400)"; the page says what the limit is."""
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    files = [
        SimpleUploadedFile(f"p{i}.jpg", samples.photo(20, 20, seed=i), "image/jpeg")
        for i in range(4)
    ]
    admin_client.raise_request_exception = False
    response = admin_client.post("/admin/media/image/add/", {"upload": files})
    page = response.content.decode()
    assert response.status_code == 400
    assert "at most 3 files" in page, page


def test_a_comment_sent_without_its_form_cookie_is_told_how_to_send_it_again():
    """A comment posted after the form's security cookie went (cookies
    cleared, or blocked) got Django's CSRF page, ending "More information is
    available with DEBUG=True". Now a 403 in the site's frame says what
    happened and how to send the comment again, with a way back to the
    story, and still stores nothing."""
    from newsroom.comments.models import Comment

    story = f.article("Comments welcome")
    reader = Client(enforce_csrf_checks=True)
    reader.raise_request_exception = False
    response = reader.post(
        f"/comments/post/{story.pk}/",
        {"name": "Ada", "body": "A thought."},
        HTTP_REFERER=f"http://testserver{story.get_absolute_url()}",
    )
    page = response.content.decode()
    assert response.status_code == 403
    assert "DEBUG=True" not in page and 'role="search"' in page
    assert "cookie" in page and "send it again" in page
    assert f'href="{story.get_absolute_url()}"' in page
    assert not Comment.objects.exists()


def test_a_form_sent_without_its_cookie_from_a_malformed_referer_is_the_403():
    """A cross-site POST without the form's cookie whose ``Referer`` Python
    cannot split (an unclosed or non-address IPv6 bracket, which anyone can
    send) got a 500 from the CSRF page reading the way back. It is the
    same 403 as any other, leading home, with nothing counted or stored."""
    from newsroom.shares.models import ShareCount

    story = f.article("Shared around")
    stranger = Client(enforce_csrf_checks=True)
    stranger.raise_request_exception = False
    for referer in ("http://[::1", "https://[not-an-address]/x", "http://a]b/"):
        for target in (f"/share/x/{story.pk}/", f"/comments/post/{story.pk}/"):
            response = stranger.post(target, {"body": "x"}, HTTP_REFERER=referer)
            assert response.status_code == 403, (referer, target)
            page = response.content.decode()
            assert "send it again" in page and 'href="/"' in page
    assert not ShareCount.objects.exists()


BACK = re.compile(r'<a href="([^"]*)">Go back to the page</a>')


@pytest.mark.parametrize(
    "path",
    ["//evil.example/x", "///evil.example/x", "/\\evil.example/x", "/\t/evil.example/"],
)
def test_the_way_back_from_a_form_sent_without_its_cookie_stays_on_the_site(path):
    """A same-host ``Referer`` whose path starts with ``//`` (or a slash and a
    backslash, or a tab between two slashes, which browsers drop) made the
    way back ``//evil.example/x``: a link to another site, for a page
    anyone can send a reader to. The way back is the home page then."""
    story = f.article("Comments welcome")
    reader = Client(enforce_csrf_checks=True)
    reader.raise_request_exception = False
    response = reader.post(
        f"/comments/post/{story.pk}/",
        {"name": "Ada", "body": "A thought."},
        HTTP_REFERER=f"http://testserver{path}",
    )
    assert response.status_code == 403
    assert BACK.findall(response.content.decode()) == ["/"]


def test_a_page_staff_may_not_open_is_the_sites_403():
    """A reporter opening the preview of someone else's story: a 403 in the
    site's frame saying why, not Django's bare "403 Forbidden"."""
    from newsroom.articles.tests.desk_helpers import account, logged_in

    story = f.article("Someone else's draft", status="draft")
    rita = logged_in(account("rita", "reporter"))
    rita.raise_request_exception = False
    response = rita.get(f"/preview/{story.pk}/")
    page = response.content.decode()
    assert response.status_code == 403
    assert 'role="search"' in page and "can’t open this page" in page
    assert "Someone else's draft" not in page


def test_a_missing_file_is_a_404_that_asks_nothing_of_the_database(client):
    """A browser's missing asset (``/static/``, ``/media/``) gets the
    standalone 404 with no database query: the framed page read the
    sections for every such miss (and a test of the static manifest, which
    has no database, got a 500)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/static/no-such-file.css")
    assert response.status_code == 404
    assert 'role="search"' in response.content.decode()
    assert len(queries) == 0, [q["sql"] for q in queries]


def test_a_404_while_the_database_is_away_is_still_a_404(client, monkeypatch):
    """When the frame's sections cannot be read (the database is away: its
    error stood in for by the menu's query raising it), a dead link is the
    standalone 404, not a 500."""
    from django.core.cache import cache
    from django.db import OperationalError

    from newsroom.web import context_processors

    def away():
        raise OperationalError("the database is away")

    cache.clear()
    monkeypatch.setattr(context_processors, "menu_sections", away)
    client.raise_request_exception = False
    response = client.get("/article/gone-for-good/")
    assert response.status_code == 404
    page = response.content.decode()
    assert 'role="search"' in page and 'href="/search/?q=gone+for+good"' in page
