"""Several app servers: replication lag, one node against two, a rebuild.

    .venv/bin/python bench/nodes.py [--database-url postgres://postgres@127.0.0.1:5432/test]
        [--seed-count 2000] [--rate 50] [--seconds 20] [--readers 4]
        [--rebuild-count 100000]

A fresh PostgreSQL database (created beside the one in --database-url and
dropped at the end), two nodes as in tests/test_two_nodes.py (granian with
one worker plus run_indexer, each with its own var/ under /tmp) and Debian's
nginx in front with the shipped site file, Redis for the shared cache.

1. Lag: this process saves ``--rate`` published edits a second for
   ``--seconds`` (a new word in a headline, through the model, so the
   outbox row is in the same transaction) while ``--readers`` threads search
   through nginx. Each node's ``/readyz`` reports the outbox position its
   live searcher has applied; an edit is searchable on a node once that
   position reaches the edit's outbox row. Lag p50/p99 per node; every
   search answer that was not 200 is counted (goal: none, and p99 < 2 s).
2. Throughput: wrk on the results page against node a alone, then through
   nginx against both (2 cores: two nodes on one machine share them).
3. Rebuild: ``generate_articles --count N --no-outbox`` into the database,
   then ``rebuild_search_index`` on node b while readers search it; the
   rebuild's wall time and what the readers got meanwhile.

Everything started is stopped by PID; /tmp dirs and the database are removed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.nginx import nginx_binary, prefix_with, render_site  # noqa: E402

# tests.test_two_nodes (Node, free_port) is imported once Django is set up.


def get(url: str, timeout: float = 10) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, b""


def position(node) -> int | None:
    status, body = get(node.url + "/readyz", timeout=5)
    try:
        return json.loads(body)["checks"]["search_lag"]["position"]
    except (ValueError, KeyError):
        return None


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] if values else 0.0


def fresh_database(url: str) -> str:
    import psycopg
    from psycopg import sql

    name = f"newsroom_bench_nodes_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return url.rsplit("/", 1)[0] + "/" + name


def drop_database(url: str, target: str) -> None:
    import psycopg
    from psycopg import sql

    name = target.rsplit("/", 1)[1]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)
            )
        )


class Readers:
    """Threads searching ``base`` for a rotating word; statuses counted."""

    def __init__(self, base: str, n: int, words: list[str]) -> None:
        self.base, self.words = base, words
        self.stop = threading.Event()
        self.statuses: dict[int, int] = {}
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(i,)) for i in range(n)]

    def run(self, i: int) -> None:
        k = i
        while not self.stop.is_set():
            word = self.words[k % len(self.words)]
            k += 1
            status, _ = get(f"{self.base}/search/?q={word}", timeout=30)
            with self.lock:
                self.statuses[status] = self.statuses.get(status, 0) + 1

    def __enter__(self) -> Readers:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for t in self.threads:
            t.join()


def lag_run(nodes: list, proxy: str, rate: int, seconds: int, readers: int):
    from newsroom.articles.models import Article
    from newsroom.search.models import IndexChange

    ids = list(
        Article.objects.published().order_by("-pk").values_list("pk", flat=True)[:500]
    )
    edits: list[tuple[int, float]] = []  # (outbox id, commit time)
    seen: dict[str, dict[int, float]] = {n.name: {} for n in nodes}
    done = threading.Event()

    def watch(node) -> None:
        mine = seen[node.name]
        while not done.is_set() or len(mine) < len(edits):
            pos = position(node)
            now = time.monotonic()
            if pos is not None:
                for row, _ in list(edits):
                    if row <= pos and row not in mine:
                        mine[row] = now
            if done.is_set() and now - end > 30:
                break
            time.sleep(0.01)

    end = float("inf")
    watchers = [threading.Thread(target=watch, args=(n,)) for n in nodes]
    for w in watchers:
        w.start()
    with Readers(proxy, readers, ["harbour", "council", "river", "election"]) as r:
        start = time.monotonic()
        for n in range(rate * seconds):
            due = start + n / rate
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            article = Article.objects.get(pk=ids[n % len(ids)])
            article.headline = f"Bench edit {uuid.uuid4().hex[:10]}"
            article.save()
            committed = time.monotonic()
            row = IndexChange.objects.filter(article_id=article.pk).order_by("-id")
            edits.append((row.values_list("id", flat=True).first(), committed))
        sent = time.monotonic() - start
        end = time.monotonic()
        done.set()
        for w in watchers:
            w.join()
    out = {"edits": len(edits), "edits_per_s": round(len(edits) / sent, 1)}
    for node in nodes:
        lags = [seen[node.name][row] - t for row, t in edits if row in seen[node.name]]
        out[node.name] = {
            "applied": len(lags),
            "p50_s": round(pct(lags, 0.5), 3),
            "p99_s": round(pct(lags, 0.99), 3),
            "max_s": round(max(lags), 3) if lags else None,
        }
    out["reader_statuses"] = r.statuses
    return out


def wrk(url: str, seconds: int, connections: int = 8) -> float:
    done = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", url],
        capture_output=True,
        text=True,
    )
    for line in done.stdout.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/test"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--seed-count", type=int, default=2000)
    parser.add_argument("--rate", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--wrk-seconds", type=int, default=10)
    parser.add_argument("--rebuild-count", type=int, default=100000)
    args = parser.parse_args()

    url = fresh_database(args.database_url)
    tmp = Path(tempfile.mkdtemp(prefix="bench-nodes-"))
    prefix = f"bench-nodes-{os.getpid()}"
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG"}}
    env.update(
        DJANGO_SETTINGS_MODULE="newsroom.settings.prod",
        SECRET_KEY="bench-nodes-" + "x" * 40,
        DATABASE_URL=url,
        REDIS_URL=args.redis_url,
        NEWSROOM_CACHE_PREFIX=prefix,
        NEWSROOM_HTTPS="false",
        NEWSROOM_TRUSTED_PROXIES="127.0.0.1",
        LOG_LEVEL="WARNING",
    )
    os.environ.update(env)
    import django

    django.setup()
    from tests.test_two_nodes import Node, free_port

    nodes = [Node("node-a", tmp, env), Node("node-b", tmp, env)]
    proxy_proc = None
    report: dict = {"load_before": os.getloadavg(), "cores": os.cpu_count()}
    try:
        a, b = nodes
        for step in (
            ["migrate", "--noinput", "-v0"],
            ["collectstatic", "--noinput", "-v0"],
            ["generate_articles", "--count", str(args.seed_count), "--jobs", "1"],
        ):
            done = a.manage(*step)
            assert done.returncode == 0, done.stderr
        shutil.copytree(a.var / "static", b.var / "static")
        port = free_port()
        nginx_dir = tmp / "nginx"
        site = render_site(
            nginx_dir,
            [f"127.0.0.1:{n.port}" for n in nodes],
            f"127.0.0.1:{port}",
            a.var,
        )
        proxy_proc = subprocess.Popen(
            [
                nginx_binary(),
                "-p",
                str(nginx_dir),
                "-c",
                str(prefix_with(site, nginx_dir)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        proxy = f"http://127.0.0.1:{port}"
        for node in nodes:
            node.start_indexer()
            node.start_web()
        for node in nodes:
            deadline = time.monotonic() + 300
            while not node.ready():
                if time.monotonic() > deadline:
                    raise SystemExit(f"{node.name} not ready:\n{node.logs()}")
                time.sleep(0.5)

        report["lag"] = lag_run(nodes, proxy, args.rate, args.seconds, args.readers)
        print(json.dumps({"lag": report["lag"]}, indent=1), flush=True)

        page = "/search/?q=council"
        report["wrk_one_node_rps"] = wrk(a.url + page, args.wrk_seconds)
        report["wrk_two_nodes_nginx_rps"] = wrk(proxy + page, args.wrk_seconds)
        print(json.dumps({k: report[k] for k in report if k.startswith("wrk")}))

        if args.rebuild_count:
            started = time.monotonic()
            done = a.manage(
                "generate_articles",
                "--count",
                str(args.rebuild_count),
                "--seed",
                "2",
                "--no-outbox",
            )
            assert done.returncode == 0, done.stderr
            report["generate_s"] = round(time.monotonic() - started, 1)
            with Readers(b.url, args.readers, ["harbour", "council"]) as r:
                started = time.monotonic()
                done = b.manage("rebuild_search_index", "--wait", "600")
                report["rebuild_s"] = round(time.monotonic() - started, 1)
            assert done.returncode == 0, done.stderr
            report["rebuild_output"] = done.stdout.strip().splitlines()[-1]
            report["rebuild_reader_statuses"] = r.statuses
        report["load_after"] = os.getloadavg()
        print(json.dumps(report, indent=1))
    finally:
        for node in nodes:
            node.stop_all()
        if proxy_proc is not None:
            proxy_proc.send_signal(signal.SIGQUIT)
            proxy_proc.wait(timeout=20)
        from django.db import connections

        connections.close_all()
        drop_database(args.database_url, url)
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            import redis

            client = redis.Redis.from_url(args.redis_url)
            for key in client.scan_iter(f"{prefix}:*"):
                client.delete(key)
        except Exception:  # noqa: BLE001 - Redis gone: nothing to clean
            pass


if __name__ == "__main__":
    main()
