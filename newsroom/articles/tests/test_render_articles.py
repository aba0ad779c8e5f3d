"""``manage.py render_articles``: stored pages made again by today's renderer.

An article's HTML is made from its Markdown when it is saved and kept
(``body_html``). A release that changes what rendering does, a security fix
above all (a sanitiser rule, bidi overrides dropped, a link's real host
shown), reached only the stories saved after it: every older page kept the
old HTML, on the site, in the API and in the search index, with no way for
the operator to apply the fix but to re-save a million stories by hand."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from newsroom.articles.models import Article
from newsroom.articles.rendering import render_markdown
from newsroom.articles.tests import factories as f
from newsroom.search.models import IndexChange

pytestmark = pytest.mark.django_db

OLD_HTML = '<p>Sign in at <a href="https://evil.example/x">\u202emoc.knab</a>.</p>'


def as_an_older_release_left_it(article: Article) -> None:
    Article.objects.filter(pk=article.pk).update(body_html=OLD_HTML)


def test_pages_made_by_an_older_renderer_are_made_again(capsys):
    stale = f.article(
        "Bank warns", body="Sign in at [moc.knab](https://evil.example/x)."
    )
    fresh = f.article("Ferry resumes", body="The ferry runs again.")
    as_an_older_release_left_it(stale)
    before = Article.objects.get(pk=fresh.pk)
    outbox = IndexChange.objects.count()

    call_command("render_articles")

    stale.refresh_from_db()
    assert stale.body_html == render_markdown(stale.body)
    assert "\u202e" not in stale.body_html and "[evil.example]" in stale.body_html
    after = Article.objects.get(pk=fresh.pk)
    assert (after.body_html, after.updated_at) == (before.body_html, before.updated_at)
    # The search index follows: one outbox row, for the page that changed.
    assert list(
        IndexChange.objects.order_by("id")[outbox:].values_list("article_id", flat=True)
    ) == [stale.pk]
    assert "2 articles read, 1 made again" in capsys.readouterr().out

    call_command("render_articles")
    assert "2 articles read, 0 made again" in capsys.readouterr().out


def test_dry_run_counts_and_changes_nothing(capsys):
    stale = f.article(
        "Bank warns", body="Sign in at [moc.knab](https://evil.example/x)."
    )
    as_an_older_release_left_it(stale)
    call_command("render_articles", "--dry-run")
    assert "1 would be made again" in capsys.readouterr().out
    stale.refresh_from_db()
    assert stale.body_html == OLD_HTML


def test_an_edit_saved_meanwhile_is_kept():
    """The new HTML is written only where the Markdown is still the one it
    was made from: an editor's save in between wins."""
    from newsroom.articles.management.commands import render_articles

    stale = f.article("Bank warns", body="Old words.")
    as_an_older_release_left_it(stale)
    rows = [(stale.pk, "Old words.", OLD_HTML)]
    stale.body = "New words."
    stale.save()
    assert render_articles.write_changed(rows) == []
    stale.refresh_from_db()
    assert stale.body_html == render_markdown("New words.")


def test_a_run_stopped_half_way_goes_on_from_where_it_said_it_was(capsys):
    """At a million stories the run takes a while (a millisecond a story):
    stopped half way, it started again from the first story. It now says on
    stderr, every chunk, the last article it has finished, and ``--after``
    starts past it."""
    from newsroom.articles.management.commands import render_articles

    stories = [f.article(f"Story {n}", body=f"Words {n}.") for n in range(5)]
    for story in stories:
        as_an_older_release_left_it(story)
    first, rest = stories[:2], stories[2:]
    call_command("render_articles", "--after", str(first[-1].pk))
    captured = capsys.readouterr()
    assert "3 articles read, 3 made again" in captured.out
    assert f"through article {rest[-1].pk}" in captured.err
    for story in first:
        story.refresh_from_db()
        assert story.body_html == OLD_HTML  # before --after: not read
    for story in rest:
        story.refresh_from_db()
        assert story.body_html == render_markdown(story.body)
    assert render_articles.CHUNK >= 100  # a line per chunk, not per story
