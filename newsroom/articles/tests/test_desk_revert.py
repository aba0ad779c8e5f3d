"""The History button's revert form is a door to the story too: it obeys the
same rule as the change form (a reporter changes only their own drafts)."""

from __future__ import annotations

import pytest

from newsroom.articles.models import Article

from .desk_helpers import account, form_data, logged_in
from .test_desk import change_url, new_story

pytestmark = pytest.mark.django_db


def test_a_reporter_cannot_rewrite_or_unpublish_a_published_story_by_reverting():
    rita = logged_in(account("rita", "reporter"))
    story, _ = new_story(rita)
    first = story.history.earliest().history_id
    ed = logged_in(account("eddie", "editor"))
    data = form_data(ed.get(change_url(story)).content.decode(), status="published")
    assert ed.post(change_url(story), data).status_code == 302
    story.refresh_from_db()
    assert story.is_public

    # The reporter may read the history, but a POST to an old version's
    # revert form must not change the story the desk published.
    revert = f"/admin/articles/article/{story.pk}/history/{first}/"
    assert rita.get(f"/admin/articles/article/{story.pk}/history/").status_code == 200
    data = form_data(
        rita.get(revert).content.decode(),
        body="Rewritten by the reporter after publication.",
        status="draft",
        based_on="",
    )
    response = rita.post(revert, data)
    assert response.status_code == 403
    story.refresh_from_db()
    assert story.status == Article.Status.PUBLISHED
    assert story.body == "Line one.\n\nLine two."
    assert Article.objects.published().filter(pk=story.pk).exists()


# --- what a revert brings back: the words, not the bookkeeping ----------------


def _history_url(story: Article, version: int | None = None) -> str:
    tail = f"{version}/" if version is not None else ""
    return f"/admin/articles/article/{story.pk}/history/{tail}"


def _approved_comments(story: Article, n: int) -> None:
    from newsroom.comments import moderation
    from newsroom.comments.models import Comment

    Comment.objects.bulk_create(
        Comment(
            article=story,
            name=f"Reader {i}",
            body=f"Comment {i}",
            body_html=f"<p>Comment {i}</p>",
            body_hash=f"revert-{story.pk}-{i}",
            status=Comment.Status.APPROVED,
        )
        for i in range(n)
    )
    moderation.recount([story.pk])


def test_an_editor_reverting_a_live_story_gets_its_words_back_and_nothing_else():
    """An editor restores the first version of a story that has since been
    published, rewritten, commented on and closed to comments. The version
    was a draft with no time, no comments and comments open: the revert
    wrote all of that back (the story unpublished, "Total Comments (0)"
    with three approved comments hidden, comments open again). Now it
    brings back the headline, body, dateline, standfirst and tags of that
    version, and the story stays live, at its time, with its comments."""
    from newsroom.articles.tests import factories as f

    story = f.article(
        "Harbour reopens",
        body="The first version.",
        standfirst="The first summary.",
        dateline="PORTO",
        status="draft",
        tags=("Harbour",),
    )
    first = story.history.latest().history_id  # the draft, with its tag
    ed = logged_in(account("eddie", "editor"))
    data = form_data(
        ed.get(change_url(story)).content.decode(),
        headline="Harbour reopens after a week",
        body="A worse second version.",
        standfirst="A worse summary.",
        dateline="LISBON",
        status="published",
        tags=[str(f.tag("Storms").pk)],
    )
    assert ed.post(change_url(story), data).status_code == 302
    _approved_comments(story, 3)
    data = form_data(ed.get(change_url(story)).content.decode(), comments_enabled=None)
    assert ed.post(change_url(story), data).status_code == 302
    story.refresh_from_db()
    went_out, slug = story.published_at, story.slug
    assert (story.comment_count, story.comments_enabled) == (3, False)

    revert = _history_url(story, first)
    page = ed.get(revert).content.decode()
    response = ed.post(revert, form_data(page))
    assert response.status_code == 302
    story.refresh_from_db()
    assert (story.headline, story.body, story.standfirst, story.dateline) == (
        "Harbour reopens",
        "The first version.",
        "The first summary.",
        "PORTO",
    )
    assert [t.name for t in story.tags.all()] == ["Harbour"]
    assert story.status == Article.Status.PUBLISHED and story.is_public
    assert story.published_at == went_out
    assert story.slug == slug  # its address stays where readers found it
    assert (story.comment_count, story.comments_enabled) == (3, False)
    assert "Total Comments (3)" in ed.get(story.get_absolute_url()).content.decode()


def test_a_revert_keeps_the_comment_count_a_comment_changed_meanwhile():
    """The count belongs to the comments: one approved while the editor
    had the revert page open is counted after the revert too."""
    from newsroom.articles.tests import factories as f

    story = f.article("A story readers discuss", body="The first version.")
    first = story.history.latest().history_id
    ed = logged_in(account("eddie", "editor"))
    data = form_data(ed.get(change_url(story)).content.decode(), body="Second.")
    assert ed.post(change_url(story), data).status_code == 302
    revert = _history_url(story, first)
    page = ed.get(revert).content.decode()
    _approved_comments(story, 2)  # while the revert page is open
    assert ed.post(revert, form_data(page)).status_code == 302
    story.refresh_from_db()
    assert (story.body, story.comment_count) == ("The first version.", 2)


def test_a_reporter_reverting_her_draft_does_not_move_its_publication_time():
    """A reporter's story went out, was re-dated by the desk and sent back to
    her as a draft for a fix (the time it went out is kept for when it goes
    out again). Reverting it to the version the desk first published wrote
    that version's time back: the reporter, who may not set the time,
    moved it (a week back, into the archive). Now her revert brings back the
    text and the time stays the desk's."""
    from datetime import timedelta

    from django.utils import timezone

    rita = logged_in(account("rita", "reporter"))
    story, _ = new_story(rita)
    ed = logged_in(account("eddie", "editor"))

    def when(moment) -> dict:
        local = timezone.localtime(moment)
        return {
            "published_at_0": local.strftime("%Y-%m-%d"),
            "published_at_1": local.strftime("%H:%M:%S"),
        }

    last_week = timezone.now() - timedelta(days=7)
    yesterday = (timezone.now() - timedelta(days=1)).replace(microsecond=0)
    data = form_data(
        ed.get(change_url(story)).content.decode(),
        status="published",
        body="The version the desk published.",
        **when(last_week),
    )
    assert ed.post(change_url(story), data).status_code == 302
    published = story.history.latest().history_id
    data = form_data(
        ed.get(change_url(story)).content.decode(),
        body="The desk's second edit.",
        **when(yesterday),
    )
    assert ed.post(change_url(story), data).status_code == 302
    data = form_data(ed.get(change_url(story)).content.decode(), status="draft")
    assert ed.post(change_url(story), data).status_code == 302
    story.refresh_from_db()
    assert story.status == Article.Status.DRAFT
    assert story.published_at == yesterday

    revert = _history_url(story, published)
    page = rita.get(revert).content.decode()
    assert 'name="published_at_0"' not in page
    response = rita.post(revert, form_data(page))
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.body == "The version the desk published."
    assert story.published_at == yesterday
    assert story.status == Article.Status.DRAFT
    assert story.created_by.username == "rita"


def test_a_save_keeps_a_comment_approved_while_it_was_made(monkeypatch):
    """The change form read the story (its count among it) before its save
    locked the row: a comment approved between the two was counted out by
    the save, which wrote the count it had read. The columns the form does
    not set are read again under the lock."""
    from newsroom.articles.admin import ArticleAdmin
    from newsroom.articles.tests import factories as f

    story = f.article("A story readers discuss", body="The first version.")
    ed = logged_in(account("eddie", "editor"))
    data = form_data(ed.get(change_url(story)).content.decode(), body="Second.")
    real = ArticleAdmin.get_object

    def read_then_a_comment(self, request, object_id, from_field=None):
        obj = real(self, request, object_id, from_field)
        if request.method == "POST":
            _approved_comments(story, 1)  # approved as the save is made
        return obj

    monkeypatch.setattr(ArticleAdmin, "get_object", read_then_a_comment)
    assert ed.post(change_url(story), data).status_code == 302
    story.refresh_from_db()
    assert (story.body, story.comment_count) == ("Second.", 1)
