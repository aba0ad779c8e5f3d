"""The confirmation code readers type under a comment, behind a pluggable backend.

``NEWSROOM_CONFIRMATION`` names the backend (Django's alias-dict idiom); callers
use :func:`get_backend` and check its ``supports_*`` flags.
"""

from __future__ import annotations

from django.utils.module_loading import import_string

from ..conf import conf
from .base import BaseConfirmation, Challenge, Verdict, scope

__all__ = [
    "BaseConfirmation",
    "Challenge",
    "Verdict",
    "answer_for",
    "get_backend",
    "scope",
]

_DEFAULT = {"BACKEND": "newsroom.comments.confirmation.image.ImageCodeBackend"}
_cache: dict[tuple, BaseConfirmation] = {}


def get_backend() -> BaseConfirmation:
    """The configured backend (one instance per configuration)."""
    config = conf.NEWSROOM_CONFIRMATION or _DEFAULT
    options = dict(config.get("OPTIONS", {}))
    key = (config["BACKEND"], tuple(sorted((k, str(v)) for k, v in options.items())))
    if key not in _cache:
        _cache[key] = import_string(config["BACKEND"])(options)
    return _cache[key]


def answer_for(token: str, article_id: int, network: str = "127.0.0.0/24") -> str:
    """The answer to a code on one article from one network, for tests only.

    Works only when ``NEWSROOM_CONFIRMATION_TEST_HOOK`` is true, which only the
    test settings define; anywhere else it refuses, so production has no bypass.
    """
    if conf.NEWSROOM_CONFIRMATION_TEST_HOOK is not True:
        raise PermissionError("the confirmation test hook is off outside tests")
    backend = get_backend()
    challenge_id = backend.unsign(token, max_age=None)
    if challenge_id is None:
        raise ValueError("not a confirmation token")
    return backend.code_for(challenge_id, scope(article_id, network))
