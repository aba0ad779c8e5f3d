"""Migration comments.0004 keeps the reply emails of comments that get them.

It adds ``Comment.replies_vouched`` (reply emails go only for comments of who
pressed the address's button); a comment that asked under an address that
had said yes before the upgrade keeps getting its replies mailed."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("comments", "0003_comment_owed_mail")]
AFTER = [("comments", "0004_comment_replies_vouched")]


def test_comments_asking_under_an_address_that_said_yes_stay_vouched():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    Article = apps.get_model("articles", "Article")
    Section = apps.get_model("articles", "Section")
    Comment = apps.get_model("comments", "Comment")
    ReplyConsent = apps.get_model("comments", "ReplyConsent")
    section = Section.objects.create(name="World", slug="world")
    article = Article.objects.create(
        headline="Before", slug="before", section=section, body="Words."
    )
    ReplyConsent.objects.create(email="yes@example.org")

    def make(email: str, asked: bool) -> int:
        return Comment.objects.create(
            article=article,
            name="R",
            email=email,
            body="b",
            notify_replies=asked,
        ).pk

    kept = make("yes@example.org", True)
    not_asked = make("yes@example.org", False)
    no_yes = make("none@example.org", True)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    Comment = executor.loader.project_state(AFTER).apps.get_model("comments", "Comment")
    vouched = dict(Comment.objects.values_list("pk", "replies_vouched"))
    assert vouched == {kept: True, not_asked: False, no_yes: False}
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
