"""Taking a comment in: code, guard, moderation mode, one short write.

The write is one transaction: spend the code, insert the comment, recount the
article when the comment is visible at once. On SQLite a writer may still meet
"database is locked" past the busy timeout under heavy load, so the write is
retried a few times before giving up; nothing is written twice because the
transaction either committed or rolled back as a whole.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from django.db import IntegrityError, OperationalError, transaction

from newsroom.articles.models import Article

from . import guard, moderation
from .confirmation import get_backend
from .models import Comment, UsedCode
from .text import body_hash

RETRIES = 4


@dataclass
class Posted:
    comment: Comment | None
    refusal: str = ""  # rule name when refused
    reason: str = ""
    status: int = 200


def _is_locked(exc: OperationalError) -> bool:
    return "locked" in str(exc).lower() or "busy" in str(exc).lower()


def with_retry(write, retries: int = RETRIES):
    """Run ``write()`` in a transaction, again when SQLite says it is locked."""
    for attempt in range(retries + 1):
        try:
            with transaction.atomic():
                return write()
        except OperationalError as exc:
            if attempt == retries or not _is_locked(exc):
                raise
            time.sleep(0.02 * (2**attempt) + random.random() * 0.02)


def post_comment(
    article: Article,
    *,
    name: str,
    email: str,
    body: str,
    parent: Comment | None,
    notify_replies: bool,
    network: str,
    challenge_id: str,
) -> Posted:
    """Check and store one comment; the code must already be verified."""
    sub = guard.Submission(
        article=article,
        name=name,
        email=email,
        body=body,
        network=network,
        body_hash=body_hash(body),
        parent_id=parent.pk if parent else None,
    )
    outcome = guard.check(sub)
    if outcome.refused:
        rule, reason = outcome.rejected[0]
        # A refused post still spends its code: otherwise one code could be
        # used to probe the rules again and again.
        with_retry(lambda: get_backend().spend(challenge_id))
        return Posted(None, rule.name, reason, rule.status)
    status = moderation.initial_status(article, email, held=bool(outcome.held))
    comment = Comment(
        article=article,
        parent=parent,
        name=name,
        email=email,
        body=body,
        network=network,
        status=status,
        reasons=outcome.reasons,
        notify_replies=notify_replies,
    )

    def write() -> Comment:
        # First statement of the transaction, so a replay's IntegrityError
        # rolls back nothing but itself (and needs no savepoint).
        UsedCode.objects.create(challenge_id=challenge_id)
        comment.pk = None
        comment.save(force_insert=True)
        if comment.status == Comment.Status.APPROVED:
            moderation.recount([article.pk])
        return comment

    try:
        saved = with_retry(write)
    except IntegrityError:
        if not UsedCode.objects.filter(challenge_id=challenge_id).exists():
            raise
        return Posted(None, "code_used", "That code was already used.", 400)
    if saved.status == Comment.Status.APPROVED:
        transaction.on_commit(lambda: moderation.notify_replies([saved.pk]))
    else:
        transaction.on_commit(lambda: moderation.notify_moderators(saved))
    if random.random() < 0.005:  # spent codes older than their tokens are dead
        get_backend().purge()
    return Posted(saved, status=201)
