"""A reader's post does not wait for the mail it causes.

Held comments mail the moderators, a first comment its address's link, an
approval the replies' notifications. Sent within the request, each such
post waited for the relay: a slow relay slowed every such post, a hung one
cost a whole EMAIL_TIMEOUT. They go from the background thread now
(``newsroom.core.background``), against a real SMTP port on 127.0.0.1."""

from __future__ import annotations

import threading
import time

import pytest
from django.test import Client

from newsroom.articles.tests import factories as f
from newsroom.comments import moderation, privacy
from newsroom.comments.models import Comment
from newsroom.comments.tests.helpers import post
from newsroom.comments.tests.test_mail_relay import Relay, SilentRelay, mail_to
from newsroom.core import background

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def in_background(settings):
    settings.NEWSROOM_MAIL_IN_BACKGROUND = True
    settings.NEWSROOM_COMMENTS_MODERATION = "all"
    settings.NEWSROOM_COMMENTS_MODERATORS = ["desk@example.org"]
    yield
    assert background.drain(30), "the background thread did not finish"


def test_a_held_post_answers_before_a_hung_relay_and_is_owed_after(
    in_background, settings
):
    """With a relay that takes the connection and never answers, a held
    comment's post answers at once (it waited the whole EMAIL_TIMEOUT, 3 s
    here); the moderators' mail is tried behind it, gives up by itself, and
    the comment is owed to the moderators' next notice, as from the request."""
    relay = SilentRelay()
    mail_to(settings, relay.port)
    settings.EMAIL_TIMEOUT = 3
    try:
        a = f.article()
        start = time.monotonic()
        response = post(Client(), a, body="Held while the relay hangs.")
        took = time.monotonic() - start
        assert response.status_code == 303
        assert took < 2, f"the post waited {took:.1f} s for the relay"
        assert background.drain(30)
        relay.settled()
        assert relay.connections == 1
        comment = Comment.objects.get()
        assert comment.status == Comment.Status.PENDING and comment.moderators_owed
    finally:
        relay.close()


def test_the_mail_a_post_causes_still_goes(in_background, settings):
    """From the background thread the moderators get the held comment's
    mail, with its approve link at the site's address, as from the request."""
    relay = Relay()
    relay.refuse = False
    mail_to(settings, relay.port)
    settings.SITE_URL = "https://news.example"
    try:
        a = f.article()
        assert post(Client(), a, body="Held and mailed.").status_code == 303
        assert background.drain(30)
        (message,) = relay.messages
        assert "Held and mailed." in message
        assert "https://news.example/comments/moderate/" in message
        assert not Comment.objects.get().moderators_owed
    finally:
        relay.close()


def test_a_held_comment_gone_or_moderated_before_its_mail_is_not_mailed(
    in_background, mailoutbox
):
    """The moderators' mail about a held comment goes when the thread gets
    to it, maybe well after the post (a slow relay ahead of it). A comment
    deleted meanwhile (its author's address erased) or already moderated was
    still mailed from the post's copy: its name, network and words, and
    approve and reject links for a state long gone; and the erased address
    its link to say yes to reply emails."""
    started, release = threading.Event(), threading.Event()
    background.submit(lambda: (started.set(), release.wait(30)))
    assert started.wait(10)
    try:
        a = f.article()
        erased = post(
            Client(),
            a,
            body="Erased before the mail.",
            email="ada@example.org",
            notify_replies="on",
        )
        assert erased.status_code == 303
        assert post(Client(), a, body="Rejected before.").status_code == 303
        rejected = Comment.objects.get(body="Rejected before.")
        assert privacy.delete("ada@example.org")["comments"] == 1
        moderation.set_status([rejected], Comment.Status.REJECTED)
    finally:
        release.set()
    assert background.drain(30)
    assert [m.body for m in mailoutbox] == []
    assert not Comment.objects.filter(moderators_owed=True).exists()
