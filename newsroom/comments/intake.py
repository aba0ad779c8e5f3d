"""One comment intake: every decision about a new comment is taken here.

The article page's form (``views.post``) and the API (``api.create_comment``)
are thin adapters: they parse what the client sent into plain fields, call
:func:`take`, and present the :class:`Decision`. Nothing else decides whether
a comment is stored, so no second copy of a rule can drift.

The order: comments open; the network's wrong-answer budget; the fields, the
honeypot and the fill-time stamp (``CommentForm``); the image code or the
proof-of-work (one try each: a wrong answer spends it); the parent; then one
write transaction that takes the locks, runs the guard rules, spends the code
and the stamp, stores the comment and recounts. The rules that count rows
(rate per network, duplicates) run inside that transaction, after the lock:

* SQLite: the transaction begins IMMEDIATE (settings), which takes the
  database's write lock at BEGIN, so writers run one after another;
* PostgreSQL: ``pg_advisory_xact_lock`` on what each switched-on counting
  rule compares (the network; the article; the text on the article and from
  the network), taken in a fixed order at the start.

So N concurrent posts from one network with a limit of L store min(N, L), and
identical concurrent texts store one.
"""

from __future__ import annotations

import functools
import hashlib
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

from django.conf import settings
from django.db import OperationalError, connection, transaction

from newsroom.articles.models import Article
from newsroom.core import background, limits

from . import confirm_email, guard, moderation
from .confirmation import Verdict, get_backend, proof, scope
from .forms import FORM_MAX_AGE, CommentForm
from .models import Comment
from .text import address, body_hash, clean_text

RETRIES = 4
# Defaults that no reader reaches; NEWSROOM_COMMENTS_LIMITS may override them.
CODE_LIMITS = {"CODES_MINTED": (30, 600), "CODES_WRONG": (10, 600)}


@dataclass
class Decision:
    """What the intake decided; the adapters present it."""

    form: CommentForm
    comment: Comment | None = None
    refusal: str = ""  # a short code: "code_wrong", "rate_network", …
    reason: str = ""  # a sentence for the reader
    status: int = 400
    retry_after: int = 0  # seconds, with status 429
    field: str | None = None  # where the reason belongs in the form
    in_form: bool = False  # the form already shows the reason (beside a field)

    @property
    def accepted(self) -> bool:
        return self.comment is not None


def _is_locked(exc: OperationalError) -> bool:
    return "locked" in str(exc).lower() or "busy" in str(exc).lower()


def with_retry(write, retries: int = RETRIES):
    """Run ``write()`` in a transaction, again when SQLite says it is locked.

    Under heavy load a writer may still meet "database is locked" past the
    busy timeout; nothing is written twice, since the transaction either
    committed or rolled back as a whole.
    """
    for attempt in range(retries + 1):
        try:
            with transaction.atomic():
                return write()
        except OperationalError as exc:
            if attempt == retries or not _is_locked(exc):
                raise
            time.sleep(0.02 * (2**attempt) + random.random() * 0.02)


def code_limit(name: str) -> tuple[int, int]:
    limit = cast(
        "tuple[int, int]",
        settings.NEWSROOM_COMMENTS_LIMITS.get(name) or CODE_LIMITS[name],
    )
    return int(limit[0]), int(limit[1])


def mint(network: str) -> limits.Hit:
    """Count one new code or challenge for the network (the page's, the API's)."""
    count, seconds = code_limit("CODES_MINTED")
    return limits.hit("comments.mint", network, count, seconds, rolling=True)


def wrong_budget_left(network: str) -> int:
    """Seconds until the network may answer again, 0 when it may now."""
    count, seconds = code_limit("CODES_WRONG")
    return limits.wait("comments.wrong", network, count, seconds)


def _refuse(form: CommentForm, refusal: str, reason: str, status: int, **kw):
    # The page's refusal header says what decided, in the intake's order
    # (closed, the wrong-answer budget, the code, the fields), as the API
    # does: not a field's fault found on the way (a 429 said "too_fast").
    form.refusal = refusal
    return Decision(form, refusal=refusal, reason=reason, status=status, **kw)


def _confirm(fields: Mapping, article: Article, network: str) -> tuple[Verdict, str]:
    """The verdict on the code, or on the proof-of-work when no code was typed."""
    code = str(fields.get("code", "") or "")
    solved = str(fields.get("altcha", "") or "")
    if solved and not code.strip():
        return proof.verify(solved, article.pk, network), "pow"
    token = str(fields.get("token", "") or "")
    return get_backend().verify(token, code, scope(article.pk, network)), "code"


def _lock_key(text: str) -> int:
    """A signed 64-bit key for ``pg_advisory_xact_lock``."""
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_names(network: str, article_id: int, text_hash: str) -> list[str]:
    """What a post must hold on PostgreSQL: one lock per set of rows a
    switched-on counting rule compares (docs/comments.md, "One intake")."""
    names = []
    if guard.enabled("rate_network"):
        names.append(f"net:{network}")  # every post from the network
    if guard.enabled("rate_article"):
        names.append(f"art:{article_id}")  # every post on the article
    if guard.enabled("duplicate"):
        # The same words on this article, or from this network anywhere.
        names += [f"dup:{article_id}:{text_hash}", f"dupnet:{network}:{text_hash}"]
    return names


def _lock(network: str, article_id: int, text_hash: str) -> None:
    """Serialise writers that the race-prone rules compare (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return  # SQLite: BEGIN IMMEDIATE already holds the write lock
    keys = sorted(
        {_lock_key(name) for name in lock_names(network, article_id, text_hash)}
    )
    with connection.cursor() as cursor:
        for key in keys:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def take(
    article: Article,
    fields: Mapping,
    *,
    network: str,
    trusted: bool = False,
    vouched: bool = False,
) -> Decision:
    """Decide about one comment and store it when accepted.

    ``fields`` are the form's names (name, email, body, parent, notify_replies,
    code, token, altcha, stamp, homepage); ``trusted`` says the reader carries
    the signed cookie of an earlier approved comment; ``vouched`` that this
    browser pressed the button of the address typed (``confirm_email``), so
    a ticked "email me" box is its owner's.
    """
    data = dict(fields.items()) if hasattr(fields, "items") else dict(fields)
    for key in ("name", "body"):
        if isinstance(data.get(key), str):
            data[key] = clean_text(data[key])
    if isinstance(data.get("email"), str):
        data["email"] = address(data["email"])
    form = CommentForm(data, article_id=article.pk)
    if not moderation.comments_open(article):
        form.is_valid()
        return _refuse(
            form, "closed", "Comments are closed on this article.", 403, field=None
        )
    wait = wrong_budget_left(network)
    if wait:
        form.is_valid()
        return _too_many_wrong(form, wait)
    valid = form.is_valid()
    # A typed code takes its place in the wrong-answer budget before it is
    # checked, and gives it back when right: guesses sent together can't all
    # be checked against a budget each of them read as not yet spent.
    count, seconds = code_limit("CODES_WRONG")
    typed = str(data.get("code", "") or "").strip()
    place = (
        limits.hit("comments.wrong", network, count, seconds, rolling=True)
        if typed
        else None
    )
    if place is not None and not place.allowed:
        return _too_many_wrong(form, place.retry_after)
    verdict, via = _confirm(data, article, network)
    if place is not None and verdict.reason != "wrong":
        limits.give_back("comments.wrong", network, place)
    if not verdict.ok:
        form.code_error(verdict.reason)
        if verdict.reason == "wrong" and place is None:  # a proof-of-work's
            limits.hit("comments.wrong", network, count, seconds, rolling=True)
        if verdict.challenge_id and verdict.reason == "wrong":
            with_retry(lambda: get_backend().spend(verdict.challenge_id))
        return _refuse(
            form,
            f"code_{verdict.reason}",
            str(form.errors["code"][0]),
            400,
            field="code",
            in_form=True,
        )
    if not valid:
        return _refuse(
            form, form.refusal or "invalid", _first_error(form), 400, in_form=True
        )
    clean = form.cleaned_data
    parent = None
    if clean.get("parent"):
        parent = Comment.objects.filter(
            pk=clean["parent"], article=article, status=Comment.Status.APPROVED
        ).first()
        if parent is None:
            return _parent_gone(form)
    return _write(form, article, parent, network, verdict, via, trusted, vouched)


def _too_many_wrong(form: CommentForm, wait: int) -> Decision:
    reason = (
        "Too many wrong codes from your network; "
        f"please wait {limits.in_words(wait)} and try again (what you typed is kept)."
    )
    form.add_error("code", reason)
    return _refuse(
        form,
        "too_many_wrong",
        reason,
        429,
        retry_after=wait,
        field="code",
        in_form=True,
    )


def _parent_gone(form: CommentForm) -> Decision:
    reason = (
        "The comment you replied to is no longer shown; "
        "your comment can be posted without it."
    )
    form.add_error(None, reason)
    data = dict(form.data.items())
    data["parent"] = ""
    form.data = data
    return _refuse(form, "parent", reason, 400, in_form=True)


def _still_open(article: Article) -> bool:
    """Checked again inside the write, with the story's row locked: the desk
    may have deleted it (the comment's insert broke the foreign key at
    COMMIT, a 500), withdrawn it or closed its comments since the first
    check; an editor who saves it now waits for this comment."""
    still = (
        Article.objects.published()
        .select_for_update()
        .filter(pk=article.pk, comments_enabled=True)
        .values_list("pk", flat=True)
    )
    return moderation.comments_open(article) and bool(still[:1])


def _parent_still_shown(parent: Comment) -> bool:
    """Checked again inside the write, with the parent's row locked: a
    moderator who deleted or rejected it since the first check has
    committed (a reply to a deleted row broke the foreign key at COMMIT,
    a 500), and one who starts now waits for this reply."""
    return bool(
        Comment.objects.select_for_update()
        .filter(pk=parent.pk, status=Comment.Status.APPROVED)
        .values_list("pk", flat=True)[:1]
    )


def _first_error(form: CommentForm) -> str:
    for messages in form.errors.values():
        if messages:
            return str(messages[0])
    return "The comment was not accepted."


def _write(
    form: CommentForm,
    article: Article,
    parent: Comment | None,
    network: str,
    verdict: Verdict,
    via: str,
    trusted: bool,
    vouched: bool,
) -> Decision:
    clean = form.cleaned_data
    sub = guard.Submission(
        article=article,
        name=clean["name"],
        email=clean["email"],
        body=clean["body"],
        network=network,
        body_hash=body_hash(clean["body"]),
        parent_id=parent.pk if parent else None,
    )
    backend = get_backend()
    hold_pow = via == "pow" and bool(proof.options()["HOLD"])
    # Work that needs no lock is done before the write transaction, which
    # holds SQLite's one write lock (and on PostgreSQL this network's lock)
    # for as short a time as it can: the bans (read once; a ban added during
    # this post applies from the next), the rules' counting queries (compiled
    # here, run inside), and the comment's cleaned and rendered text.
    guard.prepare(sub)
    comment = Comment(
        article=article,
        parent=parent,
        name=sub.name,
        email=sub.email,
        body=sub.body,
        network=network,
        notify_replies=clean["notify_replies"] and bool(sub.email),
    )
    comment.replies_vouched = comment.notify_replies and vouched
    comment.prepare()
    stamp = f"comments.stamp:{clean['stamp']}"
    # In a shared cache the stamp's spend is not undone when a try rolls back
    # ("database is locked"): the retry must not take its own spend for a replay.
    stamp_spent: list[bool] = []
    spends_in_cache = limits.store() != "database"

    def write() -> Decision:
        _lock(network, article.pk, sub.body_hash)
        # The parent's row, then the story's: the order a moderator's change
        # takes them (the comment, then its story's count), so the two cannot
        # deadlock.
        if parent is not None and not _parent_still_shown(parent):
            return _parent_gone(form)
        if not _still_open(article):
            return _refuse(
                form, "closed", "Comments are closed on this article.", 403, field=None
            )
        # One try per code: spent first, refused or not, so it can never be
        # used to probe the rules again.
        if not backend.spend(verdict.challenge_id or ""):
            form.code_error("used")
            return _refuse(
                form, "code_used", "That code was already used.", 400, in_form=True
            )
        outcome = guard.check(sub)
        if outcome.refused:
            rule, reason = outcome.rejected[0]
            field = "body" if rule.name in guard.BODY_RULES else None
            if field:
                form.add_error(field, reason)
            wait = guard.retry_after(rule.name) if rule.status == 429 else 0
            return _refuse(
                form,
                rule.name,
                reason,
                rule.status,
                retry_after=wait,
                field=field,
                in_form=bool(field),
            )
        if not stamp_spent and not limits.spend_once(stamp, FORM_MAX_AGE, durable=True):
            form.stamp_used()
            return _refuse(
                form, "stamp_used", str(form.errors["stamp"][0]), 400, in_form=True
            )
        if spends_in_cache:
            stamp_spent.append(True)
        comment.status = moderation.initial_status(
            article,
            held=bool(outcome.held) or hold_pow,
            trusted=trusted,
        )
        comment.reasons = outcome.reasons + (
            ["proof-of-work: no code"] if hold_pow else []
        )
        # An approved reply's mail is owed until its job (after the commit,
        # on the background thread) claims it: newsroom.comments.owed.
        comment.reply_owed = (
            comment.status == Comment.Status.APPROVED and comment.parent_id is not None
        )
        # Held: its mail to the moderators is still to go (owed.py).
        comment.moderators_told = comment.status != Comment.Status.PENDING
        comment.pk = None  # a retried write inserts afresh
        comment.save(force_insert=True)
        if comment.status == Comment.Status.APPROVED:
            moderation.recount([article.pk])
        return Decision(form, comment=comment, status=201)

    decision = with_retry(write)
    saved = decision.comment
    if saved is not None:
        if saved.status == Comment.Status.APPROVED:
            background.after_commit(moderation.notify_replies, [saved.pk])
        else:
            background.after_commit(moderation.notify_moderators, saved)
        waits = (
            saved.status != Comment.Status.APPROVED
            and not trusted
            and moderation.mode_for(article) == Article.Moderation.FIRST_TIME
        )
        # A vouched comment needs no link only while the address's yes
        # stands: a browser that pressed a link for first-time moderation
        # alone, or whose yes was taken back (unsubscribing), is asked.
        replies = saved.notify_replies and not (
            saved.replies_vouched and confirm_email.consented(saved.email)
        )
        if saved.email and (waits or replies):
            # Whether known or not, the answer is the same; the link goes
            # out after it (at most once a day per address and purpose),
            # and reply emails wait for the yes of who reads the address.
            background.after_commit(
                functools.partial(
                    confirm_email.send_link,
                    saved.email,
                    waits=waits,
                    replies=replies,
                    comment=saved.pk,
                )
            )
        if random.random() < 0.005:  # spent codes older than their tokens are dead
            backend.purge()
    return decision
