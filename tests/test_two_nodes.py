"""Two app servers behind nginx, one PostgreSQL, one Redis: the real thing.

Each node is a granian server and a run_indexer with its own var/ (and so
its own search index), both on loopback ports, against this test's
PostgreSQL database and the Redis at 127.0.0.1:6379. Debian's nginx serves
the shipped site file (deploy/nginx/newsroom.conf) in front of them, and the
nodes trust it as their proxy (NEWSROOM_TRUSTED_PROXIES=127.0.0.1).

It runs in the PostgreSQL pass of ``make test`` (skipped on SQLite, which
one machine serves); the terminal summary says which pass ran it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management.color import no_style
from django.db import connection

from newsroom.articles.models import Article
from newsroom.articles.tests import factories as f
from newsroom.search.models import IndexChange, SearchNode

from .nginx import nginx_binary, prefix_with, render_site

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.two_nodes]

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REDIS_URL = os.environ.get("NEWSROOM_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 10, client: str = "") -> tuple[int, str]:
    """``client``: an X-Forwarded-For address (both nodes and nginx trust
    127.0.0.1, so it stands for the reader)."""
    request = urllib.request.Request(url)
    if client:
        request.add_header("X-Forwarded-For", client)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")
    except OSError as exc:
        return 0, str(exc)


def wait_until(check, timeout: float, interval: float = 0.05):
    start = time.monotonic()
    while True:
        value = check()
        took = time.monotonic() - start
        if value or took > timeout:
            return value, took
        time.sleep(interval)


def database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] or ""
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "127.0.0.1"
    return f"postgres://{auth}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"


class Node:
    """One app server: granian plus its own indexer, its own var/."""

    def __init__(self, name: str, tmp: Path, env: dict) -> None:
        self.name = name
        self.port = free_port()
        self.var = tmp / name
        self.var.mkdir()
        self.env = {
            **env,
            "NEWSROOM_NODE_NAME": name,
            "NEWSROOM_VAR_DIR": str(self.var),
        }
        self.web: subprocess.Popen | None = None
        self.indexer: subprocess.Popen | None = None
        self.url = f"http://127.0.0.1:{self.port}"

    def _spawn(self, args: list[str], log: str) -> subprocess.Popen:
        return subprocess.Popen(
            args,
            cwd=ROOT,
            env=self.env,
            stdout=(self.var / log).open("ab"),
            stderr=subprocess.STDOUT,
        )

    def start_web(self) -> None:
        self.web = self._spawn(
            [
                str(BIN / "granian"),
                "--interface",
                "wsgi",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                "1",
                "--blocking-threads",
                "2",
                "newsroom.wsgi:application",
            ],
            "web.log",
        )

    def start_indexer(self, *extra: str) -> None:
        self.indexer = self._spawn(
            [sys.executable, "manage.py", "run_indexer", "--poll", "0.05", *extra],
            "indexer.log",
        )

    def manage(
        self, *args: str, timeout: float = 120, **env: str
    ) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def found(self, word: str, base: str | None = None) -> bool | None:
        # A reader of a network of its own each time: the rate limits of
        # part 3 below never see these.
        reader = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"
        url = f"{base or self.url}/api/v1/search?q={word}"
        status, body = get(url, timeout=5, client=reader)
        if status != 200:
            return None
        return json.loads(body)["total"] > 0

    def ready(self) -> bool:
        return get(self.url + "/readyz", timeout=5)[0] == 200

    @staticmethod
    def stop(proc: subprocess.Popen | None, sig: int = signal.SIGTERM) -> None:
        if proc is not None and proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def stop_all(self) -> None:
        self.stop(self.indexer)
        self.stop(self.web)

    def logs(self) -> str:
        return "\n".join(
            f"--- {self.name}/{p.name}\n{p.read_text(errors='replace')[-3000:]}"
            for p in sorted(self.var.glob("*.log"))
        )


@pytest.fixture
def cluster(tmp_path):
    """Two nodes and nginx in front; yields (nginx URL, node a, node b)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (one database for two nodes): PostgreSQL pass")
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"no Redis at {REDIS_URL} in CI: .ci/run starts one")
        pytest.skip(f"no Redis answers at {REDIS_URL} ({exc})")
    nginx = nginx_binary()
    prefix = f"two-nodes-{uuid.uuid4().hex[:8]}"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "TEST_DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="newsroom.settings.prod",
        SECRET_KEY="two-nodes-" + "x" * 40,
        DATABASE_URL=database_url(),
        REDIS_URL=REDIS_URL,
        NEWSROOM_CACHE_PREFIX=prefix,
        NEWSROOM_HTTPS="false",
        NEWSROOM_TRUSTED_PROXIES="127.0.0.1",
        NEWSROOM_API_RATE_READ="5/60",
        LOG_LEVEL="WARNING",
    )
    # Earlier tests burnt thousands of outbox ids: gone, not in flight. A gap
    # that wide is held like a hole for HOLE_GRACE, so start the ids again.
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [IndexChange]):
            cursor.execute(sql)
    a, b = Node("node-a", tmp_path, env), Node("node-b", tmp_path, env)
    proxy_port = free_port()
    nginx_dir = tmp_path / "nginx"
    site = render_site(
        nginx_dir,
        [f"127.0.0.1:{a.port}", f"127.0.0.1:{b.port}"],
        f"127.0.0.1:{proxy_port}",
        a.var,
    )
    main = prefix_with(site, nginx_dir)
    collected = a.manage("collectstatic", "--noinput", "--verbosity", "0")
    assert collected.returncode == 0, collected.stderr
    shutil.copytree(a.var / "static", b.var / "static")
    proxy = subprocess.Popen(
        [nginx, "-p", str(nginx_dir), "-c", str(main)],
        stdout=subprocess.DEVNULL,
        stderr=(nginx_dir / "stderr.log").open("wb"),
    )
    for node in (a, b):
        node.start_indexer()
        node.start_web()
    try:
        for node in (a, b):
            ok, _ = wait_until(node.ready, timeout=120, interval=0.3)
            assert ok, f"{node.name} never became ready\n{node.logs()}"
        yield f"http://127.0.0.1:{proxy_port}", a, b
    finally:
        for node in (a, b):
            node.stop_all()
        Node.stop(proxy, signal.SIGQUIT)
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)


@pytest.mark.django_db(transaction=True)
def test_two_nodes_behind_nginx(cluster, record_property):
    """Publish, unpublish, a shared rate limit, a crashed and pruned indexer
    that rebuilds, and a stopped node, on two real nodes behind nginx."""
    proxy, a, b = cluster
    record_property("two_nodes_database", connection.vendor)

    # Each server's first search opens its index and imports the search
    # code: not what a reader waits for once it runs.
    for node in (a, b):
        assert node.found("warmup") is False
    # 1. Published on one node: found through nginx and on both within 2 s.
    art = f.article("Ferry timetable", body="A zanzibarquill crossing.")
    for node in (a, b):
        ok, took = wait_until(lambda n=node: n.found("zanzibarquill"), 5)
        assert ok and took < 2.0, (node.name, took, node.logs())
    assert all(a.found("zanzibarquill", base=proxy) for _ in range(4))

    # 2. Unpublished: gone on both within 2 s.
    art.status = Article.Status.DRAFT
    art.save()
    for node in (a, b):
        gone, took = wait_until(lambda n=node: n.found("zanzibarquill") is False, 5)
        assert gone and took < 2.0, (node.name, took)
    assert not any(a.found("zanzibarquill", base=proxy) for _ in range(4))

    # 3. A rate limit holds across the two nodes (counted in Redis): the
    # API's 5 a minute for one network, whichever node nginx picks.
    answers = [get(f"{proxy}/api/v1/tags")[0] for _ in range(10)]
    assert answers.count(200) == 5 and answers.count(429) == 5, answers

    # 4. kill -9 node b's indexer; edits go on; node b is silent long
    # enough to be dropped and prune deletes its rows; restarted, it
    # rebuilds from the database and converges.
    Node.stop(b.indexer, signal.SIGKILL)
    f.article("Harbour lights", body="A quillwhistle buoy.")
    ok, _ = wait_until(lambda: a.found("quillwhistle"), 5)
    assert ok
    time.sleep(2.5)
    pruned = a.manage(
        "prune_search_outbox", "--days", "0", NEWSROOM_SEARCH_NODE_TIMEOUT="2"
    )
    assert pruned.returncode == 0, pruned.stderr
    assert "'node-b'" in pruned.stderr  # named, not silent
    assert not IndexChange.objects.exists() or (
        IndexChange.objects.order_by("id").first().id
        > SearchNode.objects.get(name="node-b").applied
    )
    assert b.found("quillwhistle") is False  # b serves its old index meanwhile
    b.start_indexer()
    ok, took = wait_until(lambda: b.found("quillwhistle"), 60, interval=0.2)
    assert ok, b.logs()
    assert "below what the outbox still holds" in (b.var / "indexer.log").read_text()
    status = a.manage("search_status")
    assert "node-a" in status.stdout and "node-b" in status.stdout

    # 5. Node a stops: nginx keeps serving from b; a's /readyz is gone.
    a.stop_all()
    answers = [get(f"{proxy}/search/?q=harbour", timeout=10)[0] for _ in range(6)]
    assert answers == [200] * 6, answers
    assert not a.ready() and b.ready()
    # Static files come from nginx itself (var/static), whatever the nodes do.
    assert get(f"{proxy}/static/newsroom/site.css")[0] == 200
    print(
        f"\ntwo-node test ran on {connection.vendor} "
        f"({connection.settings_dict['NAME']}) with Redis and nginx"
    )
