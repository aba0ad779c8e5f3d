"""Per-network rate limits shared by every server process (429 + Retry-After).

Fixed windows counted in ``RateBucket`` rows (or in a shared cache, when
``NEWSROOM_API_RATE_STORE`` names one such as Redis or Memcached). The
increment is one UPDATE ... SET count = count + 1 in the database, so
concurrent requests from many processes never lose a count.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import caches
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

from .clients import client_network
from .models import RateBucket


def parse_rate(rate: str) -> tuple[int, int]:
    """ "300/60" -> (300 requests, per 60 seconds)."""
    count, _, seconds = str(rate).partition("/")
    return max(1, int(count)), max(1, int(seconds or 60))


def _count_in_db(key: str, window: int, period: int) -> int:
    expires = datetime.fromtimestamp(window + period, tz=UTC)
    with transaction.atomic():
        updated = RateBucket.objects.filter(key=key, window=window).update(
            count=F("count") + 1
        )
        if not updated:
            try:
                with transaction.atomic():
                    RateBucket.objects.create(
                        key=key, window=window, count=1, expires_at=expires
                    )
            except IntegrityError:
                # Another process created it between our UPDATE and INSERT.
                RateBucket.objects.filter(key=key, window=window).update(
                    count=F("count") + 1
                )
            else:
                # A new window for this client: a good moment to drop the
                # windows that are over, so the table stays small.
                RateBucket.objects.filter(
                    expires_at__lt=expires - timedelta(seconds=period)
                ).delete()
        return (
            RateBucket.objects.filter(key=key, window=window)
            .values_list("count", flat=True)
            .first()
            or 1
        )


def _count_in_cache(alias: str, key: str, window: int, period: int) -> int:
    cache = caches[alias]
    full_key = f"api-rate:{key}:{window}"
    # add() is atomic in shared caches; incr() then counts without races.
    if cache.add(full_key, 1, timeout=period + 5):
        return 1
    try:
        return cache.incr(full_key)
    except ValueError:  # expired between add() and incr()
        cache.add(full_key, 1, timeout=period + 5)
        return 1


class NetworkThrottle(BaseThrottle):
    """Allow ``NEWSROOM_API_RATE_LIMITS[scope]`` requests per client network."""

    def __init__(self, scope: str) -> None:
        self.scope = scope
        # ninja calls wait() right after allow_request() on the same shared
        # object; gthread workers run requests in threads, so keep it per thread.
        self._local = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        limit, period = parse_rate(settings.NEWSROOM_API_RATE_LIMITS[self.scope])
        now = time.time()
        window = int(now // period * period)
        key = f"{self.scope}:{client_network(request)}"
        store = settings.NEWSROOM_API_RATE_STORE
        if store == "database":
            count = _count_in_db(key, window, period)
        else:
            count = _count_in_cache(store, key, window, period)
        self._local.wait = window + period - now
        return count <= limit

    def wait(self) -> float | None:
        return max(1.0, getattr(self._local, "wait", 1.0))
