"""Approved comments a page of whole threads at a time, for the page and the API.

A thread is a top-level comment (no parent, or a parent that is not shown)
with every approved reply under it. Pages are keyset pages over the threads'
first comments, ordered by ``(created_at, id)`` (or the reverse for "newest
first"): a page starts at a thread's key and holds ``limit`` threads, so a
page costs the same wherever it is, a thread is never split between two
pages, and a comment posted between two page loads neither moves a thread
onto the next page nor repeats one (it joins its thread, or it is a new
thread at the newest end).

The replies of the page's threads are found in one recursive query (ids and
parents only), read in order here, and only the first ``replies`` of each
thread are fetched whole and shown; the rest are counted, and a thread view
(``thread``, ``skip``) shows them a window at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection
from django.db.models import F, Q, QuerySet

from .models import Comment

Key = tuple[datetime, int]
SHOWN_FIELDS = ("pk", "parent_id", "name", "body_html", "created_at")
THREADS_PER_PAGE = 50
REPLIES_PER_THREAD = 5
REPLIES_PER_VIEW = 250
MAX_WALK = 10_000  # steps up a reply chain before giving up (a hand-made cycle)


def _limit(name: str, default: int) -> int:
    limits: dict[str, Any] = settings.NEWSROOM_COMMENTS_LIMITS
    return int(limits.get(name) or default)


def threads_per_page() -> int:
    return _limit("THREADS_PER_PAGE", THREADS_PER_PAGE)


def replies_per_thread() -> int:
    """Replies shown under each thread of a page."""
    return _limit("REPLIES_PER_THREAD", REPLIES_PER_THREAD)


def replies_per_view() -> int:
    """Replies a thread's own view shows at a time."""
    return _limit("REPLIES_PER_VIEW", REPLIES_PER_VIEW)


def max_depth() -> int:
    return _limit("MAX_DEPTH", 4)


def threaded(
    comments: list[Comment], newest_first: bool, max_depth: int
) -> list[tuple[Comment, int]]:
    """Comments in reading order with their indent depth (capped at ``max_depth``).

    Top-level comments follow the chosen order; replies always read oldest
    first under their parent. A reply whose parent is not shown becomes top-level.
    """
    by_id = {c.pk: c for c in comments}
    children: dict[int | None, list[Comment]] = {}
    for c in comments:
        key = c.parent_id if c.parent_id in by_id else None
        children.setdefault(key, []).append(c)
    roots = sorted(
        children.get(None, []), key=lambda c: (c.created_at, c.pk), reverse=newest_first
    )
    out: list[tuple[Comment, int]] = []
    stack = [(c, 0) for c in reversed(roots)]
    while stack:  # iterative: a long reply chain must not hit the recursion limit
        c, depth = stack.pop()
        c.reply_to = by_id.get(c.parent_id or 0) if depth else None
        out.append((c, min(depth, max_depth)))
        replies = sorted(children.get(c.pk, []), key=lambda r: (r.created_at, r.pk))
        stack.extend((r, depth + 1) for r in reversed(replies))
    return out


@dataclass
class Thread:
    """A top-level comment and the replies shown with it, in reading order."""

    rows: list[tuple[Comment, int]]
    replies: int  # approved replies in the whole thread
    skip: int = 0  # replies before the first one shown (a thread view's window)
    more_url: str = ""  # the page's link to the replies not shown

    @property
    def root(self) -> Comment:
        return self.rows[0][0]

    @property
    def hidden(self) -> int:
        """Replies after the last one shown."""
        return max(0, self.replies - self.skip - (len(self.rows) - 1))


@dataclass
class ThreadPage:
    threads: list[Thread]
    start: Key | None  # where this page starts; None: the first page
    next: Key | None  # where the following page starts; None: this is the last
    previous: Key | None  # where the page before starts (None with has_previous:
    has_previous: bool  # the first page)


def key_of(comment: Comment) -> Key:
    return (comment.created_at, comment.pk)


def roots(article_id: int) -> QuerySet[Comment]:
    """The article's threads: approved comments whose parent is not shown."""
    shown_parent = Q(parent__status=Comment.Status.APPROVED) & Q(
        parent__article_id=F("article_id")
    )
    return (
        Comment.objects.approved()
        .filter(article_id=article_id)
        .filter(Q(parent__isnull=True) | ~shown_parent)
    )


def _order(newest: bool) -> tuple[str, str]:
    return ("-created_at", "-id") if newest else ("created_at", "id")


def _from(start: Key, newest: bool, inclusive: bool = True) -> Q:
    """Threads at or after ``start`` in reading order (strictly, if not inclusive)."""
    when, pk = start
    op = "lt" if newest else "gt"
    tie = ("lte" if newest else "gte") if inclusive else op
    return Q(**{f"created_at__{op}": when}) | Q(created_at=when, **{f"id__{tie}": pk})


def _before(start: Key, newest: bool) -> Q:
    """Threads strictly before ``start`` in reading order."""
    return _from(start, not newest, inclusive=False)


def page(
    article_id: int,
    *,
    newest: bool = False,
    start: Key | None = None,
    limit: int | None = None,
    replies: int | None = None,
) -> ThreadPage:
    """``limit`` whole threads from ``start`` (inclusive) in reading order."""
    limit = limit or threads_per_page()
    replies = replies or replies_per_thread()
    threads = roots(article_id).only(*SHOWN_FIELDS)
    later = threads.order_by(*_order(newest))
    if start is not None:
        later = later.filter(_from(start, newest))
    found = list(later[: limit + 1])
    shown, beyond = found[:limit], found[limit:]
    previous, has_previous = None, False
    if start is not None:
        earlier = list(
            threads.filter(_before(start, newest))
            .order_by(*_order(not newest))
            .values_list("created_at", "id")[: limit + 1]
        )
        has_previous = bool(earlier)
        if len(earlier) > limit:
            previous = earlier[limit - 1]
    return ThreadPage(
        threads=_fill(article_id, shown, newest, replies),
        start=start,
        next=key_of(beyond[0]) if beyond else None,
        previous=previous,
        has_previous=has_previous,
    )


def thread(
    article_id: int,
    root_id: int,
    skip: int,
    replies: int | None = None,
    after: int | None = None,
) -> Thread | None:
    """One thread alone with its replies ``skip`` onwards, or None if not a
    thread. ``after`` (a reply's id) starts right after that reply instead,
    wherever replies posted or removed meanwhile moved it; ``skip`` is the
    place to start when it is no longer shown."""
    replies = replies or replies_per_view()
    root = roots(article_id).only(*SHOWN_FIELDS).filter(pk=root_id).first()
    if root is None:
        return None
    return _fill(article_id, [root], False, replies, skip, after)[0]


def _fill(
    article_id: int,
    shown_roots: list[Comment],
    newest: bool,
    replies: int,
    skip: int = 0,
    after: int | None = None,
) -> list[Thread]:
    """Each root with the window of its replies, fetched whole, in reading order."""
    if not shown_roots:
        return []
    children: dict[int, list[int]] = {}
    for pk, parent_id in replies_of(article_id, [r.pk for r in shown_roots]):
        children.setdefault(parent_id, []).append(pk)
    windows: dict[int, tuple[list[int], int, int]] = {}
    wanted: list[int] = []
    for root in shown_roots:
        order = _preorder(root.pk, children)
        start = order.index(after) + 1 if after in order else skip
        window = order[start : start + replies]
        windows[root.pk] = (window, len(order), start)
        wanted.extend(window)
    fetched = list(
        Comment.objects.filter(pk__in=wanted).only(*SHOWN_FIELDS) if wanted else []
    )
    by_id = {c.pk: c for c in fetched}
    depth_cap = max_depth()
    out = []
    for root in shown_roots:
        window, total, start = windows[root.pk]
        comments = [root] + [by_id[pk] for pk in window if pk in by_id]
        if start:
            # The window's first replies answer comments not shown in it: they
            # still read as replies (indented, "replying to") under the root.
            rows = _windowed(root, comments[1:], children, depth_cap)
        else:
            rows = threaded(comments, newest, depth_cap)
        out.append(Thread(rows=rows, replies=total, skip=start))
    return out


def _preorder(root_id: int, children: dict[int, list[int]]) -> list[int]:
    """The replies under ``root_id`` in reading order (children oldest first)."""
    out: list[int] = []
    stack = list(reversed(children.get(root_id, [])))
    while stack:
        pk = stack.pop()
        out.append(pk)
        stack.extend(reversed(children.get(pk, [])))
    return out


def _windowed(
    root: Comment,
    window: list[Comment],
    children: dict[int, list[int]],
    depth_cap: int,
) -> list[tuple[Comment, int]]:
    parent_of = {kid: parent for parent, kids in children.items() for kid in kids}
    names: dict[int, Comment] = {root.pk: root, **{c.pk: c for c in window}}
    rows: list[tuple[Comment, int]] = [(root, 0)]
    root.reply_to = None
    for c in window:
        depth, up = 1, parent_of.get(c.pk)
        while up is not None and up != root.pk and depth < depth_cap:
            depth, up = depth + 1, parent_of.get(up)
        c.reply_to = names.get(c.parent_id or 0)
        rows.append((c, depth))
    return rows


def replies_of(article_id: int, root_ids: Iterable[int]) -> list[tuple[int, int]]:
    """``(id, parent_id)`` of every approved reply under ``root_ids``, oldest first.

    One recursive query. Each comment has one parent, so a walk down from a
    top-level comment can never enter a cycle (a cycle has no way in).
    """
    ids = [int(pk) for pk in root_ids]
    if not ids:
        return []
    table = connection.ops.quote_name(Comment._meta.db_table)
    marks = ", ".join(["%s"] * len(ids))
    approved = Comment.Status.APPROVED.value
    # COALESCE keeps SQLite's planner on the parent_id index: given a bare
    # ``article_id = ? AND status = ?`` it walks every approved comment of the
    # article (comment_article_idx) for each step down the tree.
    sql = (
        f"WITH RECURSIVE tree(id) AS ("  # noqa: S608 - names ours, values bound
        f" SELECT id FROM {table} WHERE parent_id IN ({marks})"
        f" AND COALESCE(article_id, 0) = %s AND COALESCE(status, '') = %s"
        f" UNION ALL"
        f" SELECT c.id FROM tree JOIN {table} c ON c.parent_id = tree.id"
        f" WHERE COALESCE(c.article_id, 0) = %s AND COALESCE(c.status, '') = %s"
        f") SELECT c.id, c.parent_id FROM {table} c JOIN tree ON tree.id = c.id"
        f" ORDER BY c.created_at, c.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ids, article_id, approved, article_id, approved])
        return [(int(pk), int(parent)) for pk, parent in cursor.fetchall()]


def root_of(comment: Comment) -> int:
    """The id of the top-level comment of ``comment``'s thread (itself, if top).

    One recursive query up the approved parents; the walk stops after
    ``MAX_WALK`` steps, so a cycle an admin made by hand cannot loop.
    """
    table = connection.ops.quote_name(Comment._meta.db_table)
    sql = (
        f"WITH RECURSIVE up(id, parent_id, n) AS ("  # noqa: S608 - names ours
        f" SELECT id, parent_id, 0 FROM {table} WHERE id = %s"
        f" UNION ALL"
        f" SELECT c.id, c.parent_id, up.n + 1 FROM {table} c"
        f" JOIN up ON c.id = up.parent_id"
        f" WHERE c.article_id = %s AND c.status = %s AND up.n < %s"
        f") SELECT id FROM up ORDER BY n DESC LIMIT 1"
    )
    approved = Comment.Status.APPROVED.value
    params: list[int | str] = [comment.pk, comment.article_id, approved, MAX_WALK]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return int(row[0]) if row else comment.pk


def roots_of(article_id: int, ids: Iterable[int]) -> dict[int, int]:
    """:func:`root_of` for many comments of one article, in one query."""
    ids = [int(pk) for pk in ids]
    if not ids:
        return {}
    table = connection.ops.quote_name(Comment._meta.db_table)
    marks = ", ".join(["%s"] * len(ids))
    sql = (
        f"WITH RECURSIVE up(origin, id, parent_id, n) AS ("  # noqa: S608 - names ours
        f" SELECT id, id, parent_id, 0 FROM {table} WHERE id IN ({marks})"
        f" UNION ALL"
        f" SELECT up.origin, c.id, c.parent_id, up.n + 1 FROM {table} c"
        f" JOIN up ON c.id = up.parent_id"
        f" WHERE c.article_id = %s AND c.status = %s AND up.n < %s"
        f") SELECT origin, id, n FROM up"
    )
    approved = Comment.Status.APPROVED.value
    top: dict[int, tuple[int, int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ids, article_id, approved, MAX_WALK])
        for origin, pk, n in cursor.fetchall():
            if n >= top.get(origin, (-1, 0))[0]:
                top[origin] = (n, pk)
    return {pk: int(top[pk][1]) if pk in top else pk for pk in ids}


def links(article_id: int, comments: list[Comment]) -> dict[int, str]:
    """:func:`link` for many approved comments of one article (a feed's fifty,
    an API page) in four queries, whatever their number: by id."""
    found = roots_of(article_id, [c.pk for c in comments])
    keys = dict(
        Comment.objects.filter(pk__in=set(found.values())).values_list(
            "pk", "created_at"
        )
    )
    first_page = set(
        roots(article_id)
        .order_by(*_order(False))
        .values_list("pk", flat=True)[: threads_per_page()]
    )
    children: dict[int, list[int]] = {}
    for pk, parent_id in replies_of(article_id, keys):
        children.setdefault(parent_id, []).append(pk)
    orders: dict[int, list[int]] = {}
    out = {}
    for c in comments:
        root = found[c.pk]
        place = 0
        if root != c.pk:
            order = orders.setdefault(root, _preorder(root, children))
            place = order.index(c.pk) if c.pk in order else 0
        start = None if root in first_page else (keys[root], root)
        out[c.pk] = _link(c.pk, start, root, place)
    return out


def position(comment: Comment) -> tuple[Key | None, int, int]:
    """Where an approved comment is shown: its thread's page start (None: the
    first page), its thread's id, and its place among the thread's replies."""
    root = (
        Comment.objects.filter(pk=root_of(comment)).only("pk", "created_at").first()
        or comment
    )
    before = (
        roots(comment.article_id)
        .filter(_before(key_of(root), False))
        .order_by()
        .count()
    )
    start = None if before < threads_per_page() else key_of(root)
    place = 0
    if root.pk != comment.pk:
        children: dict[int, list[int]] = {}
        for pk, parent_id in replies_of(comment.article_id, [root.pk]):
            children.setdefault(parent_id, []).append(pk)
        order = _preorder(root.pk, children)
        place = order.index(comment.pk) if comment.pk in order else 0
    return start, root.pk, place


def start_param(key: Key | None) -> dict[str, str]:
    """The page's query parameter for a page starting at ``key`` (none: the first)."""
    if key is None:
        return {}
    when, pk = key
    return {"comments_from": f"{when.isoformat()}~{pk}"}


def link(comment: Comment) -> str:
    """The query string and anchor of the article page that shows ``comment``
    (an approved one): its thread's page, or the thread's own view when the
    reply is past the replies a page shows."""
    return _link(comment.pk, *position(comment))


def _link(pk: int, start: Key | None, root: int, place: int) -> str:
    anchor = f"#comment-{pk}"
    if place >= replies_per_thread():
        step = replies_per_view()
        skip = place // step * step
        return f"?{urlencode({'comments_thread': root, 'comments_skip': skip})}{anchor}"
    values = start_param(start)
    return f"?{urlencode(values)}{anchor}" if values else anchor
