"""Keyset (cursor) pagination: page 50,000 costs what page 1 costs.

A page is the next ``limit`` rows after the last row the client saw, found
with a ``WHERE (a, b) < (x, y)`` condition that an index answers directly; no
OFFSET ever makes the database count and skip rows. The cursor is opaque to
clients (base64 of the sort key values) so its format can change.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest

from newsroom.core import params
from newsroom.core.links import absolute_url

from .errors import ApiError

MAX_CURSOR_LENGTH = 512


@dataclass
class Page:
    items: list
    cursor: str | None  # to fetch the page after this one; None on the last page
    next: str | None  # the absolute URL of that page


def encode_cursor(values: list[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    raw = json.dumps(plain, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, kinds: list[type]) -> list[Any]:
    """The sort key values in ``cursor``; ApiError 400 when it is not ours."""
    bad = ApiError(
        400,
        "bad_cursor",
        "The cursor is not valid; start again from the first page.",
        [{"in": "query", "field": "cursor"}],
    )
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise bad
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad from None
    if not isinstance(values, list) or len(values) != len(kinds):
        raise bad
    out: list[Any] = []
    for value, kind in zip(values, kinds, strict=True):
        # One validated helper per kind (newsroom.core.params): an impossible
        # date, an offset past year 9999, a bool, a 65-bit id or a lone
        # surrogate is a 400, never a 500 from the database.
        parsed: Any
        if kind is datetime:
            parsed = params.moment(value) if isinstance(value, str) else None
        elif kind is int:
            parsed = params.number(value) if type(value) is int else None
        else:
            parsed = params.text(value, MAX_CURSOR_LENGTH)
        if parsed is None:
            raise bad
        out.append(parsed)
    return out


def _after(fields: list[str], values: list[Any], descending: bool) -> Q:
    """Rows strictly after ``values`` in lexicographic (fields) order."""
    op = "lt" if descending else "gt"
    condition = Q()
    for i, field in enumerate(fields):
        clause = Q(**{f"{field}__{op}": values[i]})
        for prev, value in zip(fields[:i], values[:i], strict=True):
            clause &= Q(**{prev: value})
        condition |= clause
    return condition


def keyset_page(
    request: HttpRequest,
    queryset: QuerySet,
    *,
    fields: list[str],
    kinds: list[type],
    cursor: str | None,
    limit: int,
    descending: bool = False,
    head: Callable[[Any, int], list] | None = None,
) -> Page:
    """One page of ``queryset`` in ``fields`` order, after ``cursor``.

    The last field must be unique (the primary key) so the order is total and
    no row is skipped or repeated between pages. ``head(qs, n)`` returns the
    first ``n`` rows of the ordered ``qs`` where an app knows a cheaper way
    than ``qs[:n]`` (the articles list: one index range per public status).
    """
    order = [f"-{f}" if descending else f for f in fields]
    qs = queryset.order_by(*order)
    if cursor:
        qs = qs.filter(_after(fields, decode_cursor(cursor, kinds), descending))
    rows = head(qs, limit + 1) if head else list(qs[: limit + 1])
    if len(rows) <= limit:
        return Page(items=rows, cursor=None, next=None)
    rows = rows[:limit]
    last = rows[-1]
    token = encode_cursor([getattr(last, f) for f in fields])
    params = request.GET.copy()
    params["cursor"] = token
    params["limit"] = str(limit)
    url = absolute_url(f"{request.path}?{params.urlencode()}")
    return Page(items=rows, cursor=token, next=url)
