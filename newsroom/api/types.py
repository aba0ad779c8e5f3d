"""Parameter types and error sets every API router shares.

A router imports these instead of another app's router module, so the apps
stay independent of each other and depend only on this toolkit.
"""

from __future__ import annotations

from typing import Annotated, Any

from ninja import Field, Path, Query
from pydantic import BeforeValidator

from .errors import ErrorOut

MAX_ID = 2**63 - 1
SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"
Slug = Annotated[str, Field(min_length=1, max_length=200, pattern=SLUG_PATTERN)]
ArticleId = Annotated[int, Path(ge=1, le=MAX_ID, description="The article's id.")]


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
