"""Logging that a flood can't turn into a flood of log lines.

Django logs every 4xx answer as a warning (``django.request``). A network that
keeps sending after its rate limit gets a 429 per request, so its refusals are
logged once per route and network a minute, per process; the limits count
them all (``newsroom.core.limits``), and the first one is in the log.
"""

from __future__ import annotations

import logging
import threading
import time

from newsroom.net import client_network

WINDOW = 60.0  # seconds between two lines for one route and network
MAX_KEYS = 10_000

_seen: dict[tuple[str, str], float] = {}
_lock = threading.Lock()


def forget() -> None:
    """Log the next refusal of everyone again (tests)."""
    with _lock:
        _seen.clear()


class RefusalsOncePerMinute(logging.Filter):
    """Let through one ``429`` record per (route, client network) a minute."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) != 429:
            return True
        request = getattr(record, "request", None)
        if request is None:
            return True
        try:
            network = client_network(request)
        except Exception:  # noqa: BLE001 - a log filter must never raise
            return True
        route = "/".join(request.path.split("/")[:3])
        key = (route, network)
        now = time.monotonic()
        with _lock:
            last = _seen.get(key)
            if last is not None and now - last < WINDOW:
                return False
            if len(_seen) >= MAX_KEYS:
                _seen.clear()
            _seen[key] = now
        return True
