"""Parameter types and error sets every API router shares.

A router imports these instead of another app's router module, so the apps
stay independent of each other and depend only on this toolkit.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from ninja import Field, Path, Query
from pydantic import BeforeValidator, TypeAdapter, ValidationError

from .errors import ApiError, ErrorOut

MAX_ID = 2**63 - 1
SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"
Slug = Annotated[str, Field(min_length=1, max_length=200, pattern=SLUG_PATTERN)]
CANONICAL_ID = re.compile(r"-?(0|[1-9][0-9]*)")
_LAX_INT = TypeAdapter(int)


def _as_written(value: Any) -> Any:
    """An id in a path as the API writes it. pydantic's lax mode also reads
    "01", "+1", " 1", "1.0" and "1_0" as numbers: each would be a second
    address of the same article, so a number spelt so names no article (404);
    what is no number at all stays pydantic's to refuse (422)."""
    if not isinstance(value, str) or CANONICAL_ID.fullmatch(value):
        return value
    try:
        _LAX_INT.validate_python(value)
    except ValidationError:
        return value
    raise ApiError(
        404,
        "not_found",
        "No public article with that id (an id is written in plain digits).",
        [{"in": "path", "field": "id"}],
    )


def _plain_digits(value: Any) -> Any:
    # A query's id, as a `next` link writes it: "01" or "1.0" is not one.
    if isinstance(value, str) and not CANONICAL_ID.fullmatch(value):
        raise ValueError("an id is written in plain digits")
    return value


# An id in a query string (the same number spelt otherwise is 422).
QueryId = BeforeValidator(_plain_digits)

ArticleId = Annotated[
    int,
    BeforeValidator(_as_written),
    Path(ge=1, le=MAX_ID, description="The article's id."),
]


def _not_a_boolean(value: Any) -> Any:
    # pydantic's lax mode reads JSON's true as 1: article 1, comment 1.
    if isinstance(value, bool):
        raise ValueError("an id is a number, not true or false")
    return value


# An id in a JSON body (digits in a string are still read as one).
BodyId = Annotated[int, BeforeValidator(_not_a_boolean)]
Cursor = Annotated[
    str | None,
    Query(None, max_length=512, description="Opaque; from the previous page."),
]
Limit = Annotated[int, Query(20, ge=1, le=100, description="Items per page.")]

# Errors every read route may answer with (the shape is the same for all).
READ_ERRORS = {400: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}
