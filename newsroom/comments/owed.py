"""Comment mail that is owed: not sent, or lost with the process that held it.

Mail the relay refused or did not answer is owed (``reply_owed``,
``moderators_owed``): the next batch carries it, or ``manage.py
send_owed_mail`` (a cron job, every ten minutes). So is mail that was never
tried: each process sends the mail of its requests from a thread of its own,
after the commit (``newsroom.core.background``), and a worker killed hard
(SIGKILL: an OOM kill, a crash, a deploy that kills) loses what was still
queued in it. The row says so instead: an approved reply is marked owed in
the write that shows it, and its job clears the mark as it claims it; a
held comment is not ``moderators_told`` until its job claims it. A mark
older than :data:`OWED_GRACE_SECONDS` is a job no live process is still
about to run (a queue drains within seconds; a stopping worker gets ten),
and a later batch or the cron job sends its mail, once: every sender claims
the row with a conditional UPDATE first.

Mail owed for longer than :data:`OWED_SECONDS` is not sent late.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from newsroom.core.links import absolute_url

from . import relay
from .models import Comment, CommentQuerySet, ReplyConsent

# Owed mail older than this (from when the comment was shown or held) is
# dropped, not sent late.
OWED_SECONDS = 2 * 86400
# A job queued this long ago and not run is lost with its process (killed):
# a live process's queue drains within seconds, a stopping one's within
# background.DRAIN_SECONDS. NEWSROOM_COMMENTS_LIMITS["OWED_GRACE"] overrides.
OWED_GRACE_SECONDS = 120
REPLY_MAIL_OWED_BATCH = 50  # owed mails one batch carries besides its own


def grace() -> int:
    given: dict[str, Any] = settings.NEWSROOM_COMMENTS_LIMITS
    return int(given.get("OWED_GRACE") or OWED_GRACE_SECONDS)


def wanting_mail(owed: bool = False) -> CommentQuerySet:
    """Approved replies whose parent asked, with the address's own yes, not
    the box a commenter ticked (anyone can type anyone's address):
    confirm_email, double opt-in; and the parent is a comment of who said
    yes (``replies_vouched``), not a stranger's under the address. Not yet
    mailed, or (``owed``) owed (``reply_owed``, found through its partial
    index)."""
    state = {"reply_owed": True} if owed else {"reply_notified": False}
    return (
        Comment.objects.filter(
            status=Comment.Status.APPROVED,
            parent__notify_replies=True,
            parent__replies_vouched=True,
            **state,
        )
        .exclude(parent__email="")
        .filter(Exists(ReplyConsent.objects.filter(email=OuterRef("parent__email"))))
        .select_related("parent", "article")
    )


# Owed replies read at once, and windows read in one call when a window
# held none still wanted (each such window is then cleared).
OWED_WINDOW = 500
OWED_WINDOWS = 4


def replies_owed() -> list[Comment]:
    """Replies whose mail is owed, for two days from when each was shown
    (approved), not posted: tried and not gone (``reply_notified``) at
    once; never tried, its job queued in a process killed since, after the
    grace. Older ones stop being owed, and so do lost ones whose parent did
    not ask (their job would have sent nothing)."""
    now = timezone.now()
    owed = Comment.objects.filter(reply_owed=True).annotate(
        shown_from=Coalesce("moderated_at", "created_at")
    )
    due = owed.filter(
        Q(reply_notified=True) | Q(shown_from__lt=now - timedelta(seconds=grace()))
    )
    if not due.exists():
        return []  # the usual answer, from the partial index, with no write
    owed.filter(shown_from__lt=now - timedelta(seconds=OWED_SECONDS)).update(
        reply_owed=False
    )
    wanted: list[int] = []
    for _ in range(OWED_WINDOWS):
        # The ids first, through the partial index: asked with the rest of
        # the rules at once, a planner may read every approved comment.
        ids = list(
            due.order_by("created_at", "pk").values_list("pk", flat=True)[:OWED_WINDOW]
        )
        wanted = list(
            wanting_mail(owed=True)
            .filter(pk__in=ids)
            .order_by("created_at", "pk")
            .values_list("pk", flat=True)
        )
        # Those no one wants any more (the parent unsubscribed, the reply
        # was removed; tried before or not) stop being owed: kept, a window
        # full of them held every later reply back until they aged out.
        unwanted = sorted(set(ids) - set(wanted))
        Comment.objects.filter(pk__in=unwanted, reply_owed=True).update(
            reply_owed=False
        )
        if wanted or len(ids) < OWED_WINDOW:
            break
    return list(
        wanting_mail(owed=True)
        .filter(pk__in=wanted[:REPLY_MAIL_OWED_BATCH])
        .order_by("created_at", "pk")
    )


def tell_moderators_owed(force: bool = False) -> int:
    """One email to the moderators naming how many held comments got no
    email of their own, still held and from the last two days, with the
    queue's link: the relay refused or hung (``moderators_owed``, at once),
    or the process that was to send it was killed first (not
    ``moderators_told`` after the grace). Once: claimed before it is sent,
    owed again if it did not go. ``force``: even while the relay is left
    alone after a hang (the cron job)."""
    moderators = list(settings.NEWSROOM_COMMENTS_MODERATORS)
    if not moderators:
        return 0
    now = timezone.now()
    untold = Comment.objects.filter(
        status=Comment.Status.PENDING, moderators_told=False
    )
    lost = now - timedelta(seconds=grace())
    due = untold.filter(Q(moderators_owed=True) | Q(created_at__lt=lost))
    if not due.exists():  # the usual answer, from the partial index
        return 0
    since = now - timedelta(seconds=OWED_SECONDS)
    # Old: not told late. By this rule, not "not read just now", which also
    # took a comment another node marked owed after the read.
    Comment.objects.filter(moderators_told=False, created_at__lt=since).update(
        moderators_told=True, moderators_owed=False
    )
    ids = list(due.filter(created_at__gte=since).values_list("pk", flat=True))
    # Claimed row by row as this node's: another node's claim (committed or
    # not) is skipped, so a notice that fails puts back only this node's.
    # (SQLite: the IMMEDIATE transaction holds the one write lock.)
    with transaction.atomic():
        mine = list(
            untold.filter(pk__in=ids)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        Comment.objects.filter(pk__in=mine).update(
            moderators_told=True, moderators_owed=False
        )
    claimed = len(mine)
    if not claimed:
        return 0
    queue = absolute_url(reverse("admin:comments_pendingcomment_changelist"))
    one = claimed == 1
    body = (
        f"{claimed} comment{' was' if one else 's were'} held and no email "
        f"about {'it' if one else 'them'} reached you: the mail server did not "
        "take it, or the server process that was to send it stopped first. "
        f"{'It waits' if one else 'They wait'} in the queue:\n\n{queue}\n"
    )
    sent = relay.deliver(
        lambda: send_mail(
            f"[{settings.SITE_NAME}] Comments awaiting moderation, not mailed",
            body,
            None,
            moderators,
        ),
        "could not email moderators about the comments not mailed",
        force=force,
    )
    if not sent:
        Comment.objects.filter(pk__in=mine).update(
            moderators_told=False, moderators_owed=True
        )
    return sent
