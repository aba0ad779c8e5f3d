"""The mail relay as the comments app talks to it.

Every mail of the app (to the moderators, an address's link, reply
notifications) is sent within the request that causes it, and each step of
talking to the relay gives up after ``EMAIL_TIMEOUT``. A relay that takes
the connection and never answers cost every such request that timeout: with
comments held for moderation, each reader's post waited 10 s. So a failure
that took a whole timeout marks the relay hung for ``RELAY_PAUSE`` seconds
(``NEWSROOM_COMMENTS_LIMITS``, 300; rolling, so 5 to 10 minutes), in the
store every process and node shares; meanwhile the app sends nothing and
counts it as not sent (the places and links kept for later, reply
notifications owed). A relay that refuses (it answered) is asked again at
once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings

from newsroom.core import limits

log = logging.getLogger(__name__)
RELAY_PAUSE = 300
_HUNG = "comments.relay_hung"


def pause() -> int:
    given: dict[str, Any] = settings.NEWSROOM_COMMENTS_LIMITS
    return max(1, int(given.get("RELAY_PAUSE") or RELAY_PAUSE))


def hung() -> bool:
    """A talk with the relay took a whole timeout within the pause."""
    return limits.wait(_HUNG, "site", 1, pause()) > 0


def note_failure(started: float) -> None:
    """A talk with the relay failed after ``started`` (``time.monotonic``):
    one that took a whole EMAIL_TIMEOUT marks the relay hung."""
    if time.monotonic() - started >= 0.9 * settings.EMAIL_TIMEOUT:
        limits.hit(_HUNG, "site", 10**9, pause(), rolling=True)


def deliver(send: Callable[[], int], failure: str, force: bool = False) -> int:
    """How many ``send`` (one talk with the relay) sent: 0 when it failed
    (``failure`` logged with the error) or the relay hung lately (unless
    ``force``: a cron job's try)."""
    if not force and hung():
        log.warning("the mail relay did not answer lately: %s", failure)
        return 0
    started = time.monotonic()
    try:
        return send()
    except Exception:  # a mail outage must never lose what caused the mail
        log.exception(failure)
        note_failure(started)
        return 0
