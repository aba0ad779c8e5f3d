"""Per-network rate limits for the API, shared by every process (429 + Retry-After).

The counting is ``newsroom.core.limits.hit``: rolling windows kept in the
database, or in the default cache when that is a shared one (Redis), so four
workers or two nodes never give a client four or two budgets, and a burst
across a window's turn never gets the budget twice.
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

from newsroom.core.limits import hit
from newsroom.net import client_network


def parse_rate(rate: str) -> tuple[int, int]:
    """ "300/60" -> (300 requests, per 60 seconds)."""
    count, _, seconds = str(rate).partition("/")
    return max(1, int(count)), max(1, int(seconds or 60))


class NetworkThrottle(BaseThrottle):
    """Allow ``NEWSROOM_API_RATE_LIMITS[scope]`` requests per client network."""

    def __init__(self, scope: str) -> None:
        self.scope = scope
        # ninja calls wait() right after allow_request() on the same shared
        # object; workers may run requests in threads, so keep it per thread.
        self._local = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        limit, period = parse_rate(settings.NEWSROOM_API_RATE_LIMITS[self.scope])
        outcome = hit(
            f"api-{self.scope}", client_network(request), limit, period, rolling=True
        )
        self._local.wait = outcome.retry_after
        return outcome.allowed

    def wait(self) -> float | None:
        return max(1.0, float(getattr(self._local, "wait", 1.0)))
