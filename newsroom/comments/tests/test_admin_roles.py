"""The comment queue's bulk actions belong to the comment moderators: an
editor (who may only read comments) cannot approve, remove, ban, export or
delete readers' data from the list."""

from __future__ import annotations

import pytest

from newsroom.articles.tests import factories as f
from newsroom.articles.tests.desk_helpers import account, logged_in
from newsroom.comments import moderation
from newsroom.comments.models import Ban, Comment

pytestmark = pytest.mark.django_db

QUEUE = "/admin/comments/comment/"
ACTIONS = [
    "mark_approved",
    "mark_rejected",
    "mark_spam",
    "mark_removed",
    "ban_emails",
    "ban_networks",
    "dismiss_reports",
    "export_data",
    "delete_data",
]


def _comments(article) -> list[Comment]:
    made = [
        Comment.objects.create(
            article=article,
            name=f"Reader {i}",
            email=f"reader{i}@example.org",
            body=f"Comment {i}",
            network="203.0.113.0/24",
            report_count=2,
            status=Comment.Status.APPROVED,
        )
        for i in range(2)
    ]
    moderation.recount([article.pk])
    return made


def test_an_editor_reads_the_comments_but_runs_no_moderation_action():
    made = _comments(f.article())
    eddie = logged_in(account("eddie", "editor"))
    listing = eddie.get(QUEUE)
    assert listing.status_code == 200
    ids = [str(c.pk) for c in made]
    for action in ACTIONS:
        assert f'value="{action}"' not in listing.content.decode()
        response = eddie.post(
            QUEUE, {"action": action, "_selected_action": ids, "index": 0}
        )
        assert "application/json" not in response.get("Content-Type", ""), action
    assert Comment.objects.count() == 2
    assert set(Comment.objects.values_list("status", "report_count")) == {
        (Comment.Status.APPROVED, 2)
    }
    assert not Ban.objects.exists()


def test_a_comment_moderator_still_runs_them():
    made = _comments(f.article())
    mo = logged_in(account("mo", "moderator"))
    ids = [str(c.pk) for c in made]
    exported = mo.post(
        QUEUE, {"action": "export_data", "_selected_action": ids, "index": 0}
    )
    assert exported["Content-Type"] == "application/json"
    mo.post(QUEUE, {"action": "ban_networks", "_selected_action": ids, "index": 0})
    assert Ban.objects.filter(kind="network").exists()
    mo.post(QUEUE, {"action": "delete_data", "_selected_action": ids, "index": 0})
    assert not Comment.objects.exists()


def test_a_moderator_neither_writes_comments_nor_moves_them_to_a_draft():
    """Comments come from readers: the admin's add form let a moderator write
    one under any reader's name, on any article id, a draft's included, and
    its article field named the draft's headline (``?article=<id>``). A
    comment also stays on the story it was written on: the change form could
    move it to a draft. Now there is no add form, and article and parent are
    shown, not edited."""
    public = f.article("A public story")
    draft = f.article("Embargoed merger scoop", status="draft")
    (comment, _other) = _comments(public)
    mo = logged_in(account("mo", "moderator"))
    add = mo.get(f"{QUEUE}add/?article={draft.pk}")
    assert add.status_code == 403
    assert "Embargoed merger scoop" not in add.content.decode()
    posted = mo.post(
        f"{QUEUE}add/",
        {
            "article": draft.pk,
            "name": "Editor",
            "body": "Made up",
            "status": "approved",
        },
    )
    assert posted.status_code == 403
    assert not Comment.objects.filter(article=draft).exists()

    change = f"{QUEUE}{comment.pk}/change/"
    page = mo.get(change)
    assert page.status_code == 200
    assert 'name="article"' not in page.content.decode()
    data = {
        "article": draft.pk,
        "name": comment.name,
        "email": comment.email,
        "body": comment.body,
        "status": comment.status,
        "report_count": 0,
    }
    mo.post(change, data)
    comment.refresh_from_db()
    assert comment.article_id == public.pk
