"""Per-request values spliced into HTML rendered once: CSRF token, code, stamp.

A fragment (the comment form) or a whole page is rendered with markers where
a visitor's own values go, kept, and filled for each request: filling is a
string join, rendering the form again costs milliseconds. A marker is
``\\x00nr<NONCE>:NAME\\x00`` for a fixed set of names, where NONCE is random
per process: no stored text can contain a marker, since nobody who writes text
knows the nonce (and the text cleaning of forms and imports removes NUL
anyway). A stamp's article id is at most 18 digits, so it is always a number
``int()`` reads.

The values other than the CSRF token come from ``registry.slot_values``,
which the comments app fills; without it those markers are left empty.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from html import escape

from .registry import slot_values

NONCE = secrets.token_hex(12)
CSRF = f"\x00nr{NONCE}:csrf\x00"
CODE_TOKEN = f"\x00nr{NONCE}:code_token\x00"
CODE_QUESTION = f"\x00nr{NONCE}:code_question\x00"
CODE_IMAGE = f"\x00nr{NONCE}:code_image\x00"
MARK = re.compile(
    f"\x00nr{NONCE}:(csrf|code_token|code_question|code_image|stamp\\.[0-9]{{1,18}})\x00"
)
NAMES = re.compile(r"csrf|code_token|code_question|code_image|stamp\.[0-9]{1,18}")


def stamp(article_id: int) -> str:
    """The marker for the comment form's fill-time stamp of one article."""
    return f"\x00nr{NONCE}:stamp.{int(article_id)}\x00"


def valid(parts: list[str]) -> bool:
    """Parts from :func:`split` whose odd items are all marker names."""
    return len(parts) % 2 == 1 and all(NAMES.fullmatch(p) for p in parts[1::2])


def split(html: str) -> list[str]:
    """[text, name, text, name, …, text]: odd items are marker names."""
    return MARK.split(html)


class Live:
    """This request's values, each computed only when a marker asks for it.

    One confirmation challenge per request serves its token, question and
    image markers, so they always belong together.
    """

    def __init__(self, csrf: Callable[[], str]) -> None:
        self._csrf = csrf
        self._values: dict[str, str] = {}

    def __getitem__(self, name: str) -> str:
        value = self._values.get(name)
        if value is None:
            value = self._values[name] = self._compute(name)
        return value

    def _compute(self, name: str) -> str:
        if name == "csrf":
            return escape(str(self._csrf()))
        if name.startswith("code_"):
            # One challenge fills all three: {"token", "question", "image"}.
            issue = slot_values.get("code")
            challenge = issue() if issue else {}
            for part in ("token", "question", "image"):
                self._values[f"code_{part}"] = escape(challenge.get(part, ""))
            return self._values[name]
        if name.startswith("stamp."):
            stamp_for = slot_values.get("stamp")
            article_id = int(name.partition(".")[2])
            return escape(stamp_for(article_id)) if stamp_for else ""
        raise KeyError(name)  # MARK admits no other name


def marked(parts: list[str]) -> str:
    """The parts from :func:`split` joined again with this process's markers.

    A fragment kept in a shared cache (Redis) was split by whichever process
    rendered it; its markers carry that process's nonce, which no other
    process's :func:`split` finds.
    """
    out = parts[:]
    for n in range(1, len(out), 2):
        out[n] = f"\x00nr{NONCE}:{out[n]}\x00"
    return "".join(out)


def fill(parts: list[str], live: Live) -> str:
    """The parts from :func:`split` joined with this request's values."""
    if len(parts) == 1:
        return parts[0]
    out = parts[:]
    for n in range(1, len(out), 2):
        out[n] = live[out[n]]
    return "".join(out)
