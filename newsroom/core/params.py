"""Values a stranger puts in a URL, parsed by one validated helper per kind.

Every HTML listing, the search page and the API read cursors, dates, numbers,
facet values and sort names through these functions, so a crafted value is
refused the same way everywhere. Each returns ``None`` (or the default) for
anything it does not accept and never raises: the caller decides whether that
is a 400 (the API) or a page without the filter (HTML).

What they refuse, and why each once gave a 500:

- text with a lone surrogate or a NUL (no database encodes it);
- a date or time that is well formed but impossible (``2026-02-30``, hour 25),
  which ``parse_datetime`` raises on instead of returning ``None``;
- a moment that leaves the range the database stores once moved to UTC
  (``9999-12-31T23:00-05:00``);
- a number outside a 64-bit key, or written in digits other than ASCII.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

from django.utils.dateparse import parse_datetime

MAX_ID = 2**63 - 1  # the largest key a 64-bit integer column holds
MAX_TEXT = 2000
# Moments are stored in UTC; keep a day clear of datetime's ends so that
# converting to and from any offset stays representable.
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)


def text(value: object, max_length: int = MAX_TEXT) -> str | None:
    """``value`` as a string a database can store, or None."""
    if not isinstance(value, str) or len(value) > max_length or "\x00" in value:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return None
    return value


def number(value: object, low: int = 0, high: int = MAX_ID) -> int | None:
    """A whole number written in ASCII digits, within [low, high], or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if low <= value <= high else None
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 20:
        return None
    parsed = int(value)
    return parsed if low <= parsed <= high else None


def day(value: object) -> date | None:
    """A ``YYYY-MM-DD`` day that exists, or None."""
    value = text(value, 40)
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def moment(value: object) -> datetime | None:
    """An ISO 8601 date and time that exists and can be stored, in UTC, or None.

    Without an offset it is read as UTC. A space stands for ``+``, as a ``+``
    typed into a URL arrives as a space.
    """
    value = text(value, 64)
    if not value:
        return None
    try:
        parsed = parse_datetime(value.strip().replace(" ", "+"))
    except ValueError:  # well formed, impossible: 2026-02-30, 24:61
        return None
    if parsed is None:
        return None
    try:
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        parsed = parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
    return parsed if EARLIEST <= parsed <= LATEST else None


def slug(value: object, max_length: int = 120) -> str | None:
    """A facet value (section, tag or author slug): letters, digits, - and _."""
    value = text(value, max_length * 4)
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > max_length:
        return None
    return value if all(c.isalnum() or c in "-_" for c in value) else None


def choice(value: object, choices: Iterable[str], default: str) -> str:
    """A sort (or other named) value from ``choices``; else ``default``."""
    return value if isinstance(value, str) and value in set(choices) else default


def position(cursor: object) -> tuple[datetime, int] | None:
    """An HTML listing's ``before`` cursor, ``<ISO moment>~<id>``, or None."""
    value = text(cursor, 100)
    if not value or "~" not in value:
        return None
    stamp, _, pk = value.rpartition("~")
    when, ident = moment(stamp), number(pk)
    if when is None or ident is None:
        return None
    return when, ident
