"""Two nodes tell the moderators about held comments not mailed, at once.

``moderation.tell_moderators_owed`` claims the owed comments, sends one
notice naming them, and puts them back to owed when the notice did not go.
A node whose notice failed must put back only what it claimed itself, not
what another node claimed (and mailed) meanwhile."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from django.db import connections

from newsroom.articles.tests import factories as f
from newsroom.comments import moderation
from newsroom.comments.models import Comment
from newsroom.comments.tests.test_mail_relay import Relay, mail_to

pytestmark = pytest.mark.django_db(transaction=True)


def _other_node():
    """A connection of its own to the test database: another app server."""
    conf = connections["default"].settings_dict
    return psycopg.connect(
        host=conf["HOST"] or None,
        port=conf["PORT"] or None,
        user=conf["USER"] or None,
        password=conf["PASSWORD"] or None,
        dbname=conf["NAME"],
    )


def test_a_failed_notice_puts_back_only_the_comments_its_node_claimed(settings):
    """Node B has claimed one owed comment (its claim not committed yet)
    when node A asks for the owed ones; A's notice is refused by the relay.
    A puts back the comments it claimed, and leaves the one B claimed: B's
    notice named it. A put back every comment it had selected, B's too, so
    the next notice named it a second time."""
    if connections["default"].vendor != "postgresql":
        pytest.skip("SQLite's IMMEDIATE transactions serialise the two nodes")
    relay = Relay()  # refuses every recipient: A's notice does not go
    mail_to(settings, relay.port)
    settings.EMAIL_TIMEOUT = 5
    settings.NEWSROOM_COMMENTS_MODERATORS = ["desk@example.org"]
    a = f.article()
    held = [
        Comment.objects.create(
            article=a,
            name=f"R{n}",
            body=f"Held words {n}.",
            status=Comment.Status.PENDING,
            moderators_owed=True,
            moderators_told=False,  # as the intake writes a held one
        )
        for n in range(3)
    ]
    table = Comment._meta.db_table
    other = _other_node()
    try:
        other.execute(
            f"UPDATE {table} SET moderators_owed = false WHERE id = %s",
            [held[0].pk],
        )

        def commit_later() -> None:
            time.sleep(1.0)  # A has read the owed ones by now
            other.commit()

        committer = threading.Thread(target=commit_later)
        committer.start()
        assert not moderation.tell_moderators_owed()  # refused
        committer.join(timeout=30)
    finally:
        other.close()
        relay.close()
    owed = dict(Comment.objects.values_list("pk", "moderators_owed"))
    assert owed == {held[0].pk: False, held[1].pk: True, held[2].pk: True}


def test_a_comment_owed_while_the_notice_reads_the_owed_ones_stays_owed(
    settings, mailoutbox
):
    """Another node (or this one's background thread) marks a held comment
    owed, its own mail refused, just after this notice read the owed ones:
    the notice then cleared every owed comment it had not read, as if
    moderated or old, the new one too, which no notice ever named."""
    settings.NEWSROOM_COMMENTS_MODERATORS = ["desk@example.org"]
    a = f.article()

    def held(name: str) -> Comment:
        return Comment.objects.create(
            article=a,
            name=name,
            body=f"Held words of {name}.",
            status=Comment.Status.PENDING,
            moderators_owed=True,
            moderators_told=False,  # as the intake writes a held one
        )

    held("Early")
    late: list[Comment] = []

    def owed_meanwhile(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if (
            not late
            and sql.lstrip().upper().startswith("SELECT")
            and ("created_at" in sql)
            and "LIMIT 1" not in sql.upper()  # the ids, not "any owed?"
        ):
            late.append(held("Late"))  # right after the owed ones were read
        return result

    with connections["default"].execute_wrapper(owed_meanwhile):
        assert moderation.tell_moderators_owed() == 1
    assert late, "the owed ones were never read"
    (notice,) = mailoutbox
    assert "1 comment was held" in notice.body
    late[0].refresh_from_db()
    assert late[0].moderators_owed, "owed, and no notice will name it"


def test_held_comments_written_by_other_code_are_not_named_as_lost(settings):
    """A held comment no intake wrote (a WordPress import's pending ones,
    the admin, a node still on the version before ``moderators_told``) had
    no job to lose: the cron job's notice does not name it. Rows started
    "not told", so after the grace the moderators were told of mail that
    never failed, and each node of the version before made one more."""
    relay = Relay()
    relay.refuse = False
    mail_to(settings, relay.port)
    settings.NEWSROOM_COMMENTS_MODERATORS = ["desk@example.org"]
    settings.NEWSROOM_COMMENTS_LIMITS = {
        **settings.NEWSROOM_COMMENTS_LIMITS,
        "OWED_GRACE": 1,
    }
    try:
        a = f.article()
        Comment.objects.create(
            article=a, name="Imported", body="Pending in the export.",
            status=Comment.Status.PENDING,
        )  # fmt: skip
        time.sleep(1.5)  # past the grace
        assert moderation.tell_moderators_owed(force=True) == 0
        assert relay.delivered == []
    finally:
        relay.close()
