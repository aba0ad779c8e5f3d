"""Django's Redis cache, made to fail soft when Redis is away.

With ``REDIS_URL`` set, every page reads the shared cache (the section menu,
the front cache's version, share counts), and Django's backend raises when
Redis does not answer: every page was a 500 until it came back, and a Redis
that stopped answering (a host gone, not a port closed) cost each read a
one-second timeout.

``ResilientRedisCache`` is Django's ``RedisCache`` with one rule: when Redis
fails, a read is a miss and a write is dropped (what the cache held is kept
elsewhere or made again), and ``add`` and ``incr``, whose answers callers
act on, raise ``CacheUnavailable``. ``newsroom.core.limits`` then keeps rate
limits and single-use spends in the database, which every node shares.
After a failure the process leaves Redis alone for ``DOWN_SECONDS`` and
tries again with the next call after that, so an unanswering Redis costs a
process one timeout every ``DOWN_SECONDS``, not one per read. Each outage is
logged once when it starts and once when Redis answers again.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

DOWN_SECONDS = 5.0


class CacheUnavailable(Exception):
    """The shared cache did not answer (or is being left alone)."""


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._down_until = 0.0
        self._down = False
        self._lock = threading.Lock()

    def available(self) -> bool:
        """False while this process leaves Redis alone after a failure."""
        return time.monotonic() >= self._down_until

    def _failed(self, exc: BaseException) -> None:
        with self._lock:
            self._down_until = time.monotonic() + DOWN_SECONDS
            first = not self._down
            self._down = True
        if first:
            log.warning(
                "shared cache (Redis) unavailable (%s): pages are served "
                "without it, rate limits and single-use codes are kept in the "
                "database; trying again every %.0f s",
                exc,
                DOWN_SECONDS,
            )

    def _call(self, name: str, soft, *args, **kwargs):
        """Call RedisCache's ``name``; on failure return ``soft`` (a miss, a
        dropped write), or raise CacheUnavailable when ``soft`` is that."""
        if not self.available():
            if soft is CacheUnavailable:
                raise CacheUnavailable("the shared cache is being left alone")
            return soft
        try:
            result = getattr(super(), name)(*args, **kwargs)
        except RedisError as exc:
            self._failed(exc)
            if soft is CacheUnavailable:
                raise CacheUnavailable(str(exc)) from exc
            return soft
        if self._down:
            with self._lock:
                back, self._down = self._down, False
            if back:
                log.warning("shared cache (Redis) answers again")
        return result

    # Reads: a miss. Writes: dropped.
    def get(self, key, default=None, version=None):
        return self._call("get", default, key, default, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", False, key, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._call("set", None, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", list(data), data, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", False, key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", False, key, version)

    def delete_many(self, keys, version=None):
        self._call("delete_many", None, keys, version)

    def clear(self):
        return self._call("clear", False)

    # Answers a caller acts on (a first spend, a count): never guessed.
    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", CacheUnavailable, key, value, timeout, version)

    def incr(self, key, delta=1, version=None):
        return self._call("incr", CacheUnavailable, key, delta, version)
