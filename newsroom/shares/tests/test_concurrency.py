"""Concurrent shares: each distinct visitor counts once, one network up to its cap."""

import threading

import pytest
from django.db import connections
from django.test import Client

from newsroom.articles.tests import factories as f
from newsroom.shares.counters import share_counts
from newsroom.shares.models import ShareVisit

from .conftest import UA

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _connection_budget() -> int:
    """How many threads may hold a database connection at once.

    SQLite has no limit. A PostgreSQL server has ``max_connections`` (100 by
    default, a few reserved): with other clients about, 100 threads plus the
    test's own connections would be refused, which tests the server, not us.
    """
    connection = connections["default"]
    if connection.vendor != "postgresql":
        return 1000
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_connections")
        limit = int(cursor.fetchone()[0])
        cursor.execute("SELECT count(*) FROM pg_stat_activity")
        used = int(cursor.fetchone()[0])
    return max(10, limit - used - 10)


def _hammer(url: str, visitors: list[tuple[str, str]]) -> list[int]:
    """One thread per visitor, all released at once, each with its own client."""
    start = threading.Barrier(len(visitors))
    slots = threading.BoundedSemaphore(min(len(visitors), _connection_budget()))
    statuses: list[int] = []
    lock = threading.Lock()

    def share(addr: str, agent: str) -> None:
        try:
            client = Client(REMOTE_ADDR=addr, HTTP_USER_AGENT=agent)
            start.wait(timeout=30)
            with slots:
                status = client.post(url).status_code
                connections.close_all()
            with lock:
                statuses.append(status)
        finally:
            connections.close_all()  # this thread's own connection

    threads = [threading.Thread(target=share, args=v) for v in visitors]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return statuses


def test_100_concurrent_shares_from_distinct_visitors_add_exactly_100():
    """100 threads, 100 visitors (distinct /24s and browsers): the count is 100."""
    a = f.article("A widely shared story")
    visitors = [(f"10.{i // 250}.{i % 250}.9", f"{UA} v{i}") for i in range(100)]
    statuses = _hammer(f"/share/facebook/{a.pk}/", visitors)
    assert statuses == [303] * 100
    assert share_counts(a.pk)["facebook"] == 100
    assert ShareVisit.objects.filter(article=a).count() == 100


def test_100_concurrent_shares_from_one_visitor_add_exactly_1():
    """The same visitor racing itself 100 times is still counted once."""
    a = f.article("A story shared by an eager reader")
    statuses = _hammer(f"/share/x/{a.pk}/", [("192.0.2.10", UA)] * 100)
    assert statuses == [303] * 100
    assert share_counts(a.pk)["x"] == 1


def test_100_concurrent_shares_from_one_network_stop_at_the_cap(settings):
    """100 'visitors' (user agents) of one /24 racing each other: exactly the
    network's daily cap is counted, and only those visits are kept."""
    settings.NEWSROOM_SHARES_PER_NETWORK_DAY = 10
    a = f.article("A story one network tries to push")
    visitors = [(f"192.0.2.{i}", f"{UA} v{i}") for i in range(100)]
    statuses = _hammer(f"/share/telegram/{a.pk}/", visitors)
    assert statuses == [303] * 100
    assert share_counts(a.pk)["telegram"] == 10
    assert ShareVisit.objects.filter(article=a).count() == 10
