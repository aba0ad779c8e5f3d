"""Articles: what is public, scheduling, rendering, revisions, the admin."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from newsroom.articles.models import Article
from newsroom.articles.tests import factories as f

pytestmark = pytest.mark.django_db


def test_published_is_released_and_due():
    """Only published/scheduled articles whose time has come are public."""
    live = f.article("Live")
    f.article("Draft", status="draft")
    later = f.article("Later", published_at=timezone.now() + timedelta(days=1))
    assert list(Article.objects.published()) == [live]
    assert later.status == Article.Status.SCHEDULED
    assert set(Article.objects.published(now=timezone.now() + timedelta(days=2))) == {
        live,
        later,
    }


def test_publishing_without_a_date_stamps_now():
    a = f.article("No date", status="draft")
    a.status = Article.Status.PUBLISHED
    a.save()
    assert a.published_at is not None and a.is_public


def test_body_markdown_keeps_paragraphs_and_quotes():
    a = f.article(
        body="One.\n\n> Quoted words.\n\nTwo with [a link](https://example.org)."
    )
    assert "<p>One.</p>" in a.body_html
    assert "<blockquote>" in a.body_html
    assert 'href="https://example.org"' in a.body_html


def test_slugs_stay_unique():
    a = f.article("Same headline")
    b = f.article("Same headline")
    assert a.slug != b.slug


def test_revisions_are_kept_and_restorable():
    a = f.article("First headline")
    a.headline = "Second headline"
    a.save()
    assert a.history.count() == 2
    old = a.history.earliest()
    old.instance.save()
    a.refresh_from_db()
    assert a.headline == "First headline"


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout():
    """The default database is SQLite in WAL mode, waiting on locks."""
    if connection.vendor != "sqlite":
        pytest.skip(f"this run uses {connection.vendor}; WAL applies to SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 5000


def test_admin_lists_filters_and_searches_articles(admin_client):
    f.article("Findable story in the admin", section_name="Science")
    f.article("Other", status="draft")
    r = admin_client.get("/admin/articles/article/?state=published&q=Findable")
    assert r.status_code == 200
    html = r.content.decode()
    assert "Findable story in the admin" in html and ">Other<" not in html
    for flt in ["state=draft", "state=scheduled", "status__exact=draft"]:
        assert admin_client.get(f"/admin/articles/article/?{flt}").status_code == 200


def test_admin_creates_and_schedules_an_article_with_a_byline(admin_client):
    section = f.section("World")
    person = f.author("Amira Haddad")
    when = timezone.now() + timedelta(hours=3)
    data = {
        "headline": "Scheduled from the admin",
        "slug": "scheduled-from-the-admin",
        "standfirst": "",
        "body": "Body text.",
        "dateline": "",
        "status": "published",
        "published_at_0": when.strftime("%Y-%m-%d"),
        "published_at_1": when.strftime("%H:%M:%S"),
        "section": section.pk,
        "image_url": "",
        "comments_enabled": "on",
        "comment_moderation": "",
        "source": "",
        "source_id": "",
        "canonical_url": "",
        "byline_set-TOTAL_FORMS": "1",
        "byline_set-INITIAL_FORMS": "0",
        "byline_set-0-author": person.pk,
        "byline_set-0-position": "0",
        "notes-TOTAL_FORMS": "0",
        "notes-INITIAL_FORMS": "0",
    }
    r = admin_client.post("/admin/articles/article/add/", data)
    assert r.status_code == 302, r.content.decode()[:2000]
    a = Article.objects.get(slug="scheduled-from-the-admin")
    assert a.state == "scheduled" and a.byline() == [person]
    assert not Article.objects.published().filter(pk=a.pk).exists()
    # The history page is there to restore a revision.
    assert (
        admin_client.get(f"/admin/articles/article/{a.pk}/history/").status_code == 200
    )


def test_create_editor_command_refuses_weak_passwords_and_makes_staff():
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.core.management.base import CommandError

    out = __import__("io").StringIO()
    call_command("create_editor", "alice", "--generate", stdout=out)
    user = get_user_model().objects.get(username="alice")
    assert user.is_staff and user.has_usable_password()
    password = out.getvalue().split("password: ")[1].strip()
    assert user.check_password(password)
    import unittest.mock  # noqa: F401 - only getpass is replaced: it reads a TTY

    with unittest.mock.patch("getpass.getpass", side_effect=["123", "123"]):
        with pytest.raises(CommandError):
            call_command("create_editor", "bob")
