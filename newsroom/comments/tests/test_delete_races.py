"""A story or a comment deleted at the moment a reader's comment commits."""

from __future__ import annotations

import pytest
from django.db import connections

from newsroom.articles.models import Article
from newsroom.articles.tests import factories as f
from newsroom.articles.tests.desk_helpers import account, during, logged_in
from newsroom.comments import guard
from newsroom.comments.models import Comment
from newsroom.comments.tests.helpers import post

pytestmark = pytest.mark.django_db(transaction=True)


def _delete_while_the_comment_is_written(monkeypatch, client, url: str) -> dict:
    """Post ``url``'s deletion from another connection once the comment's
    write holds its rows; it commits at once unless it waits for them."""
    return _while_the_comment_is_written(
        monkeypatch, lambda: client.post(url, {"post": "yes"}).status_code
    )


def _while_the_comment_is_written(monkeypatch, deletion) -> dict:
    deleter, codes = during(monkeypatch, guard, "check", deletion)
    codes["thread"] = deleter
    return codes


def test_a_story_deleted_while_a_comment_on_it_commits_goes_with_it(
    client, monkeypatch
):
    """An editor deletes a story while a reader's comment on it is being
    written (the comment holds the story's row). The deletion waits for the
    comment, then takes it with the story: the reader's post answers as
    usual, the editor's deletion too, and no comment is left on a story
    that is gone. The deletion was a 500 (its COMMIT found the comment
    naming the story it had deleted) and the story stayed."""
    if connections["default"].vendor != "postgresql":
        pytest.skip("SQLite's IMMEDIATE transactions serialise the two writers")
    story = f.article("A story about to be deleted")
    editor = logged_in(account("eddie", "editor"))
    codes = _delete_while_the_comment_is_written(
        monkeypatch, editor, f"/admin/articles/article/{story.pk}/delete/"
    )
    response = post(client, story, body="My words on it.")
    codes.pop("thread").join(timeout=30)
    assert response.status_code in (201, 302, 303), response.status_code
    assert codes == {"delete": 302}
    assert not Article.objects.filter(pk=story.pk).exists()
    assert not Comment.objects.exists()


def test_a_comment_deleted_while_a_reply_to_it_commits_keeps_the_reply(
    client, monkeypatch
):
    """A moderator deletes a comment while a reader's reply to it is being
    written (the reply holds the comment's row). The deletion waits, then
    keeps the reply with no parent, as deleting a comment does; both answer
    as usual. The deletion was a 500 and the comment stayed."""
    if connections["default"].vendor != "postgresql":
        pytest.skip("SQLite's IMMEDIATE transactions serialise the two writers")
    story = f.article("A story with a conversation")
    parent = Comment.objects.create(
        article=story, name="First", body="The first word.", status="approved"
    )
    moderator = logged_in(account("mo", "moderator"))
    codes = _delete_while_the_comment_is_written(
        monkeypatch, moderator, f"/admin/comments/comment/{parent.pk}/delete/"
    )
    response = post(client, story, body="My reply to it.", parent=str(parent.pk))
    codes.pop("thread").join(timeout=30)
    assert response.status_code in (201, 302, 303), response.status_code
    assert codes == {"delete": 302}
    assert not Comment.objects.filter(pk=parent.pk).exists()
    reply = Comment.objects.get(body="My reply to it.")
    assert reply.parent_id is None


def test_an_address_erased_while_a_reply_to_its_comment_commits(client, monkeypatch):
    """A moderator erases everything stored about an address (a reader's
    request) while someone's reply to that address's comment is being
    written. The erasure waits, then deletes the comment and keeps the
    reply with no parent. The erasure failed with an IntegrityError (a
    traceback from the command, a 500 from the admin's action) and the
    address's comments all stayed."""
    from newsroom.comments import privacy

    if connections["default"].vendor != "postgresql":
        pytest.skip("SQLite's IMMEDIATE transactions serialise the two writers")
    story = f.article("A story with a conversation")
    theirs = Comment.objects.create(
        article=story,
        name="Leaving",
        email="leaving@example.org",
        body="Words to be erased.",
        status="approved",
    )
    codes = _while_the_comment_is_written(
        monkeypatch, lambda: privacy.delete("leaving@example.org")["comments"]
    )
    response = post(client, story, body="My reply to it.", parent=str(theirs.pk))
    codes.pop("thread").join(timeout=30)
    assert response.status_code in (201, 302, 303), response.status_code
    assert codes == {"delete": 1}
    assert not Comment.objects.filter(email="leaving@example.org").exists()
    assert Comment.objects.get(body="My reply to it.").parent_id is None
