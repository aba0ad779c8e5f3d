"""Rate limits and single-use spends hold across threads, processes and stores."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.db import connections
from django.utils import timezone

from newsroom.core import limits
from newsroom.core.models import RateCounter, SpentToken


def _at_a_barrier(n: int, work) -> list:
    """Run ``work()`` in ``n`` threads released together; their results."""
    start = threading.Barrier(n)
    results: list = []
    lock = threading.Lock()

    def run() -> None:
        try:
            start.wait(timeout=30)
            value = work()
            with lock:
                results.append(value)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.django_db
def test_a_limit_allows_exactly_limit_hits_then_says_how_long_to_wait():
    outcomes = [limits.hit("t", "192.0.2.0/24", 3, 60) for _ in range(5)]
    assert [o.allowed for o in outcomes] == [True, True, True, False, False]
    assert [o.count for o in outcomes] == [1, 2, 3, 4, 4]
    assert 1 <= outcomes[-1].retry_after <= 60
    # The first refusal is stored; the next is answered from the process's memo.
    assert limits.peek("t", "192.0.2.0/24", 60) == 4
    # Other keys and other scopes have budgets of their own.
    assert limits.hit("t", "198.51.100.0/24", 3, 60).allowed
    assert limits.hit("u", "192.0.2.0/24", 3, 60).allowed


@pytest.mark.django_db(transaction=True)
def test_concurrent_hits_are_all_counted_in_the_database():
    """12 threads at a barrier: exactly ``limit`` are allowed, none is lost."""
    results = _at_a_barrier(12, lambda: limits.hit("race", "net", 5, 60).allowed)
    assert sorted(results) == [False] * 7 + [True] * 5
    # Every allowed hit is stored, and at least one refusal; later refusals
    # may be answered from the memo without a write.
    assert 6 <= RateCounter.objects.get().count <= 12


@pytest.mark.django_db
def test_a_refused_network_is_refused_again_without_a_write_until_its_window_ends(
    monkeypatch, django_assert_num_queries
):
    """After its first 429 a network costs no store write for the rest of the
    window (a flood of refusals was a database write each on SQLite); the next
    window counts again, and other keys, scopes and limits are not affected."""
    now = [1_000_000.0]
    monkeypatch.setattr(limits.time, "time", lambda: now[0])
    assert [limits.hit("flood", "net", 2, 60).allowed for _ in range(3)] == [
        True,
        True,
        False,
    ]
    with django_assert_num_queries(0):
        refused = [limits.hit("flood", "net", 2, 60) for _ in range(50)]
    assert not any(h.allowed for h in refused)
    assert 1 <= refused[-1].retry_after <= 60
    assert limits.peek("flood", "net", 60) == 3
    assert limits.hit("flood", "other-net", 2, 60).allowed
    assert limits.hit("flood", "net", 100, 60).allowed  # another limit
    now[0] += 60  # the next window
    assert limits.hit("flood", "net", 2, 60).allowed
    limits.forget()
    now[0] += 60
    assert [limits.hit("flood", "net", 2, 60).allowed for _ in range(3)] == [
        True,
        True,
        False,
    ]
    assert limits.hit("flood", "net", 2, 60).allowed is False


@pytest.mark.django_db
@pytest.mark.parametrize("shared_cache", [False, True])
def test_a_batch_is_counted_at_once_and_says_how_many_of_it_fit(settings, shared_cache):
    """``hit(amount=n)`` adds n in one update, in the database or a shared
    cache; ``allowed_of`` says how many of the batch were within the limit;
    once over, a further batch fits nowhere."""
    if shared_cache:
        settings.CACHES = {
            **settings.CACHES,
            "shared": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": "limits-batch-test",
            },
        }
        settings.NEWSROOM_LIMITS_STORE = "shared"
        caches["shared"].clear()
    first = limits.hit("batch", "k", 5, 60, amount=2)
    assert first.allowed and first.count == 2 and limits.allowed_of(first, 2) == 2
    second = limits.hit("batch", "k", 5, 60, amount=4)
    assert not second.allowed and limits.allowed_of(second, 4) == 3
    third = limits.hit("batch", "k", 5, 60, amount=3)
    assert limits.allowed_of(third, 3) == 0
    assert limits.peek("batch", "k", 60) == 6  # the third came from the memo


@pytest.mark.django_db
@pytest.mark.parametrize("shared_cache", [False, True])
def test_a_place_given_back_is_free_again_in_its_own_window(
    settings, shared_cache, monkeypatch
):
    """``give_back`` lowers the count the hit added, in the window it was
    added to (a later window keeps its own count); a
    refused hit gives nothing back."""
    if shared_cache:
        settings.CACHES = {
            **settings.CACHES,
            "shared": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": "limits-give-back-test",
            },
        }
        settings.NEWSROOM_LIMITS_STORE = "shared"
        caches["shared"].clear()
    now = [2_000_000.0]
    monkeypatch.setattr(limits.time, "time", lambda: now[0])
    first = limits.hit("place", "k", 2, 60)
    second = limits.hit("place", "k", 2, 60)
    limits.give_back("place", "k", second)
    assert limits.peek("place", "k", 60) == 1
    assert limits.hit("place", "k", 2, 60).allowed
    refused = limits.hit("place", "k", 2, 60)
    assert not refused.allowed
    limits.give_back("place", "k", refused)
    assert limits.peek("place", "k", 60) == 3
    now[0] += 60
    assert limits.hit("place", "k", 2, 60).allowed
    limits.give_back("place", "k", first)  # an earlier window's place
    assert limits.peek("place", "k", 60) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("shared_cache", [False, True])
def test_a_rolling_limit_is_not_whole_again_when_the_window_turns(
    settings, shared_cache, monkeypatch
):
    """``hit(rolling=True)``: a budget spent at a window's last second is not
    spent again at the next one's first (a fixed window allowed 2 x limit in
    two seconds); the previous window weighs by the share of it still within
    the last period, so the budget comes back as that share passes, and
    ``wait`` and ``retry_after`` say when the next event fits."""
    if shared_cache:
        settings.CACHES = {
            **settings.CACHES,
            "shared": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": "limits-rolling-test",
            },
        }
        settings.NEWSROOM_LIMITS_STORE = "shared"
        caches["shared"].clear()
    now = [3_000_000 * 600 + 599.0]  # the last second of a 600 s window
    monkeypatch.setattr(limits.time, "time", lambda: now[0])

    def hits(n: int) -> list[bool]:
        return [
            limits.hit("roll", "k", 10, 600, rolling=True).allowed for _ in range(n)
        ]

    assert hits(10) == [True] * 10
    assert limits.wait("roll", "k", 10, 600) == 61
    now[0] += 2  # the next window's first second
    assert limits.wait("roll", "k", 10, 600) == 59
    refused = limits.hit("roll", "k", 10, 600, rolling=True)
    assert not refused.allowed and refused.retry_after == 59
    assert hits(5) == [False] * 5  # remembered: no store read or write
    # A refusal remembered says the same wait (it said the window's end).
    assert limits.hit("roll", "k", 10, 600, rolling=True).retry_after == 59
    now[0] += 59  # a tenth of the window gone: 10 x 0.9 weighs 9
    assert limits.wait("roll", "k", 10, 600) == 0
    assert hits(2) == [True, False]
    now[0] = 3_000_003 * 600 + 1  # a window with none before it: all again
    assert hits(11) == [True] * 10 + [False]


def test_the_memo_of_refusals_is_bounded(monkeypatch):
    """A flood from many networks can't grow the memo without bound."""
    monkeypatch.setattr(limits, "REFUSED_MAX", 100)
    for n in range(250):
        limits._remember_refusal(("database", f"k{n}", 1, 60), 10**12)
    assert len(limits._refused) <= 100


@pytest.mark.django_db(transaction=True)
def test_a_token_is_spent_once_even_when_raced():
    """12 threads spend one token at once: exactly one succeeds."""
    results = _at_a_barrier(12, lambda: limits.spend_once("stamp:abc", 60))
    assert sorted(results) == [False] * 11 + [True]
    assert limits.spend_once("stamp:abc", 60) is False
    assert limits.spend_once("stamp:other", 60) is True


@pytest.mark.django_db
def test_a_spent_token_whose_time_is_over_can_be_spent_again_and_is_pruned():
    assert limits.spend_once("link:1", 60)
    SpentToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert limits.spend_once("link:1", 60) is True
    assert limits.spend_once("link:1", 60) is False
    SpentToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert limits.prune() == 1
    assert not SpentToken.objects.exists()


@pytest.mark.django_db
def test_an_unspent_token_can_be_spent_again():
    """``unspend`` undoes a spend whose purpose did not happen (a mail the
    relay refused): the next spend is the first again; others stay spent."""
    assert limits.spend_once("mail:ada", 60, durable=True)
    assert limits.spend_once("mail:bo", 60, durable=True)
    limits.unspend("mail:ada")
    assert limits.spend_once("mail:ada", 60, durable=True) is True
    assert limits.spend_once("mail:ada", 60, durable=True) is False
    assert limits.spend_once("mail:bo", 60, durable=True) is False


@pytest.mark.django_db
def test_hostile_keys_are_bounded_and_stored_hashed():
    """A key carrying a query string of any size and any characters is fine."""
    key = "q=" + "\U0001f600 \x00" * 5000
    assert limits.hit("search", key, 1, 60).allowed
    assert not limits.hit("search", key, 1, 60).allowed
    stored = RateCounter.objects.get().key
    assert len(stored) == 64 and stored.isalnum()


@pytest.mark.django_db
def test_a_named_shared_cache_takes_the_counts_instead_of_the_database(settings):
    settings.CACHES = {
        **settings.CACHES,
        "shared": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "limits-test",
        },
    }
    settings.NEWSROOM_LIMITS_STORE = "shared"
    caches["shared"].clear()
    assert [limits.hit("c", "k", 2, 60).allowed for _ in range(3)] == [
        True,
        True,
        False,
    ]
    assert limits.spend_once("tok", 60) and not limits.spend_once("tok", 60)
    assert not RateCounter.objects.exists() and not SpentToken.objects.exists()


def test_the_store_is_the_database_unless_the_default_cache_is_shared(settings):
    settings.NEWSROOM_LIMITS_STORE = ""
    assert limits.store() == "database"  # locmem is per process
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/15",
        }
    }
    assert limits.store() == "default"
    settings.CACHES["default"]["BACKEND"] = "newsroom.core.cache.ResilientRedisCache"
    assert limits.store() == "default"


@pytest.mark.django_db
def test_held_counts_keep_one_process_exact_and_are_written_together(
    monkeypatch, django_assert_num_queries
):
    """With ``slack`` a process writes a key's counts when they reach the
    slack or pass the limit, and every other key's at the next flush, in one
    transaction; within the process the limit is as exact as without."""
    monkeypatch.setattr(limits, "FLUSH_SECONDS", 3600.0)
    limits.write_held()
    with django_assert_num_queries(0):
        first = [limits.hit("s", "net", 5, 60, slack=3) for _ in range(2)]
    assert [h.count for h in first] == [1, 2] and all(h.allowed for h in first)
    third = limits.hit("s", "net", 5, 60, slack=3)  # reaches the slack: written
    assert third.count == 3 and limits.peek("s", "net", 60) == 3
    rest = [limits.hit("s", "net", 5, 60, slack=3) for _ in range(3)]
    assert [h.allowed for h in rest] == [True, True, False]  # exactly 5 allowed
    assert limits.peek("s", "net", 60) == 6  # the refusal wrote what was held
    with django_assert_num_queries(0):
        for n in range(10):
            assert limits.hit("s", f"other-{n}", 5, 60, slack=3).allowed
    assert limits.peek("s", "other-0", 60) == 0
    with django_assert_num_queries(10 + 3):  # ten upserts, one prune, a savepoint pair
        assert limits.write_held() == 10
    assert [limits.peek("s", f"other-{n}", 60) for n in range(10)] == [1] * 10
    assert limits.write_held() == 0  # nothing held twice


@pytest.mark.django_db
def test_held_counts_bound_what_several_processes_admit(monkeypatch):
    """Three processes (each its own memory of held counts) sharing one store
    admit at most limit + (P - 1) * (slack - 1) in a window, and once each has
    written, every one refuses."""
    monkeypatch.setattr(limits, "FLUSH_SECONDS", 3600.0)
    memories = [{}, {}, {}]
    allowed = 0
    for _ in range(30):
        for memory in memories:
            monkeypatch.setattr(limits, "_held", memory)
            monkeypatch.setattr(limits, "_refused", {})
            allowed += limits.hit("p", "net", 10, 60, slack=4).allowed
    assert 10 <= allowed <= 10 + 2 * 3
    for memory in memories:
        monkeypatch.setattr(limits, "_held", memory)
        limits.write_held()
    assert limits.peek("p", "net", 60) == 90  # every event counted once


@pytest.mark.django_db
def test_a_failed_write_of_held_counts_keeps_them_and_fails_no_request(
    monkeypatch, caplog
):
    """The flush runs inside some reader's request: when the store refuses the
    write, the request goes on, the counts stay held and the next flush
    writes them."""
    from django.db import connection

    monkeypatch.setattr(limits, "FLUSH_SECONDS", 3600.0)
    limits.write_held()
    assert limits.hit("f", "net", 5, 60, slack=3).allowed
    table = RateCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME TO {table}_away")
    try:
        with caplog.at_level("WARNING", logger="newsroom.core.limits"):
            assert limits.write_held() == 0
        assert "kept for the next try" in caplog.text
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table}_away RENAME TO {table}")
    assert limits.write_held() == 1 and limits.peek("f", "net", 60) == 1


@pytest.mark.django_db(transaction=True)
def test_held_counts_stay_exact_for_threads_at_a_barrier(monkeypatch):
    """16 threads of one process at a barrier, limit 5, slack 3: exactly 5
    are allowed. Counts on their way to the store still count for the
    threads that ask meanwhile (they were forgotten while being written, so
    a burst got past the limit by a slack's worth)."""
    monkeypatch.setattr(limits, "FLUSH_SECONDS", 3600.0)
    limits.write_held()
    real = limits._count

    def slow_count(*args, **kwargs):  # the store's round trip, made longer
        import time

        time.sleep(0.05)
        return real(*args, **kwargs)

    monkeypatch.setattr(limits, "_count", slow_count)
    results = _at_a_barrier(
        16, lambda: limits.hit("burst", "net", 5, 60, slack=3).allowed
    )
    assert sorted(results) == [False] * 11 + [True] * 5


@pytest.mark.django_db
def test_a_flood_of_networks_keeps_the_held_counts_bounded(monkeypatch):
    """Counts held for more networks than HELD_MAX are written and the table
    emptied, so a flood from many addresses (IPv6 /64s) can't grow it; no
    count is lost on the way."""
    monkeypatch.setattr(limits, "FLUSH_SECONDS", 3600.0)
    monkeypatch.setattr(limits, "HELD_MAX", 100)
    limits.write_held()
    for n in range(250):
        assert limits.hit("flood-nets", f"net-{n}", 60, 60, slack=6).allowed
    assert len(limits._held) <= 101
    limits.write_held()
    assert all(limits.peek("flood-nets", f"net-{n}", 60) == 1 for n in range(250))


@pytest.mark.django_db(transaction=True)
def test_the_content_version_moves_once_more_when_a_save_commits_not_per_signal():
    """A save bumps the content version inside its transaction and once more
    when it commits (a reader between the two, with Redis, kept the old page
    under the new version); several bumps in one transaction (a story's save
    sends several signals) still move it once at commit, and a transaction
    rolled back adds nothing at commit."""
    from django.db import transaction

    from newsroom.core import versions

    start = versions.current(fresh=True)
    with transaction.atomic():
        for _ in range(5):
            versions.bump()
        inside = versions.current(fresh=True)
    assert inside == start + 5
    assert versions.current(fresh=True) == start + 6
    try:
        with transaction.atomic():
            versions.bump()
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    assert versions.current(fresh=True) in (start + 6, start + 7)


def test_a_wait_is_said_in_words_a_reader_reads_rounded_up():
    """A refusal says how long to wait as a reader reads it, never shorter
    than the wait: seconds under a minute and a half, then minutes, then
    hours ("wait 597 seconds" had a reader count)."""
    from newsroom.core.limits import in_words

    seconds = (0, 1, 1.2, 59, 89, 90, 597, 600, 601, 5340, 5341, 7200, 7201)
    said = {s: in_words(s) for s in seconds}
    assert said == {
        0: "1 second",
        1: "1 second",
        1.2: "2 seconds",
        59: "59 seconds",
        89: "89 seconds",
        90: "2 minutes",
        597: "10 minutes",
        600: "10 minutes",
        601: "11 minutes",
        5340: "89 minutes",
        5341: "2 hours",
        7200: "2 hours",
        7201: "3 hours",
    }
    assert in_words(86400) == "24 hours"
