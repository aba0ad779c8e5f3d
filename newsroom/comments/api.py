"""Comments in the public API: read the approved thread, get a code, post.

Posting goes through the comments app's own pieces, in the order its page
uses them: ``CommentForm`` (fields, the minimum fill time and form age), the
confirmation backend (``verify``, one guess per code), then
``posting.post_comment`` (every guard rule, the moderation mode, the
single-use spend). Nothing here decides what is acceptable on its own.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Annotated, Literal

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from newsroom.api.errors import ApiError, ErrorOut
from newsroom.api.pagination import decode_cursor, encode_cursor
from newsroom.api.throttling import NetworkThrottle
from newsroom.api.types import MAX_ID, READ_ERRORS, ArticleId, Cursor
from newsroom.articles.models import Article
from newsroom.core.links import absolute_url
from newsroom.net import client_network

from . import moderation
from .confirmation import get_backend
from .forms import CommentForm, form_stamp
from .models import Comment
from .posting import post_comment
from .templatetags.comments_tags import threaded

router = Router(tags=["comments"])

WRITE_ERRORS = {
    400: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
}
# How a guard refusal is told to an API client: (status, code). Rules not
# listed keep the status the guard gives them, with the rule name as code.
REFUSALS = {
    "length": (422, "length"),
    "duplicate": (409, "duplicate"),
    "banned_words": (422, "banned_words"),
    "code_used": (409, "code_used"),
}
# The page shows a new code at once; an API client asks for one.
CODE_MESSAGES = {
    "missing": "Give the answer to the challenge.",
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


class CommentPage(Schema):
    article_id: int
    open: bool = Field(description="Whether new comments are accepted.")
    count: int = Field(description="Approved comments on the article.")
    items: list[CommentOut]
    next: str | None
    cursor: str | None


class ChallengeIn(Schema):
    article_id: int = Field(ge=1, le=MAX_ID)


class ChallengeOut(Schema):
    challenge_id: str = Field(description="Send back with the answer.")
    image_url: str = Field(description="PNG of the code (expires with it).")
    image_png_base64: str = Field(description="The same PNG, inline.")
    question: str = Field(description="A text alternative; its answer counts too.")
    expires_in: int = Field(description="Seconds the code stays valid.")
    min_wait_seconds: int = Field(description="Posting sooner is refused.")


class CommentIn(Schema):
    name: str = Field(min_length=1, max_length=80)
    email: str = Field("", max_length=254, description="Optional, never shown.")
    body: str = Field(min_length=1, max_length=20000)
    parent_id: int | None = Field(None, ge=1, le=MAX_ID)
    notify_replies: bool = False
    challenge_id: str = Field(min_length=1, max_length=1000)
    answer: str = Field(min_length=1, max_length=40)


class PostedOut(Schema):
    id: int
    status: Literal["approved", "pending"]
    message: str
    comment: CommentOut | None = Field(description="Set when already shown.")


def _public_article(article_id: int) -> Article:
    article = Article.objects.published().filter(pk=article_id).order_by().first()
    if article is None:
        raise ApiError(404, "not_found", "No public article with that id.")
    return article


def _comment_out(c: Comment, depth: int, article: Article) -> dict:
    return {
        "id": c.pk,
        "parent_id": c.parent_id,
        "depth": depth,
        "name": c.name,
        "body_html": c.body_html,
        "created_at": c.created_at,
        "url": absolute_url(f"{article.get_absolute_url()}#comment-{c.pk}"),
    }


@router.get(
    "/articles/{id}/comments",
    response={200: CommentPage, **READ_ERRORS},
    summary="Approved comments of an article, threaded",
)
def list_comments(
    request: HttpRequest,
    id: ArticleId,
    order: Annotated[
        Literal["oldest", "newest"],
        Query("oldest", description="Order of the threads; replies read oldest first."),
    ],
    cursor: Cursor,
    limit: Annotated[int, Query(50, ge=1, le=200, description="Threads per page.")],
):
    """Approved comments only, in reading order with their depth; a page holds
    whole threads (a top-level comment and all its replies)."""
    article = _public_article(id)
    comments = list(
        Comment.objects.approved()
        .filter(article=article)
        .only("pk", "parent_id", "name", "body_html", "created_at")
    )
    newest = order == "newest"
    depth_cap = int(settings.NEWSROOM_COMMENTS_LIMITS["MAX_DEPTH"])
    threads: list[list[tuple[Comment, int]]] = []
    for comment, depth in threaded(comments, newest, depth_cap):
        if depth == 0:
            threads.append([])
        threads[-1].append((comment, depth))
    if cursor:
        after = tuple(decode_cursor(cursor, [datetime, int]))

        def beyond(thread: list[tuple[Comment, int]]) -> bool:
            root = thread[0][0]
            key = (root.created_at, root.pk)
            return key < after if newest else key > after

        threads = [t for t in threads if beyond(t)]
    page, rest = threads[:limit], threads[limit:]
    next_cursor = next_url = None
    if rest:
        root = page[-1][0][0]
        next_cursor = encode_cursor([root.created_at, root.pk])
        more = request.GET.copy()
        more["cursor"] = next_cursor
        next_url = request.build_absolute_uri(f"{request.path}?{more.urlencode()}")
    items = [_comment_out(c, d, article) for thread in page for c, d in thread]
    return {
        "article_id": article.pk,
        "open": moderation.comments_open(article),
        "count": len(comments),
        "items": items,
        "next": next_url,
        "cursor": next_cursor,
    }


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


@router.post(
    "/comments/challenge",
    response={200: ChallengeOut, **WRITE_ERRORS},
    throttle=[NetworkThrottle("write")],
    summary="A confirmation code to post one comment",
)
def challenge(request: HttpRequest, data: ChallengeIn):
    """Issues a code (image and text question) for posting on one article."""
    article = _public_article(data.article_id)
    backend = get_backend()
    issued = backend.issue()
    challenge_id = backend.unsign(issued.token)
    png = backend.render_png(challenge_id) if backend.supports_image else b""
    return {
        "challenge_id": _pack(issued.token, form_stamp(article.pk)),
        "image_url": absolute_url(issued.image_url) if issued.image_url else "",
        "image_png_base64": base64.b64encode(png).decode(),
        "question": issued.question,
        "expires_in": backend.timeout,
        "min_wait_seconds": int(settings.NEWSROOM_COMMENTS_MIN_FILL_SECONDS),
    }


def _form_error(form: CommentForm) -> ApiError:
    details = [
        {"in": "body", "field": FIELD_NAMES.get(field, field), "message": str(msg)}
        for field, messages in form.errors.items()
        for msg in messages
    ]
    code = {"too_fast": "too_fast", "stamp": "challenge_expired"}.get(
        form.refusal, "invalid"
    )
    first = details[0]["message"] if details else "The comment was not accepted."
    return ApiError(422, code, first, details)


@router.post(
    "/articles/{id}/comments",
    response={201: PostedOut, **WRITE_ERRORS},
    throttle=[NetworkThrottle("write")],
    summary="Post a comment (with the answer to a challenge)",
)
def create_comment(request: HttpRequest, id: ArticleId, data: CommentIn):
    """Every guard rule and the article's moderation mode apply, exactly as
    on the article page; a held comment is stored but not shown yet."""
    article = _public_article(id)
    if not moderation.comments_open(article):
        raise ApiError(409, "comments_closed", "Comments are closed on this article.")
    token, stamp = _unpack(data.challenge_id)
    form = CommentForm(
        {
            "name": data.name,
            "email": data.email,
            "body": data.body,
            "parent": data.parent_id or "",
            "notify_replies": data.notify_replies,
            "code": data.answer,
            "token": token,
            "stamp": stamp,
            "homepage": "",
        },
        article_id=article.pk,
    )
    if not form.is_valid():
        raise _form_error(form)
    backend = get_backend()
    verdict = backend.verify(token, data.answer)
    if not verdict.ok:
        if verdict.challenge_id and verdict.reason == "wrong":
            backend.spend(verdict.challenge_id)  # one guess per code, as the page
        if verdict.reason == "used":
            raise ApiError(409, "code_used", "That code was already used.")
        message = CODE_MESSAGES.get(verdict.reason, CODE_MESSAGES["invalid"])
        raise ApiError(
            422,
            f"code_{verdict.reason}",
            message,
            [{"in": "body", "field": "answer", "message": message}],
        )
    parent = None
    if data.parent_id:
        parent = Comment.objects.filter(
            pk=data.parent_id, article=article, status=Comment.Status.APPROVED
        ).first()
        if parent is None:
            raise ApiError(
                422,
                "parent",
                "The comment you replied to is not shown on this article.",
                [{"in": "body", "field": "parent_id"}],
            )
    clean = form.cleaned_data
    result = post_comment(
        article,
        name=clean["name"],
        email=clean["email"],
        body=clean["body"],
        parent=parent,
        notify_replies=clean["notify_replies"] and bool(clean["email"]),
        network=client_network(request),
        challenge_id=verdict.challenge_id,
    )
    if result.comment is None:
        status, code = REFUSALS.get(result.refusal, (result.status, result.refusal))
        headers = {}
        if status == 429:
            limits = settings.NEWSROOM_COMMENTS_LIMITS
            key = "RATE_NETWORK" if code == "rate_network" else "RATE_ARTICLE"
            window = limits[key]
            headers["Retry-After"] = str(int(window[1]))
        raise ApiError(status, code, result.reason, headers=headers)
    saved = result.comment
    shown = saved.status == Comment.Status.APPROVED
    return Status(
        201,
        {
            "id": saved.pk,
            "status": "approved" if shown else "pending",
            "message": "Your comment is published."
            if shown
            else "Your comment is awaiting moderation.",
            "comment": _comment_out(saved, 0 if parent is None else 1, article)
            if shown
            else None,
        },
    )
