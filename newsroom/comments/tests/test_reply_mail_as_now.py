"""A reply's notification goes as the reply is when it is sent, not as read.

A batch of reply notifications (``moderation.notify_replies`` right after
an approval, or the owed ones: ``owed.replies_owed``, then the cron job's
``send_owed_reply_mail``) reads the replies first and sends after
(``moderation._mail_replies``). Between the two a moderator may remove the
reply, hold it or mark it spam, or edit its words, and the parent may
unsubscribe. The send step must claim each reply as it is then: what is
not shown any more is not mailed (and stays wanted if it is shown again),
and what was edited goes with its new words. Mail goes over SMTP to a
relay on 127.0.0.1."""

from __future__ import annotations

import pytest

from newsroom.articles.tests import factories as f
from newsroom.comments import moderation
from newsroom.comments.models import Comment, ReplyConsent
from newsroom.comments.owed import replies_owed, wanting_mail
from newsroom.comments.tests.test_mail_relay import Relay, mail_to

pytestmark = pytest.mark.django_db(transaction=True)

PARENT = "parent@example.org"


@pytest.fixture
def relay(settings):
    taking = Relay()
    taking.refuse = False
    mail_to(settings, taking.port)
    yield taking
    taking.close()


def _reply(*, owed: bool) -> Comment:
    """An approved reply to a comment whose author said yes to reply mail:
    not yet mailed, or (``owed``) tried once and owed."""
    a = f.article()
    parent = Comment.objects.create(
        article=a,
        name="Parent",
        body="Parent words.",
        email=PARENT,
        notify_replies=True,
        replies_vouched=True,
        status=Comment.Status.APPROVED,
    )
    ReplyConsent.objects.create(email=PARENT)
    return Comment.objects.create(
        article=a,
        parent=parent,
        name="Spammer",
        body="Cheap pills at pills.example.",
        status=Comment.Status.APPROVED,
        reply_notified=owed,
        reply_owed=owed,
    )


@pytest.mark.parametrize("status", ["removed", "spam", "pending"])
def test_an_owed_reply_a_moderator_took_down_after_the_read_is_not_mailed(
    relay, status
):
    """The cron job read the owed reply; a moderator then removed it (or
    marked it spam, or held it again) before the send: the parent gets no
    mail with its words. The old code mailed it as read."""
    reply = _reply(owed=True)
    owed = replies_owed()
    assert [r.pk for r in owed] == [reply.pk]
    moderation.set_status([reply], status)
    assert moderation._mail_replies([], owed, force=True) == 0
    assert relay.delivered == [], relay.messages


def test_a_reply_taken_down_after_the_read_is_not_mailed_and_is_when_shown_again(
    relay, django_capture_on_commit_callbacks
):
    """The batch an approval starts read its reply; a moderator then marked
    it spam before the send: no mail. Approved again later, its mail goes
    then, once: it was not spent on the mail that did not go."""
    reply = _reply(owed=False)
    fresh = list(wanting_mail().filter(pk=reply.pk))
    moderation.set_status([reply], Comment.Status.SPAM)
    assert moderation._mail_replies(fresh, []) == 0
    assert relay.delivered == [], relay.messages
    with django_capture_on_commit_callbacks(execute=True):
        moderation.set_status([reply], Comment.Status.APPROVED)
    assert relay.delivered == [PARENT]
    assert moderation.send_owed_reply_mail() == 0
    assert relay.delivered == [PARENT]


@pytest.mark.parametrize("owed", [False, True], ids=["at-once", "owed"])
def test_a_reply_edited_after_the_read_is_mailed_with_its_words_now(relay, owed):
    """A moderator cut the spammer's link out of the reply after the batch
    read it: the mail quotes the words now shown, not the link."""
    reply = _reply(owed=owed)
    read = replies_owed() if owed else list(wanting_mail().filter(pk=reply.pk))
    reply.body = "[link removed by a moderator]"
    reply.save()
    fresh, late = ([], read) if owed else (read, [])
    assert moderation._mail_replies(fresh, late, force=True) == 1
    (message,) = relay.messages
    assert "> [link removed by a moderator]" in message
    assert "pills.example" not in message


def test_a_reply_whose_parent_unsubscribed_after_the_read_is_not_mailed(relay):
    """The parent followed the mail's "stop these emails" link after the
    batch read the reply: the reply is not mailed to her."""
    reply = _reply(owed=False)
    fresh = list(wanting_mail().filter(pk=reply.pk))
    moderation.unsubscribe(reply.parent_id)
    assert moderation._mail_replies(fresh, []) == 0
    assert relay.delivered == []


def test_two_batches_that_read_the_same_reply_mail_it_once(relay):
    """An approval's batch and the cron job read the same owed reply: the
    parent gets one mail, and the reply is owed no more."""
    reply = _reply(owed=True)
    first, second = replies_owed(), replies_owed()
    assert moderation._mail_replies([], first, force=True) == 1
    assert moderation._mail_replies([], second, force=True) == 0
    assert relay.delivered == [PARENT]
    reply.refresh_from_db()
    assert reply.reply_notified and not reply.reply_owed
