"""Owed reply notifications nobody wants any more do not hold up the rest.

``owed.replies_owed`` reads the oldest 500 owed replies and sends those
still wanted. A reply tried and not gone (the relay refused it) whose
parent then unsubscribed, or which a moderator then removed, is wanted no
more: it must stop being owed, or 500 of them (one bad relay hour on a busy
site) fill the window and every later reply waits two days for them to age
out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from newsroom.articles.tests import factories as f
from newsroom.comments import owed
from newsroom.comments.models import Comment, ReplyConsent

pytestmark = pytest.mark.django_db

WINDOW = owed.OWED_WINDOW


def test_replies_no_one_wants_any_more_leave_the_window_to_the_rest():
    a = f.article()
    long_ago = timezone.now() - timedelta(hours=3)
    gone = Comment.objects.create(
        article=a,
        name="Gone",
        body="Unsubscribed since.",
        email="gone@example.org",
        notify_replies=False,  # unsubscribed after the failed tries
        replies_vouched=True,
        status=Comment.Status.APPROVED,
    )
    # Tried and not gone, owed again, and wanted no more.
    Comment.objects.bulk_create(
        Comment(
            article=a,
            parent=gone,
            name=f"Reply {n}",
            body=f"Reply {n}.",
            status=Comment.Status.APPROVED,
            created_at=long_ago,
            moderated_at=long_ago,
            reply_notified=True,
            reply_owed=True,
        )
        for n in range(WINDOW + 20)
    )
    parent = Comment.objects.create(
        article=a,
        name="Parent",
        body="Still asking.",
        email="parent@example.org",
        notify_replies=True,
        replies_vouched=True,
        status=Comment.Status.APPROVED,
    )
    ReplyConsent.objects.create(email=parent.email)
    wanted = Comment.objects.create(
        article=a,
        parent=parent,
        name="Later",
        body="A later reply.",
        status=Comment.Status.APPROVED,
        moderated_at=timezone.now(),
        reply_notified=True,  # tried and not gone: due at once
        reply_owed=True,
    )
    found = owed.replies_owed()
    assert [r.pk for r in found] == [wanted.pk]
    assert not Comment.objects.filter(parent=gone, reply_owed=True).exists()
