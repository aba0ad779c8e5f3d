"""Redis going away (a restart, a full disk, a network cut) while the site
serves, with REDIS_URL set.

Every page read the shared cache (the section menu, the front cache's
version, share counts), and every read raised: the home page, articles,
feeds and sitemaps were all 500 until Redis came back, and a Redis that
stopped answering (a host gone, not a port closed) cost each of those reads
a one-second timeout. Now the cache is a miss while Redis is away and a
write is dropped; the rate limits and single-use spends it held are kept in
the database (which every node shares) meanwhile; after one failure the
process leaves Redis alone for ``DOWN_SECONDS`` before it tries again, so an
unanswering Redis costs one timeout, not one per read.

Against redis-server processes of the test's own (Debian's binary), on
ports of their own; skipped with the reason where there is none."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
import uuid

import pytest
from django.core.cache import cache

from newsroom.articles.tests import factories as f
from newsroom.core import cache as resilient
from newsroom.core import limits
from newsroom.settings.base import caches_from_url

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnRedis:
    """A redis-server of this test's own, stopped and started at will."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    pytest.fail("the test's redis-server did not start")
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def own_redis():
    if not shutil.which(REDIS_SERVER):
        pytest.skip(f"no redis-server binary at {REDIS_SERVER}")
    server = OwnRedis()
    server.start()
    yield server
    server.stop()


def use_redis(settings, port: int) -> None:
    settings.CACHES = caches_from_url(
        f"redis://127.0.0.1:{port}/0", f"outage-{uuid.uuid4().hex[:8]}"
    )
    settings.NEWSROOM_LIMITS_STORE = ""
    limits.forget()


@pytest.mark.django_db
def test_pages_feeds_and_sitemaps_answer_while_redis_is_away(settings, client):
    story = f.article("Harbour reopens after storm")
    use_redis(settings, free_port())  # nothing listens there
    for path in ("/", story.get_absolute_url(), "/feeds/rss/", "/sitemap.xml",
                 "/robots.txt", "/healthz"):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    assert "Harbour reopens" in client.get("/").content.decode()


@pytest.mark.django_db
def test_limits_and_spends_hold_in_the_database_while_redis_is_away(settings):
    use_redis(settings, free_port())
    assert limits.store() == "default"
    scope = f"outage-{uuid.uuid4().hex}"
    outcomes = [limits.hit(scope, "net", 3, 60).allowed for _ in range(5)]
    assert outcomes == [True, True, True, False, False]
    assert limits.peek(scope, "net", 60) >= 3
    token = uuid.uuid4().hex
    assert limits.spend_once(token, 60) is True
    assert limits.spend_once(token, 60) is False


class Silent:
    """A port that takes connections and never answers (a host gone behind a
    firewall that still completes the handshake): counts the connections."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        for conn in self.accepted:
            conn.close()
        self.sock.close()


def test_an_unanswering_redis_is_asked_once_not_for_every_read(settings):
    silent = Silent()
    try:
        use_redis(settings, silent.port)
        for n in range(20):
            assert cache.get(f"menu:{n}") is None
            cache.set(f"menu:{n}", "x", 60)
        assert len(silent.accepted) <= 2, len(silent.accepted)
    finally:
        silent.close()


def test_redis_is_used_again_once_it_answers(settings, own_redis, monkeypatch):
    monkeypatch.setattr(resilient, "DOWN_SECONDS", 0.2)
    use_redis(settings, own_redis.port)
    cache.set("kept", "before", 60)
    assert cache.get("kept") == "before"
    own_redis.stop()
    assert cache.get("kept") is None  # away: a miss, not an error
    cache.set("kept", "dropped", 60)
    own_redis.start()  # empty: it keeps nothing on disk
    deadline = time.monotonic() + 30
    while True:
        try:
            if cache.add("back", 1, 60):
                break
        except resilient.CacheUnavailable:
            pass  # still left alone: DOWN_SECONDS not over yet
        assert time.monotonic() < deadline, "Redis was not used again"
        time.sleep(0.1)
    assert cache.get("back") == 1 and cache.get("kept", "gone") == "gone"
    assert limits.store() == "default"


@pytest.mark.django_db
def test_a_durable_spend_made_before_redis_went_away_stays_spent(settings, own_redis):
    """A form's stamp, a report and a confirmation mail are spent durably:
    in the database as well as in Redis, so one spent just before an outage
    is not spent again in the database during it (it was: the database had
    never seen it). Reads' spends stay in Redis alone: a visitor's read may
    count once more across an outage (docs/operations.md)."""
    use_redis(settings, own_redis.port)
    durable, plain = uuid.uuid4().hex, uuid.uuid4().hex
    assert limits.spend_once(durable, 600, durable=True) is True
    assert limits.spend_once(durable, 600, durable=True) is False
    assert limits.spend_once(plain, 600) is True
    own_redis.stop()
    assert limits.spend_once(durable, 600, durable=True) is False
    assert limits.spend_once(plain, 600) is True  # the cost stated above
