"""Rate limits and single-use spends that hold across processes and nodes.

Two primitives every app uses, so no app keeps its own per-process counter:

- :func:`hit` counts one event for a key in a fixed window and says whether it
  is still within the limit (and, if not, how long until the window ends);
- :func:`spend_once` marks a token used and says whether this call was the
  first: a replay, a second worker or a second node all get ``False``.

Where they are kept: in the default cache when that cache is shared (Django's
Redis backend, set up when ``REDIS_URL`` is set), else in the database
(``core.RateCounter`` and ``core.SpentToken``), which every process shares.
``NEWSROOM_LIMITS_STORE`` forces one: ``"database"`` or a cache alias.
Keys are built by the callers from a scope and ``newsroom.net.client_network``,
so nothing personal is stored.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import caches
from django.db import IntegrityError, transaction
from django.db.models import F

from .conf import conf
from .models import RateCounter, SpentToken

SHARED_CACHE_BACKENDS = (
    "django.core.cache.backends.redis.RedisCache",
    "django_redis.cache.RedisCache",
    "django.core.cache.backends.memcached.PyMemcacheCache",
)


@dataclass(frozen=True)
class Hit:
    """The outcome of one counted event."""

    allowed: bool
    count: int
    limit: int
    retry_after: int  # seconds until the window ends (at least 1)


def store() -> str:
    """``"database"`` or the alias of a cache every process shares."""
    forced = conf.NEWSROOM_LIMITS_STORE
    if forced:
        return forced
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    return "default" if backend in SHARED_CACHE_BACKENDS else "database"


def _short(key: str) -> str:
    # Keys may carry user-chosen parts (a query string); keep them bounded
    # and free of characters a cache backend would refuse.
    if len(key) <= 150 and key.isascii() and key.isprintable() and " " not in key:
        return key
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _count_in_db(key: str, window: int, period: int) -> int:
    expires = datetime.fromtimestamp(window + period, tz=UTC)
    with transaction.atomic():
        updated = RateCounter.objects.filter(key=key, window=window).update(
            count=F("count") + 1
        )
        if not updated:
            try:
                with transaction.atomic():
                    RateCounter.objects.create(
                        key=key, window=window, count=1, expires_at=expires
                    )
            except IntegrityError:
                # Another process created it between our UPDATE and INSERT.
                RateCounter.objects.filter(key=key, window=window).update(
                    count=F("count") + 1
                )
            else:
                # A new window: a good moment to drop windows that are over.
                RateCounter.objects.filter(
                    expires_at__lt=expires - timedelta(seconds=period)
                ).delete()
        return (
            RateCounter.objects.filter(key=key, window=window)
            .values_list("count", flat=True)
            .first()
            or 1
        )


def _count_in_cache(alias: str, key: str, window: int, period: int) -> int:
    cache = caches[alias]
    full_key = f"nr-rate:{key}:{window}"
    # add() is atomic in a shared cache; incr() then counts without races.
    if cache.add(full_key, 1, timeout=period + 5):
        return 1
    try:
        return cache.incr(full_key)
    except ValueError:  # expired between add() and incr()
        cache.add(full_key, 1, timeout=period + 5)
        return 1


def hit(scope: str, key: str, limit: int, period: int) -> Hit:
    """Count one event of ``scope`` for ``key``; allowed while count <= limit."""
    period = max(1, int(period))
    now = time.time()
    window = int(now // period * period)
    full = _short(f"{scope}:{key}")
    where = store()
    if where == "database":
        count = _count_in_db(full, window, period)
    else:
        count = _count_in_cache(where, full, window, period)
    retry = max(1, int(window + period - now + 0.999))
    return Hit(allowed=count <= limit, count=count, limit=limit, retry_after=retry)


def peek(scope: str, key: str, period: int) -> int:
    """How many events ``key`` has in the current window, without counting one."""
    period = max(1, int(period))
    window = int(time.time() // period * period)
    full = _short(f"{scope}:{key}")
    where = store()
    if where == "database":
        return (
            RateCounter.objects.filter(key=full, window=window)
            .values_list("count", flat=True)
            .first()
            or 0
        )
    return int(caches[where].get(f"nr-rate:{full}:{window}") or 0)


def spend_once(token: str, ttl: int) -> bool:
    """Mark ``token`` used for ``ttl`` seconds; True only for the first spend."""
    full = _short(f"spent:{token}")
    where = store()
    if where != "database":
        return bool(caches[where].add(f"nr-{full}", 1, timeout=max(1, int(ttl))))
    now = datetime.now(tz=UTC)
    try:
        with transaction.atomic():
            SpentToken.objects.create(
                token=full, expires_at=now + timedelta(seconds=ttl)
            )
    except IntegrityError:
        # Spent before; a row whose time is over may be reused once.
        with transaction.atomic():
            return bool(
                SpentToken.objects.filter(token=full, expires_at__lt=now).update(
                    expires_at=now + timedelta(seconds=ttl)
                )
            )
    return True


def prune(now: datetime | None = None) -> int:
    """Drop windows and spends whose time is over; returns rows deleted."""
    now = now or datetime.now(tz=UTC)
    gone, _ = RateCounter.objects.filter(expires_at__lt=now).delete()
    spent, _ = SpentToken.objects.filter(expires_at__lt=now).delete()
    return gone + spent
