"""The few lines of Django's CSRF token handling the front cache needs.

The front cache answers before Django runs, so it reads the visitor's CSRF
cookie itself, exactly as ``CsrfViewMiddleware`` would. Django keeps these
steps in private functions of ``django.middleware.csrf``
(``_check_token_format``, ``_unmask_cipher_token``), which may change in any
release; they are copied here from Django 5.2, and
``web/tests/test_csrf.py`` pins them to the installed Django (same answers
as its private functions, and a failing test on a Django upgrade).
"""

from __future__ import annotations

import re

from django.middleware.csrf import (
    CSRF_ALLOWED_CHARS,
    CSRF_SECRET_LENGTH,
    CSRF_TOKEN_LENGTH,
)

DJANGO_VERSION = (5, 2)  # the Django these lines were copied from
_INVALID = re.compile("[^a-zA-Z0-9]")


def is_token_format(token: str) -> bool:
    """A secret or a masked token: the right length and only allowed characters."""
    return len(token) in (CSRF_TOKEN_LENGTH, CSRF_SECRET_LENGTH) and not (
        _INVALID.search(token)
    )


def unmask(token: str) -> str:
    """The secret behind a masked token (its first half is the mask)."""
    mask, cipher = token[:CSRF_SECRET_LENGTH], token[CSRF_SECRET_LENGTH:]
    chars = CSRF_ALLOWED_CHARS
    return "".join(
        chars[chars.index(x) - chars.index(y)]  # a negative index wraps
        for x, y in zip(cipher, mask, strict=True)
    )
