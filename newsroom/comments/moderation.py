"""Moderation: which comments wait, state changes, counts and the emails.

Every state change goes through :func:`set_status`, which recounts the
approved comments of the articles it touched and sends reply notifications
for comments that just became visible.
"""

from __future__ import annotations

import logging
import smtplib
import time
from collections.abc import Iterable

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage, get_connection, send_mail
from django.db import transaction
from django.db.models import Case, Count, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from newsroom.articles.models import Article
from newsroom.core import background, limits
from newsroom.core.links import absolute_url

from . import relay
from .models import Comment, CommentQuerySet, ReplyConsent
from .owed import replies_owed, tell_moderators_owed, wanting_mail

log = logging.getLogger(__name__)
MODERATE_SALT = "newsroom.comments.moderate"
UNSUBSCRIBE_SALT = "newsroom.comments.unsubscribe"
ACTIONS = {"approve": Comment.Status.APPROVED, "reject": Comment.Status.REJECTED}


def mode_for(article: Article) -> str:
    """The article's own mode, or the site's when it says "site default"."""
    return article.comment_moderation or settings.NEWSROOM_COMMENTS_MODERATION


def comments_open(article: Article) -> bool:
    return bool(settings.NEWSROOM_COMMENTS_ENABLED and article.comments_enabled)


def initial_status(article: Article, *, held: bool, trusted: bool) -> str:
    """Where a new comment starts.

    "First-time" moderation trusts only what the site can check: ``trusted``
    means the reader's browser carries the signed cookie of an earlier comment
    of theirs that a moderator approved (:func:`trusted`). A claimed email
    address proves nothing and changes nothing, so the answer to a post never
    tells whether an address has commented before.
    """
    if held:
        return Comment.Status.PENDING
    mode = mode_for(article)
    if mode == Article.Moderation.NONE:
        return Comment.Status.APPROVED
    if mode == Article.Moderation.FIRST_TIME and trusted:
        return Comment.Status.APPROVED
    return Comment.Status.PENDING


# --- the returning commenter's signed cookie ------------------------------------
COMMENTER_COOKIE = "nr_commenter"
COMMENTER_KEEP = 20  # ids of the browser's latest comments


def commenter_ids(request) -> list[int]:
    """The comment ids this browser's signed cookie lists (forged: none)."""
    value = request.get_signed_cookie(
        COMMENTER_COOKIE, default="", salt=COMMENTER_COOKIE, max_age=365 * 86400
    )
    return [int(i) for i in value.split(",") if i.isascii() and i.isdigit()][
        -COMMENTER_KEEP:
    ]


def trusted(ids: list[int]) -> bool:
    """True when one of these comments is approved: the reader has a record."""
    return (
        bool(ids)
        and Comment.objects.filter(
            pk__in=ids[-COMMENTER_KEEP:], status=Comment.Status.APPROVED
        ).exists()
    )


def remember(response, request, ids: list[int], comment: Comment) -> None:
    """Add the new comment to the browser's signed cookie."""
    kept = (ids + [comment.pk])[-COMMENTER_KEEP:]
    response.set_signed_cookie(
        COMMENTER_COOKIE,
        ",".join(str(i) for i in kept),
        salt=COMMENTER_COOKIE,
        max_age=365 * 86400,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )


def recount(article_ids: Iterable[int]) -> None:
    """Store each article's approved-comment count (an UPDATE, no save signals)."""
    ids = sorted(set(article_ids))
    if not ids:
        return
    approved = (
        Comment.objects.filter(article=OuterRef("pk"), status=Comment.Status.APPROVED)
        .order_by()
        .values("article")
        .annotate(n=Count("pk"))
        .values("n")
    )
    with transaction.atomic():
        # Lock the articles first, in a fixed order: on PostgreSQL an UPDATE
        # that waits for another recount's row lock still counts with the
        # snapshot it took before waiting, so two writers committing at once
        # each stored a count without the other's comment. The UPDATE after
        # the lock is a new statement, with a snapshot that sees them.
        list(
            Article.objects.select_for_update()
            .filter(pk__in=ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        Article.objects.filter(pk__in=ids).update(
            comment_count=Coalesce(Subquery(approved), 0)
        )


def set_status(comments: Iterable[Comment] | Iterable[int], status: str) -> int:
    """Move comments to ``status``; keeps counts right and notifies on approval."""
    ids = [c.pk if isinstance(c, Comment) else int(c) for c in comments]
    with transaction.atomic():
        rows = list(
            Comment.objects.select_for_update()
            .filter(pk__in=ids)
            .exclude(status=status)
            .only("pk", "article_id")
        )
        changed = [r.pk for r in rows]
        shown = {}
        if status == Comment.Status.APPROVED:
            # Owed until its job claims it: lost with a killed process, a
            # later batch or the cron job sends it (newsroom.comments.owed).
            shown["reply_owed"] = Case(
                When(parent__isnull=False, reply_notified=False, then=Value(True)),
                default=F("reply_owed"),
            )
        # Moderated: no mail need tell the moderators of it any more.
        Comment.objects.filter(pk__in=changed).update(
            status=status, moderated_at=timezone.now(), moderators_told=True, **shown
        )
        recount(r.article_id for r in rows)
        if status == Comment.Status.APPROVED:
            background.after_commit(notify_replies, changed)
    return len(changed)


# --- signed links -------------------------------------------------------------
def _max_age() -> int:
    return int(settings.NEWSROOM_COMMENTS_LIMITS["LINK_MAX_AGE_DAYS"]) * 86400


def state_of(comment: Comment) -> str:
    """The comment's moderation state: its status and when it last changed."""
    when = comment.moderated_at.isoformat() if comment.moderated_at else ""
    return f"{comment.status}@{when}"


def moderation_token(comment: Comment, action: str) -> str:
    """A link bound to the comment's state now: once that changes, it is dead."""
    return signing.dumps(
        {"c": comment.pk, "a": action, "s": state_of(comment)}, salt=MODERATE_SALT
    )


def read_moderation_token(token: str) -> tuple[int, str, str] | None:
    try:
        data = signing.loads(token, salt=MODERATE_SALT, max_age=_max_age())
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("a") not in ACTIONS:
        return None
    if not isinstance(data.get("c"), int) or not isinstance(data.get("s"), str):
        return None
    return data["c"], data["a"], data["s"]


def apply_link(pk: int, action: str, state: str) -> bool:
    """Act on an emailed link only while the comment is as it was when sent."""
    with transaction.atomic():
        comment = Comment.objects.select_for_update().filter(pk=pk).first()
        if comment is None or state_of(comment) != state:
            return False
        set_status([comment], ACTIONS[action])
    return True


def unsubscribe_token(comment: Comment) -> str:
    return signing.dumps({"c": comment.pk}, salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token: str) -> int | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=_max_age() * 52)
    except signing.BadSignature:
        return None
    return int(data["c"]) if isinstance(data, dict) and "c" in data else None


# --- email ----------------------------------------------------------------------
def quoted(text: str) -> str:
    """A reader's text in an email, every line marked as theirs ("> "), so
    it cannot pass for the email's own lines (its approve and reject links)."""
    return "\n".join(f"> {line}".rstrip() for line in text.splitlines())


# Defaults, (emails, seconds); NEWSROOM_COMMENTS_LIMITS may override them.
MAIL_LIMITS = {
    "MODERATOR_MAILS": (20, 3600),  # to the moderators, about held comments
    "REPLY_MAILS": (10, 3600),  # reply notifications to one address
}


def mail_limit(name: str) -> tuple[int, int]:
    limit = settings.NEWSROOM_COMMENTS_LIMITS.get(name) or MAIL_LIMITS[name]
    return int(limit[0]), int(limit[1])


def notify_moderators(comment: Comment) -> int:
    """One email per held comment, with signed approve and reject links.

    At most ``MODERATOR_MAILS`` of them in a period, whoever posts: a flood of
    held comments (a bot solving the proof-of-work from many networks) must
    not make the site send moderators thousands of emails. Past the limit the
    comments wait in the queue unmailed, and one email a period says so. A
    mail that was not sent (the relay refused it) counts for neither.
    """
    moderators = list(settings.NEWSROOM_COMMENTS_MODERATORS)
    this = Comment.objects.filter(pk=comment.pk)
    if not moderators:
        this.update(moderators_told=True)  # no one to tell
        return 0
    # As it is now, not as posted: the background thread may get here after
    # the comment was deleted or moderated, and mails neither; nor one a
    # notice named already (the cron job took this job for lost).
    comment = (
        Comment.objects.select_related("article")
        .filter(pk=comment.pk, status=Comment.Status.PENDING, moderators_told=False)
        .first()
    )
    if comment is None:
        return 0
    count, seconds = mail_limit("MODERATOR_MAILS")
    outcome = limits.hit(
        "comments.moderator_mail", "site", count, seconds, rolling=True
    )
    if not outcome.allowed:
        return _mail_paused(moderators, outcome, count, seconds, this)
    links = {
        action: absolute_url(
            reverse("comments:moderate", args=[moderation_token(comment, action)])
        )
        for action in ACTIONS
    }
    reasons = "\n".join(f"  - {r}" for r in comment.reasons) or "  - moderation mode"
    body = (
        f'A comment on "{comment.article.headline}" awaits moderation.\n\n'
        f"From: {comment.name}\nNetwork: {comment.network}\n"
        f"Held because:\n{reasons}\n\n"
        f"{quoted(comment.body)}\n\n"
        f"Approve: {links['approve']}\nReject: {links['reject']}\n\n"
        f"The links work for {settings.NEWSROOM_COMMENTS_LIMITS['LINK_MAX_AGE_DAYS']} "
        "days and ask you to confirm.\n"
    )
    sent = _mail_moderators(
        moderators, "Comment awaiting moderation", body, f"comment {comment.pk}"
    )
    if not sent:
        # Not mailed: its place is the next held comment's (the relay may be
        # back), or an outage fills the period and no link reaches anyone;
        # and it is owed, named in the notice of tell_moderators_owed.
        limits.give_back("comments.moderator_mail", "site", outcome)
        this.update(moderators_owed=True)
        return 0
    # Told once it went, not claimed before: a process killed while sending
    # leaves it untold, and a notice names it (maybe a second time, if the
    # mail did reach the relay: better than never).
    this.update(moderators_told=True)
    return sent + tell_moderators_owed()


def _mail_paused(
    moderators: list[str],
    outcome: limits.Hit,
    count: int,
    seconds: int,
    held: CommentQuerySet,
) -> int:
    """The one email of a period that says more comments wait than were
    mailed; the comment ``held`` is among them, told unless it did not go."""
    paused = f"comments.moderator_mail_paused:{outcome.window}"
    if not limits.spend_once(paused, seconds, durable=True):
        held.update(moderators_told=True)  # said, or being said, this period
        return 0
    queue = absolute_url(reverse("admin:comments_pendingcomment_changelist"))
    body = (
        f"More comments await moderation than the {count} emails about them "
        f"that {seconds // 60} minutes allow. The others wait in the queue "
        f"without an email of their own:\n\n{queue}\n\n"
        f"An email per comment resumes in about {outcome.retry_after // 60 + 1} "
        "minutes.\n"
    )
    sent = _mail_moderators(
        moderators, "Many comments awaiting moderation", body, "the pause"
    )
    if sent:
        held.update(moderators_told=True)
    else:  # the next held comment tries to say it, or a later notice names it
        limits.unspend(paused)
    return sent


def _mail_moderators(moderators: list[str], subject: str, body: str, what: str) -> int:
    """Send one email to the moderators; how many went (a failure is logged)."""
    return relay.deliver(
        lambda: send_mail(f"[{settings.SITE_NAME}] {subject}", body, None, moderators),
        f"could not email moderators about {what}",
    )


def notify_replies(comment_ids: Iterable[int]) -> int:
    """Tell parents who opted in that an approved reply arrived, once per reply.

    The batch also carries up to REPLY_MAIL_OWED_BATCH notifications owed
    (``newsroom.comments.owed``): an earlier batch could not send them (the
    relay refused or did not answer), or the process that queued them was
    killed first. While the relay is left alone after a hang
    (``relay.hung``) nothing is sent, and this batch's own notifications
    are owed too."""
    ids = list(comment_ids)
    fresh = list(wanting_mail().filter(pk__in=ids))
    # The approval marked its replies owed (in case this job is lost with
    # its process): those whose parent did not ask are not.
    Comment.objects.filter(pk__in=ids, reply_owed=True, reply_notified=False).exclude(
        pk__in=[r.pk for r in fresh]
    ).update(reply_owed=False)
    owed = replies_owed() if fresh else []
    return _mail_replies(fresh, owed)


def send_owed_reply_mail() -> int:
    """Send the owed reply notifications now, even while the relay is left
    alone after a hang; how many went (``manage.py send_owed_mail``, for a
    cron job after an outage)."""
    return _mail_replies([], replies_owed(), force=True)


def _mail_replies(fresh: list[Comment], owed: list[Comment], force=False) -> int:
    batch: list[tuple[Comment, EmailMessage, limits.Hit]] = []
    for read, was_owed in [(r, False) for r in fresh] + [(r, True) for r in owed]:
        reply = _claim(read.pk, was_owed)
        if reply is None:
            continue
        parent = reply.parent
        if reply.email and reply.email == parent.email:
            continue
        allowed = _reply_mail_allowed(parent.email)
        if not allowed.allowed:
            continue  # the address had its share this period; the page has it
        batch.append((reply, _reply_message(reply), allowed))
    went = send_all([message for _, message, _ in batch], force=force)
    failed = [
        (reply, hit) for (reply, _, hit), ok in zip(batch, went, strict=True) if not ok
    ]
    for reply, hit in failed:
        # Owed, and not counted against the address's share.
        Comment.objects.filter(pk=reply.pk).update(reply_owed=True)
        limits.give_back("comments.reply_mail", _address_key(reply.parent.email), hit)
    return sum(went)


def _claim(pk: int, was_owed: bool) -> Comment | None:
    """The reply, claimed for its mail as it is now; None when it is not
    to be mailed any more.

    Claimed first: two approvals at once (or an approval and the cron job,
    or a job and the cron job taking it as lost) mail a reply once. And
    read again under the claim: since the batch read it, a moderator may
    have removed it, held it or marked it spam (not mailed, and still owed
    its mail if it is approved again), or edited its words (mailed as they
    are now); its parent may have unsubscribed. (PostgreSQL: the row lock
    waits for a moderation in flight and then reads the row it wrote;
    SQLite: the IMMEDIATE transaction holds the one write lock.)"""
    with transaction.atomic():
        reply = (
            wanting_mail(owed=was_owed)
            .filter(pk=pk)
            .select_for_update(of=("self",))
            .first()
        )
        if reply is not None:
            Comment.objects.filter(pk=pk).update(reply_notified=True, reply_owed=False)
    return reply


def _reply_message(reply: Comment) -> EmailMessage:
    parent = reply.parent
    unsubscribe = absolute_url(
        reverse("comments:unsubscribe", args=[unsubscribe_token(parent)])
    )
    name = " ".join(reply.name.split())  # one line, even for an old row
    return EmailMessage(
        subject=f"[{settings.SITE_NAME}] {name} replied to your comment",
        body=(
            f"{reply.name} replied to your comment on "
            f'"{reply.article.headline}":\n\n{quoted(reply.body)}\n\n'
            f"Read it: {absolute_url(reply.get_absolute_url())}\n\n"
            f"Stop these emails: {unsubscribe}\n"
        ),
        to=[parent.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def _address_key(email: str) -> str:
    return salted_hmac(UNSUBSCRIBE_SALT, email).hexdigest()[:24]  # no address


def _reply_mail_allowed(email: str) -> limits.Hit:
    """At most REPLY_MAILS reply emails to one address a period: replies that
    a flood of networks posts under one comment (each within its own rate
    limit) must not each mail its author."""
    count, seconds = mail_limit("REPLY_MAILS")
    return limits.hit(
        "comments.reply_mail", _address_key(email), count, seconds, rolling=True
    )


def send_all(messages: list[EmailMessage], force: bool = False) -> list[bool]:
    """Send over one connection; which went, message by message.

    A relay that refuses one message (it answered) is asked for the next; one
    that stops answering (EMAIL_TIMEOUT) or goes away ends the batch, so a
    moderator approving fifty replies waits one timeout, not fifty. While the
    relay is left alone after a hang nothing is sent, unless ``force``.
    """
    went = [False] * len(messages)
    if not messages:
        return went
    if not force and relay.hung():
        log.warning("the mail relay did not answer lately: %d owed", len(messages))
        return went
    step = time.monotonic()
    try:
        with get_connection() as connection:
            for n, message in enumerate(messages):
                message.connection = connection
                step = time.monotonic()
                try:
                    went[n] = bool(message.send())
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException):
                    log.exception("the relay refused a reply notification")
                    # It answered, but may hang after (its reply to the reset
                    # that follows a refusal): a whole timeout is a hang.
                    relay.note_failure(step)
    except Exception:  # a mail outage must never undo the moderation
        log.exception("could not send %d reply notification(s)", went.count(False))
        relay.note_failure(step)
    return went


def unsubscribe(comment_id: int) -> int:
    """Stop reply emails for this comment and every other by the same address,
    and take back the address's yes: a comment posted later with the box
    ticked asks its owner again."""
    comment = Comment.objects.filter(pk=comment_id).first()
    if comment is None:
        return 0
    where = Q(pk=comment.pk)
    if comment.email:
        where |= Q(email=comment.email)
        ReplyConsent.objects.filter(email=comment.email).delete()
    return Comment.objects.filter(where).update(notify_replies=False)
