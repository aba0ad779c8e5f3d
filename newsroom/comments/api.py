"""Comments in the public API: read the approved thread, get a code, post.

Posting is an adapter over ``intake.take``, the one function that decides
about a comment for the page and the API alike (code or proof-of-work, form
checks, guard rules, moderation, single-use spends). Here it is parsed and
presented, nothing more. The two write routes take only ``application/json``
(415 otherwise: a cross-site form or ``text/plain`` fetch cannot send it
without a CORS preflight) and refuse a browser's ``Origin`` that is neither
the site's nor listed in ``NEWSROOM_API_CORS_ORIGINS`` (403).
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.decorators import decorate_view
from ninja.responses import Status

from newsroom.api.errors import ApiError, ErrorOut, json_error
from newsroom.api.pagination import decode_cursor, encode_cursor
from newsroom.api.throttling import NetworkThrottle
from newsroom.api.types import (
    MAX_ID,
    READ_ERRORS,
    ArticleId,
    BodyId,
    Cursor,
    QueryId,
)
from newsroom.articles.models import Article
from newsroom.core.links import absolute_url
from newsroom.net import client_network

from . import confirm_email, intake, moderation, threads
from .confirmation import get_backend, proof, scope
from .forms import CommentForm, form_stamp
from .intake import Decision
from .models import Comment

router = Router(tags=["comments"])

WRITE_ERRORS = {
    400: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    415: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
}
CHALLENGE_ERRORS = {**WRITE_ERRORS, 503: ErrorOut}
# How a guard refusal is told to an API client: (status, code). Rules not
# listed keep the status the guard gives them, with the rule name as code.
REFUSALS = {
    "length": (422, "length"),
    "duplicate": (409, "duplicate"),
    "banned_words": (422, "banned_words"),
    "code_used": (409, "code_used"),
    "closed": (409, "comments_closed"),
    "too_many_wrong": (429, "too_many_wrong"),
}
FORM_REFUSALS = {"invalid", "honeypot", "stamp", "too_fast", "stamp_used"}
# The page shows a new code at once; an API client asks for one.
CODE_MESSAGES = {
    "missing": "Give the answer to the challenge, or its proof of work.",
    "wrong": "That answer was not right; ask for a new challenge.",
    "expired": "That challenge has expired; ask for a new one.",
    "invalid": "That challenge could not be checked; ask for a new one.",
}
# CommentForm field -> the API field a client sent.
FIELD_NAMES = {
    "parent": "parent_id",
    "code": "answer",
    "token": "challenge_id",
    "stamp": "challenge_id",
    "__all__": "",
}


class CommentOut(Schema):
    id: int
    parent_id: int | None = Field(description="The comment this one replies to.")
    depth: int = Field(description="Indent level in the thread (capped).")
    name: str
    body_html: str = Field(description="Sanitised: paragraphs and links only.")
    created_at: datetime
    url: str
    more_replies: int = Field(
        0, description="On a top-level comment: its replies not in this page."
    )


class CommentPage(Schema):
    article_id: int
    open: bool = Field(description="Whether new comments are accepted.")
    count: int = Field(description="Approved comments on the article.")
    items: list[CommentOut]
    next: str | None
    cursor: str | None


class ChallengeIn(Schema):
    article_id: BodyId = Field(ge=1, le=MAX_ID)


class ChallengeOut(Schema):
    challenge_id: str = Field(description="Send back with the answer.")
    image_url: str = Field(description="PNG of the code (expires with it).")
    image_png_base64: str = Field(description="The same PNG, inline.")
    proof_of_work: dict = Field(
        description="An ALTCHA challenge: solve it and send the payload as "
        "`proof` instead of an answer (the comment then waits for a moderator)."
    )
    expires_in: int = Field(description="Seconds the code stays valid.")
    min_wait_seconds: int = Field(description="Posting sooner is refused.")


class CommentIn(Schema):
    name: str = Field(min_length=1, max_length=80)
    email: str = Field("", max_length=254, description="Optional, never shown.")
    body: str = Field(min_length=1, max_length=20000)
    parent_id: BodyId | None = Field(None, ge=1, le=MAX_ID)
    notify_replies: bool = False
    challenge_id: str = Field(min_length=1, max_length=1000)
    answer: str = Field("", max_length=40, description="The code in the image.")
    proof: str = Field(
        "", max_length=4000, description="A solved `proof_of_work`, base64."
    )


class PostedOut(Schema):
    id: int
    status: Literal["approved", "pending"]
    message: str
    comment: CommentOut | None = Field(description="Set when already shown.")


def _public_article(article_id: int) -> Article:
    article = Article.objects.public_one(pk=article_id)
    if article is None:
        raise ApiError(404, "not_found", "No public article with that id.")
    return article


def _comment_out(c: Comment, depth: int, article: Article, shown_at: str = "") -> dict:
    return {
        "id": c.pk,
        "parent_id": c.parent_id,
        "depth": depth,
        "name": c.name,
        "body_html": c.body_html,
        "created_at": c.created_at,
        "url": absolute_url(
            article.get_absolute_url() + (shown_at or f"#comment-{c.pk}")
        ),
    }


@router.get(
    "/articles/{id}/comments",
    response={200: CommentPage, **READ_ERRORS},
    summary="Approved comments of an article, a page of whole threads",
)
def list_comments(
    request: HttpRequest,
    id: ArticleId,
    order: Annotated[
        Literal["oldest", "newest"],
        Query("oldest", description="Order of the threads; replies read oldest first."),
    ],
    cursor: Cursor,
    limit: Annotated[
        int | None,
        Query(
            None,
            ge=1,
            le=200,
            description="Threads per page (default 50: "
            "`NEWSROOM_COMMENTS_LIMITS['THREADS_PER_PAGE']`).",
        ),
    ],
    thread: Annotated[
        int | None,
        QueryId,
        Query(
            None,
            ge=1,
            le=MAX_ID,
            description="One thread only (its top-level comment's id), for "
            "the replies a page leaves out (`more_replies`).",
        ),
    ],
    skip: Annotated[
        int,
        Query(0, ge=0, le=10**7, description="With `thread`: replies to skip."),
    ],
    after: Annotated[
        int | None,
        QueryId,
        Query(
            None,
            ge=1,
            le=MAX_ID,
            description="With `thread`: start right after this reply (its "
            "`next` sets it), so replies posted or removed meanwhile neither "
            "repeat nor hide one; `skip` is used when it is no longer shown.",
        ),
    ],
):
    """Approved comments only, in reading order with their depth. A page holds
    whole threads (a top-level comment with its replies, the first
    `REPLIES_PER_THREAD` of them; `more_replies` on the top-level comment
    counts the rest, which `thread` and `skip` page through, `REPLIES_PER_VIEW`
    at a time). Pages are
    keyset pages: a comment posted meanwhile never shifts or repeats one."""
    article = _public_article(id)
    if thread is not None:
        return _one_thread(request, article, thread, skip, after)
    newest = order == "newest"
    start = None
    if cursor:
        when, pk = decode_cursor(cursor, [datetime, int])
        start = (when, pk)
    listed = threads.page(article.pk, newest=newest, start=start, limit=limit)
    next_cursor = next_url = None
    if listed.next is not None:
        next_cursor = encode_cursor(list(listed.next))
        next_url = _url(request, cursor=next_cursor)
    return {
        "article_id": article.pk,
        "open": moderation.comments_open(article),
        "count": _count(article),
        "items": _items(
            article, [(t, c, d) for t in listed.threads for c, d in t.rows]
        ),
        "next": next_url,
        "cursor": next_cursor,
    }


def _one_thread(
    request: HttpRequest, article: Article, root: int, skip: int, after: int | None
) -> dict:
    one = threads.thread(article.pk, root, skip, after=after)
    if one is None:
        raise ApiError(
            404,
            "not_found",
            "No thread starts with that comment on this article.",
            [{"in": "query", "field": "thread"}],
        )
    shown = len(one.rows) - 1
    return {
        "article_id": article.pk,
        "open": moderation.comments_open(article),
        "count": _count(article),
        "items": _items(article, [(one, c, d) for c, d in one.rows]),
        "next": (
            _url(request, skip=str(one.skip + shown), after=str(one.rows[-1][0].pk))
            if one.hidden and shown
            else None
        ),
        "cursor": None,
    }


def _count(article: Article) -> int:
    return Comment.objects.approved().filter(article=article).order_by().count()


def _items(
    article: Article, rows: list[tuple[threads.Thread, Comment, int]]
) -> list[dict]:
    # Each one's url is the page that shows it (threads.links), not the
    # first page's anchor: past a page of threads a comment is not there.
    shown_at = threads.links(article.pk, [c for _, c, _ in rows])
    out = []
    for t, c, depth in rows:
        item = _comment_out(c, depth, article, shown_at[c.pk])
        if c is t.root:
            item["more_replies"] = t.hidden
        out.append(item)
    return out


def _url(request: HttpRequest, **values: str) -> str:
    query = request.GET.copy()
    for name, value in values.items():
        query[name] = value
    return absolute_url(f"{request.path}?{query.urlencode()}")


def _pack(token: str, stamp: str) -> str:
    raw = json.dumps([token, stamp], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unpack(challenge_id: str) -> tuple[str, str]:
    try:
        raw = base64.urlsafe_b64decode(challenge_id + "=" * (-len(challenge_id) % 4))
        token, stamp = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        return "", ""
    if not isinstance(token, str) or not isinstance(stamp, str):
        return "", ""
    return token[:200], stamp[:200]


def same_site_json(view):
    """415 unless the body is JSON; 403 for a browser on a foreign origin."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if request.content_type != "application/json":
            return json_error(
                415,
                "Send the body as application/json.",
                "unsupported_media_type",
            )
        origin = request.headers.get("Origin", "")
        if origin and not _origin_allowed(request, origin):
            return json_error(
                403,
                "Comments can be posted from this site's own pages only.",
                "origin_not_allowed",
            )
        return view(request, *args, **kwargs)

    # The API's own view decorators find the operation through ``__self__``.
    wrapped.__self__ = getattr(view, "__self__", None)  # type: ignore[attr-defined]
    return wrapped


def _origin_allowed(request: HttpRequest, origin: str) -> bool:
    """The site's own origin, or one listed by name (a ``*`` allows reads only)."""
    if origin in settings.NEWSROOM_API_CORS_ORIGINS:
        return True
    own = {f"{request.scheme}://{request.get_host()}"}
    site = urlsplit(settings.SITE_URL)
    if site.scheme and site.netloc:
        own.add(f"{site.scheme}://{site.netloc}")
    return origin in own


@router.post(
    "/comments/challenge",
    response={200: ChallengeOut, **CHALLENGE_ERRORS},
    throttle=[NetworkThrottle("write")],
    summary="A confirmation code to post one comment",
)
@decorate_view(same_site_json)
def challenge(request: HttpRequest, data: ChallengeIn):
    """Issues a code (an image) and a proof-of-work for one article, bound to
    it and to the client's network; minting is limited per network (429)."""
    article = _public_article(data.article_id)
    network = client_network(request)
    minted = intake.mint(network)
    if not minted.allowed:
        raise ApiError(
            429,
            "too_many_codes",
            "Too many challenges from your network; wait and try again.",
            headers={"Retry-After": str(minted.retry_after)},
        )
    backend = get_backend()
    issued = backend.issue()
    challenge_id = backend.unsign(issued.token)
    where = scope(article.pk, network)
    png = backend.draw(challenge_id, where) if backend.supports_image else b""
    if png is None:  # this process is drawing as many as it may at once
        raise ApiError(
            503,
            "busy",
            "Busy drawing codes; try again in a moment.",
            headers={"Retry-After": "1"},
        )
    image_url = f"{issued.image_url}?article={article.pk}" if issued.image_url else ""
    return {
        "challenge_id": _pack(issued.token, form_stamp(article.pk)),
        "image_url": absolute_url(image_url) if image_url else "",
        "image_png_base64": base64.b64encode(png).decode(),
        "proof_of_work": proof.create(article.pk, network),
        "expires_in": backend.timeout,
        "min_wait_seconds": int(settings.NEWSROOM_COMMENTS_MIN_FILL_SECONDS),
    }


def _form_error(form: CommentForm) -> ApiError:
    details = [
        {"in": "body", "field": FIELD_NAMES.get(field, field), "message": str(msg)}
        for field, messages in form.errors.items()
        for msg in messages
    ]
    code = {
        "too_fast": "too_fast",
        "stamp": "challenge_expired",
        "stamp_used": "challenge_used",
    }.get(form.refusal, "invalid")
    first = details[0]["message"] if details else "The comment was not accepted."
    return ApiError(422, code, first, details)


def _refusal(decision: Decision) -> ApiError:
    """The intake's refusal in the API's terms."""
    refusal = decision.refusal
    headers = {"Retry-After": str(decision.retry_after)} if decision.retry_after else {}
    if refusal.startswith("code_") and refusal != "code_used":
        reason = refusal.removeprefix("code_")
        message = CODE_MESSAGES.get(reason, CODE_MESSAGES["invalid"])
        return ApiError(
            422,
            refusal,
            message,
            [{"in": "body", "field": "answer", "message": message}],
        )
    if refusal in FORM_REFUSALS:
        return _form_error(decision.form)
    if refusal == "parent":
        return ApiError(
            422,
            "parent",
            "The comment you replied to is not shown on this article.",
            [{"in": "body", "field": "parent_id"}],
        )
    status, code = REFUSALS.get(refusal, (decision.status, refusal))
    return ApiError(status, code, decision.reason, headers=headers)


@router.post(
    "/articles/{id}/comments",
    response={201: PostedOut, **WRITE_ERRORS},
    throttle=[NetworkThrottle("write")],
    summary="Post a comment (with the answer to a challenge)",
)
@decorate_view(same_site_json)
def create_comment(request: HttpRequest, id: ArticleId, data: CommentIn):
    """Every rule of the article page applies (one intake for both): the
    code or proof-of-work, the guard rules, the article's moderation mode. A
    held comment is stored but not shown yet."""
    article = _public_article(id)
    token, stamp = _unpack(data.challenge_id)
    decision = intake.take(
        article,
        {
            "name": data.name,
            "email": data.email,
            "body": data.body,
            "parent": data.parent_id or "",
            "notify_replies": data.notify_replies,
            "code": data.answer,
            "altcha": data.proof,
            "token": token,
            "stamp": stamp,
            "homepage": "",
        },
        network=client_network(request),
        vouched=confirm_email.is_confirmed(request, data.email or ""),
    )
    if not decision.accepted:
        raise _refusal(decision)
    saved = decision.comment
    shown = saved.status == Comment.Status.APPROVED
    return Status(
        201,
        {
            "id": saved.pk,
            "status": "approved" if shown else "pending",
            "message": "Your comment is published."
            if shown
            else "Your comment is awaiting moderation.",
            "comment": _comment_out(
                saved,
                0 if saved.parent_id is None else 1,
                article,
                threads.link(saved),
            )
            if shown
            else None,
        },
    )
