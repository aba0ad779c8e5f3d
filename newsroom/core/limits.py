"""Rate limits and single-use spends that hold across processes and nodes.

Two primitives every app uses, so no app keeps its own per-process counter:

- :func:`hit` counts one event for a key in a fixed window and says whether it
  is still within the limit (and, if not, how long until the window ends);
- :func:`spend_once` marks a token used and says whether this call was the
  first: a replay, a second worker or a second node all get ``False``;
  :func:`unspend` makes it spendable again when the thing it was spent on
  did not happen.

``hit(..., rolling=True)`` also weighs the previous window by the share of
it still within the last period (the usual sliding-window estimate), for
limits a burst across a window's turn must not have twice: it counts only
what it lets through, and a refusal is remembered until the next event fits.

A count taken before the work it guards can be given back
(:func:`give_back`): a caller that must not let events in flight together
pass a limit (a wrong code is only known once checked) takes its place
first and returns it when the event turned out not to count.

Where they are kept: in the default cache when that cache is shared (Django's
Redis backend, set up when ``REDIS_URL`` is set), else in the database
(``core.RateCounter`` and ``core.SpentToken``), which every process shares.
``NEWSROOM_LIMITS_STORE`` forces one: ``"database"`` or a cache alias.
Keys are built by the callers from a scope and ``newsroom.net.client_network``,
so nothing personal is stored.

A refusal is remembered in the process until its window ends: a network that
keeps sending after its first 429 is refused again without a write to the
store (a database write on SQLite), so a flood costs the site as little as
possible. A fixed window's count only grows, so the answer can't change
before the window ends; :func:`forget` clears the memo (tests call it).

``hit(..., slack=n)`` lets a process hold up to ``n - 1`` counts of a key
before it writes them, for limits that can afford a few events over (search,
not comments): in one process the limit stays exact (its own unwritten counts
are added to the store's count it last read), the counts of every key are
written together at most ``FLUSH_SECONDS`` apart, in one transaction, and
across P processes a window admits at most ``limit + (P - 1) * (n - 1)``.
A search was a database write transaction each on SQLite.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, connection, transaction

from .cache import CacheUnavailable
from .conf import conf
from .models import RateCounter, SpentToken

SHARED_CACHE_BACKENDS = (
    "newsroom.core.cache.ResilientRedisCache",
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
    window: int = 0  # the window counted in (for give_back)


# (store, key, limit, period) -> the end of the window in which it was refused.
_refused: dict[tuple[str, str, int, int], float] = {}
REFUSED_MAX = 10_000  # entries; a full memo first drops windows that are over


# (store, key, limit, period) -> [window, counts not yet written, other
# processes' counts seen in the store (a lower bound), counts being written
# now, counts this process has written]; for ``hit(slack=n)``.
_held: dict[tuple[str, str, int, int], list[int]] = {}
_held_lock = threading.Lock()
_written = [time.monotonic()]
FLUSH_SECONDS = 1.0
HELD_MAX = 10_000  # keys; past it every held count is written at once
log = logging.getLogger(__name__)


def forget() -> None:
    """Drop this process's memo of refusals and its unwritten counts (the
    store keeps what was written)."""
    _refused.clear()
    with _held_lock:
        _held.clear()


def _remember_refusal(memo: tuple[str, str, int, int], until: float) -> None:
    if len(_refused) >= REFUSED_MAX:
        now = time.time()
        for stale in [k for k, end in _refused.items() if end <= now]:
            del _refused[stale]
        if len(_refused) >= REFUSED_MAX:
            _refused.clear()
    _refused[memo] = until


def store() -> str:
    """``"database"`` or the alias of a cache every process shares."""
    forced = conf.NEWSROOM_LIMITS_STORE
    if forced:
        return forced
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    return "default" if backend in SHARED_CACHE_BACKENDS else "database"


def _away(where: str) -> bool:
    """The shared cache ``where`` is being left alone after a failure
    (``newsroom.core.cache``): its counts and spends go to the database."""
    available = getattr(caches[where], "available", None)
    return available is not None and not available()


def _short(key: str) -> str:
    # Keys may carry user-chosen parts (a query string); keep them bounded
    # and free of characters a cache backend would refuse.
    if len(key) <= 150 and key.isascii() and key.isprintable() and " " not in key:
        return key
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _count_in_db(
    key: str,
    window: int,
    period: int,
    amount: int = 1,
    prune: bool = True,
    keep: int = 0,
) -> int:
    # One statement counts and answers, on SQLite and PostgreSQL alike: the
    # upsert is atomic, so two processes can't both create the window's row.
    # ``keep``: seconds the row outlives its window (a rolling limit reads it
    # during the next one).
    expires = datetime.fromtimestamp(window + period + keep, tz=UTC)
    q = connection.ops.quote_name
    table = _table(RateCounter)
    sql = (
        f"INSERT INTO {table} ({q('key')}, {q('window')}, {q('count')}, "
        f"{q('expires_at')}) VALUES (%s, %s, %s, %s) "
        f"ON CONFLICT ({q('key')}, {q('window')}) "
        f"DO UPDATE SET {q('count')} = {table}.{q('count')} + excluded.{q('count')} "
        f"RETURNING {q('count')}"
    )
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(
            sql,
            [key, window, amount, connection.ops.adapt_datetimefield_value(expires)],
        )
        count = int(cursor.fetchone()[0])
        if prune and count == amount:
            # A new window: a good moment to drop windows that are over.
            RateCounter.objects.filter(
                expires_at__lt=expires - timedelta(seconds=period + keep)
            ).delete()
    return count


def _count_in_cache(
    alias: str, key: str, window: int, period: int, amount: int = 1, keep: int = 0
) -> int:
    cache = caches[alias]
    full_key = f"nr-rate:{key}:{window}"
    # add() is atomic in a shared cache; incr() then counts without races.
    if cache.add(full_key, amount, timeout=period + keep + 5):
        return amount
    try:
        return cache.incr(full_key, amount)
    except ValueError:  # expired between add() and incr()
        cache.add(full_key, amount, timeout=period + keep + 5)
        return amount


def _count(
    where: str,
    full: str,
    window: int,
    period: int,
    amount: int,
    prune: bool = True,
    keep: int = 0,
) -> int:
    if where != "database" and not _away(where):
        try:
            return _count_in_cache(where, full, window, period, amount, keep)
        except CacheUnavailable:
            pass  # Redis is away: the database, which every node shares
    return _count_in_db(full, window, period, amount, prune, keep)


def _stored(where: str, full: str, window: int) -> int:
    """The count of one window, without counting (in the database while the
    shared cache is away)."""
    if where != "database" and not _away(where):
        value = caches[where].get(f"nr-rate:{full}:{window}")
        if value is not None or not _away(where):  # an answer, not a failure
            return int(value or 0)
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {q('count')} FROM {_table(RateCounter)} "
            f"WHERE {q('key')} = %s AND {q('window')} = %s",
            [full, window],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def _weight(previous: int, window: int, period: int, now: float) -> float:
    """The previous window's count, weighed by how much of it still lies
    within the last ``period`` seconds (a rolling limit)."""
    return previous * max(0.0, window + period - now) / period


def _wait(
    now: float, window: int, period: int, previous: int, count: int, limit: int
) -> float:
    """Seconds until one more event fits a rolling limit whose current window
    holds ``count`` (no more events counted meanwhile)."""
    room = limit - 1 - count
    if room < 0:  # not in this window: in the next, weighed against this one
        window, previous, room = window + period, count, limit - 1
        if room < 0:
            return window + period - now
    if previous <= room:
        return max(0.0, window - now)
    return window + period * (1 - room / previous) - now


def hit(
    scope: str,
    key: str,
    limit: int,
    period: int,
    amount: int = 1,
    slack: int = 0,
    rolling: bool = False,
) -> Hit:
    """Count one event of ``scope`` for ``key``; allowed while count <= limit.

    ``amount`` counts several events at once (a buffered batch); the answer
    is about the last of them, and :func:`allowed_of` says how many fit.
    ``slack`` > 1 lets the process write its counts later (module docstring).
    ``rolling`` also weighs the previous window by the share of it still
    within the last ``period`` seconds, so a budget spent at a window's end
    is not whole again at the next one's start (a fixed window let a burst
    across the boundary have it twice); not with ``slack``."""
    amount = max(1, int(amount))
    period = max(1, int(period))
    now = time.time()
    window = int(now // period * period)
    full = _short(f"{scope}:{key}")
    where = store()
    retry = max(1, int(window + period - now + 0.999))
    memo = (where, full, limit, period)
    until = _refused.get(memo)
    if until is not None:
        if now < until:
            return Hit(
                allowed=False,
                count=limit + amount,
                limit=limit,
                retry_after=max(1, math.ceil(until - now)),
                window=window,
            )
        _refused.pop(memo, None)
    if slack > 1:
        count = _held_count(memo, window, period, amount, slack)
    elif rolling:
        return _rolling_hit(memo, window, now, amount)
    else:
        count = _count(where, full, window, period, amount)
    if count > limit:
        _remember_refusal(memo, window + period)
    return Hit(
        allowed=count <= limit,
        count=count,
        limit=limit,
        retry_after=retry,
        window=window,
    )


def _rolling_hit(memo, window: int, now: float, amount: int) -> Hit:
    """:func:`hit` for a rolling limit: ``count`` is the weighed estimate."""
    where, full, limit, period = memo
    stored = _count(where, full, window, period, amount, keep=period)
    previous = _stored(where, full, window - period)
    count = math.ceil(stored + _weight(previous, window, period, now) - 1e-9)
    retry = 1
    if count > limit:
        # A rolling limit counts only what it lets through, so the wait it
        # gives holds; until then nothing fits, whatever else is counted.
        _take_back(where, full, window, amount)
        wait = _wait(now, window, period, previous, stored - amount, limit)
        _remember_refusal(memo, now + wait)
        retry = max(1, math.ceil(wait))
    return Hit(
        allowed=count <= limit,
        count=count,
        limit=limit,
        retry_after=retry,
        window=window,
    )


def give_back(scope: str, key: str, outcome: Hit, amount: int = 1) -> None:
    """Take back ``amount`` events that ``outcome`` (an allowed, strict
    :func:`hit`) counted: they turned out not to be the kind limited. The
    count is lowered in the window it was added to, never below zero."""
    if not outcome.allowed:
        return  # a refused hit may be this process's memo: nothing was added
    _take_back(store(), _short(f"{scope}:{key}"), outcome.window, max(1, amount))


def _take_back(where: str, full: str, window: int, amount: int) -> None:
    if where != "database" and not _away(where):
        try:
            caches[where].decr(f"nr-rate:{full}:{window}", amount)
            return
        except ValueError:  # the window is over and gone
            return
        except CacheUnavailable:
            pass  # Redis is away: the count was kept in the database
    q = connection.ops.quote_name
    column = q("count")
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_table(RateCounter)} SET {column} = CASE WHEN {column} > %s "
            f"THEN {column} - %s ELSE 0 END "
            f"WHERE {q('key')} = %s AND {q('window')} = %s",
            [amount, amount, full, window],
        )


def _held_count(memo, window: int, period: int, amount: int, slack: int) -> int:
    """This event's place in the window: every event this process counted
    before it, plus the other processes' counts seen in the store. Its
    process's counts are written when they reach ``slack`` or pass the
    limit, else with the next flush."""
    where, full, limit, _ = memo
    with _held_lock:
        held = _held.get(memo)
        if held is None or held[0] != window:
            held = _held[memo] = [window, 0, 0, 0, 0]
        held[1] += amount
        count = held[2] + held[3] + held[4] + held[1]
        due = held[1] >= slack or count > limit
        if due:  # on their way: still counted by the threads asking meanwhile
            amount, held[1] = held[1], 0
            held[3] += amount
            others = held[2]
        stale = time.monotonic() - _written[0] > FLUSH_SECONDS or len(_held) > HELD_MAX
    if due:
        try:
            stored = _count(where, full, window, period, amount)
        except BaseException:
            _hold_again(memo, window, amount)
            raise
        with _held_lock:
            _written_back(held, window, amount, stored)
            count += max(0, held[2] - others)  # others' events before it
    if stale:
        write_held()
    return count


def _written_back(held: list[int], window: int, amount: int, stored: int) -> None:
    """``amount`` reached the store, which then held ``stored``: of that,
    whatever this process may have written is not the others' (under the
    lock)."""
    if held[0] != window:
        return
    held[3] -= amount
    held[4] += amount
    held[2] = max(held[2], stored - held[4] - held[3])


def _hold_again(memo, window: int, amount: int) -> None:
    """A write failed: its counts go back to waiting."""
    with _held_lock:
        held = _held.get(memo)
        if held is not None and held[0] == window:
            held[3] -= amount
            held[1] += amount


def write_held() -> int:
    """Write every count this process holds, in one transaction; drop keys
    whose window is over. Returns the keys written. A failed write keeps the
    counts for the next try and never fails the caller's request."""
    now = time.time()
    with _held_lock:
        _written[0] = time.monotonic()
        batch = [(memo, h[0], h[1]) for memo, h in _held.items() if h[1]]
        for memo, h in list(_held.items()):
            h[3] += h[1]
            h[1] = 0
            if h[0] + memo[3] <= now:
                del _held[memo]
        entries = {memo: _held.get(memo) for memo, _, _ in batch}
        if len(_held) > HELD_MAX:
            # A flood of networks: forget them (a network's next count is
            # written at its slack and reads the store again), so the table
            # stays bounded.
            _held.clear()
    if not batch:
        return 0
    counted: list[tuple] = []
    in_db = any(memo[0] == "database" for memo, _, _ in batch)
    try:
        with transaction.atomic() if in_db else contextlib.nullcontext():
            for memo, window, amount in batch:
                where, full, _, period = memo
                count = _count(where, full, window, period, amount, prune=False)
                counted.append((memo, window, count))
            if in_db and any(
                count == n
                for (_, _, count), (_, _, n) in zip(counted, batch, strict=True)
            ):
                # A new window among them: drop windows that are over, once.
                RateCounter.objects.filter(expires_at__lt=datetime.now(tz=UTC)).delete()
    except DatabaseError:
        log.warning(
            "limits: held counts not written, kept for the next try", exc_info=True
        )
        for memo, window, amount in batch:
            _hold_again(memo, window, amount)
        return 0
    with _held_lock:
        for (memo, window, count), (_, _, amount) in zip(counted, batch, strict=True):
            held = entries[memo]
            if held is not None:
                _written_back(held, window, amount, count)
    return len(counted)


def allowed_of(outcome: Hit, amount: int) -> int:
    """How many of the ``amount`` events counted by ``outcome`` were within
    the limit (the first ones are)."""
    before = outcome.count - amount
    return max(0, min(amount, outcome.limit - before))


def peek(scope: str, key: str, period: int) -> int:
    """How many events ``key`` has in the current window, without counting one."""
    period = max(1, int(period))
    window = int(time.time() // period * period)
    return _stored(store(), _short(f"{scope}:{key}"), window)


def wait(scope: str, key: str, limit: int, period: int) -> int:
    """Seconds until one more event of a rolling limit fits; 0 when it fits now."""
    period = max(1, int(period))
    now = time.time()
    window = int(now // period * period)
    full = _short(f"{scope}:{key}")
    where = store()
    until = _refused.get((where, full, limit, period))
    if until is not None and now < until:
        return max(1, math.ceil(until - now))
    count = _stored(where, full, window)
    previous = _stored(where, full, window - period)
    if count + _weight(previous, window, period, now) + 1 <= limit + 1e-9:
        return 0
    return max(1, math.ceil(_wait(now, window, period, previous, count, limit)))


def in_words(seconds: float) -> str:
    """A wait as a reader is told it, rounded up: "45 seconds", "10
    minutes", "2 hours" ("wait 597 seconds" made a reader count)."""
    whole = max(1, math.ceil(seconds))
    if whole < 90:
        return f"{whole} second{'s' if whole != 1 else ''}"
    minutes = math.ceil(whole / 60)
    if minutes < 90:
        return f"{minutes} minutes"
    hours = math.ceil(whole / 3600)
    return f"{hours} hours"


def spend_once(token: str, ttl: int, durable: bool = False) -> bool:
    """Mark ``token`` used for ``ttl`` seconds; True only for the first spend.

    ``durable``: with a shared cache, spent in the database too (one more
    write), so a token spent just before the cache went away is not spent
    again in the database while it is away (a form's stamp, a report)."""
    full = _short(f"spent:{token}")
    where = store()
    if where != "database" and not _away(where):
        try:
            first = bool(caches[where].add(f"nr-{full}", 1, timeout=max(1, int(ttl))))
            if not durable or not first:
                return first
        except CacheUnavailable:
            pass  # Redis is away: spent in the database meanwhile
    return _spend_in_db(full, ttl)


def unspend(token: str) -> None:
    """Make ``token`` spendable again: what it was spent on did not happen
    (a mail the relay refused). Cleared in the cache and in the database,
    since a durable spend is in both."""
    full = _short(f"spent:{token}")
    where = store()
    if where != "database" and not _away(where):
        with contextlib.suppress(CacheUnavailable):
            caches[where].delete(f"nr-{full}")
    SpentToken.objects.filter(token=full).delete()


def _spend_in_db(full: str, ttl: int) -> bool:
    # Insert, or take over a row whose time is over; a live row answers no
    # row. One atomic statement, so of two concurrent spends one wins.
    now = datetime.now(tz=UTC)
    adapt = connection.ops.adapt_datetimefield_value
    q = connection.ops.quote_name
    table = _table(SpentToken)
    sql = (
        f"INSERT INTO {table} ({q('token')}, {q('expires_at')}) VALUES (%s, %s) "
        f"ON CONFLICT ({q('token')}) DO UPDATE SET "
        f"{q('expires_at')} = excluded.{q('expires_at')} "
        f"WHERE {table}.{q('expires_at')} < %s RETURNING 1"
    )
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(sql, [full, adapt(now + timedelta(seconds=ttl)), adapt(now)])
        return cursor.fetchone() is not None


def prune(now: datetime | None = None) -> int:
    """Drop windows and spends whose time is over; returns rows deleted."""
    now = now or datetime.now(tz=UTC)
    gone, _ = RateCounter.objects.filter(expires_at__lt=now).delete()
    spent, _ = SpentToken.objects.filter(expires_at__lt=now).delete()
    return gone + spent
