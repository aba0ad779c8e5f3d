"""Several app servers: replication lag, one node against two, a rebuild.

    .venv/bin/python bench/nodes.py [--database-url postgres://postgres@127.0.0.1:5432/test]
        [--seed-count 2000] [--rate 50] [--writer-procs 4] [--writers 4]
        [--seconds 20] [--read-rate 20] [--readers 12] [--wrk-seconds 10]
        [--rebuild-count 100000] [--lock /work/bench.lock]

A fresh PostgreSQL database (created beside the one in --database-url and
dropped at the end), two nodes as in tests/test_two_nodes.py (granian with
one worker plus run_indexer, each with its own var/ under /tmp) and Debian's
nginx in front with the shipped site file, Redis for the shared cache.

1. Lag: ``--writer-procs`` processes of ``--writers`` threads save
   ``--rate`` published edits a second between them for ``--seconds`` (a new
   headline, through the model, so the outbox row is in the same
   transaction), each edit due at a fixed time: the achieved rate and how
   late edits started are reported. Meanwhile readers search through nginx
   at ``--read-rate`` a second (open loop, each from an address of its own
   in X-Forwarded-For, as distinct readers are), and every node's
   ``/readyz`` is polled: it reports the outbox position the node's live
   searcher has applied, so an edit is searchable there once that position
   reaches the edit's outbox row (an upper bound: the position waits for
   every earlier row). Lag p50/p99 per node from commit; every search and
   every ``/readyz`` answer that was not 200 is counted (goal: none, and
   p99 < 2 s).
2. Throughput: wrk on the results page against node a alone, then through
   nginx against both (2 cores: two nodes on one machine share them). Each
   request comes from its own address (a wrk script), and the rendered
   nginx site's per-address search limit is raised: wrk is one address.
3. Rebuild: ``generate_articles --count N --no-outbox`` into the database,
   then ``rebuild_search_index`` on node b while readers search it and its
   ``/readyz`` is polled; the rebuild's wall time and what readers got.

With ``--lock``, the machine's benchmark lock is held for each measured
phase (not while it sets up or generates articles). Load averages and, for
the lag phase, the CPU each part used are printed beside the figures.
Everything started is stopped by PID; /tmp dirs and the database are removed.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nodes_load import (  # noqa: E402
    CpuMeter,
    Readers,
    Watcher,
    Writers,
    get,
    pct,
    reader_address,
)

from tests.nginx import nginx_binary, prefix_with, render_site  # noqa: E402

# tests.test_two_nodes (Node, free_port) is imported once Django is set up.

WRK = shutil.which("wrk") or "/usr/bin/wrk"
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


@contextlib.contextmanager
def held(path: str):
    """flock ``path`` (the machine's benchmark lock) for a measured phase
    only; nothing when no path is given."""
    if not path:
        yield
        return
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]  # beside every figure


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


def lag_run(nodes: list, proxy: str, args, roots: dict, database: str) -> dict:
    from newsroom.articles.models import Article

    ids = list(
        Article.objects.published().order_by("-pk").values_list("pk", flat=True)[:500]
    )
    writers = Writers(
        args.writer_procs, args.writers, args.rate, args.rate * args.seconds, ids
    )
    watchers = [Watcher(n) for n in nodes]
    out: dict = {"load_before": load()}
    writers.spawn()
    for w in watchers:
        w.__enter__()
    try:
        with CpuMeter(roots, database) as cpu:
            with Readers(proxy, args.readers, args.read_rate) as r:
                took = writers.collect()
                out["load_during"] = load()
        time.sleep(5)  # the last edits reach the nodes
    finally:
        for w in watchers:
            w.__exit__()
    out["cpu"] = cpu.report()
    edits = writers.edits
    out.update(
        edits=len(edits),
        errors=writers.errors,
        asked_per_s=args.rate,
        edits_per_s=round(len(edits) / took, 1) if took > 0 else None,
        start_late_p99_ms=round(pct([e[2] for e in edits], 0.99) * 1000, 1),
        save_p50_ms=round(pct([e[3] for e in edits], 0.5) * 1000, 1),
        save_p99_ms=round(pct([e[3] for e in edits], 0.99) * 1000, 1),
    )
    for node, w in zip(nodes, watchers, strict=True):
        lags = []
        for row, committed, _, _ in edits:
            seen = w.seen_at(row, committed)
            if seen is not None:
                lags.append(seen - committed)
        out[node.name] = {
            "applied": len(lags),
            "p50_s": round(pct(lags, 0.5), 3),
            "p99_s": round(pct(lags, 0.99), 3),
            "max_s": round(max(lags), 3) if lags else None,
            "readyz": w.summary(),
        }
    out["readers"] = r.summary()
    return out


LUA = """
local words = {"harbour", "council", "river", "election"}
local n = 0
request = function()
  n = n + 1
  local r = math.random
  local addr = "10." .. r(0, 249) .. "." .. r(0, 249) .. "." .. r(1, 249)
  local path = "/search/?q=" .. words[(n % #words) + 1]
  return wrk.format("GET", path, {["X-Forwarded-For"] = addr})
end
"""


def wrk(url: str, seconds: int, script: Path, connections: int = 8) -> dict:
    """One wrk run on the results page: requests/s, p50/p99 ms, non-200s."""
    if not Path(WRK).exists():
        raise SystemExit("wrk is missing: apt-get install wrk")
    script.write_text(LUA)
    out = subprocess.run(
        [WRK, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
        + ["--timeout", "10s", "-s", str(script), url],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    ).stdout
    result: dict = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
    for p in ("50", "99"):
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s|m)\b", out).groups()
        result[f"p{p}_ms"] = round(float(value) * UNITS[unit], 1)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*?timeout (\d+)", out)
    result["failed"] = (int(bad.group(1)) if bad else 0) + (
        int(errors.group(1)) if errors else 0
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/test"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--seed-count", type=int, default=2000)
    parser.add_argument("--rate", type=int, default=50, help="edits a second")
    parser.add_argument("--writer-procs", type=int, default=4)
    parser.add_argument("--writers", type=int, default=4, help="threads per proc")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--read-rate", type=float, default=20, help="searches/s")
    parser.add_argument("--readers", type=int, default=12, help="reader threads")
    parser.add_argument("--wrk-seconds", type=int, default=10)
    parser.add_argument("--rebuild-count", type=int, default=100000)
    parser.add_argument(
        "--indexer-args", default="", help="extra run_indexer arguments"
    )
    parser.add_argument(
        "--lock", default="", help="flock this file for each measured phase only"
    )
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
    report: dict = {"cores": os.cpu_count(), "args": vars(args)}
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
        # Every request of this bench reaches nginx from 127.0.0.1: its
        # per-address search limit (10/s) would answer most of them 429.
        site.write_text(site.read_text().replace("rate=10r/s", "rate=100000r/s"))
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
            node.start_indexer(*args.indexer_args.split())
            node.start_web()
        for node in nodes:
            deadline = time.monotonic() + 300
            while not node.ready():
                if time.monotonic() > deadline:
                    raise SystemExit(f"{node.name} not ready:\n{node.logs()}")
                time.sleep(0.5)
        for node in nodes:  # the first search imports and opens: not measured
            get(node.url + "/search/?q=warmup", client=reader_address())

        roots = {
            f"{n.name} {p}": getattr(n, p).pid
            for n in nodes
            for p in ("web", "indexer")
        }
        roots["nginx"] = proxy_proc.pid
        with held(args.lock):
            report["lag"] = lag_run(nodes, proxy, args, roots, url.rsplit("/", 1)[1])
        print(json.dumps({"lag": report["lag"]}, indent=1), flush=True)

        if args.wrk_seconds:
            script = tmp / "readers.lua"
            with held(args.lock):
                report["wrk_load_before"] = load()
                report["wrk_one_node"] = wrk(a.url + "/", args.wrk_seconds, script)
                report["wrk_two_nodes_nginx"] = wrk(
                    proxy + "/", args.wrk_seconds, script
                )
                report["wrk_load_after"] = load()
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
                timeout=3600,
            )
            assert done.returncode == 0, done.stderr
            report["generate_s"] = round(time.monotonic() - started, 1)
            with (
                held(args.lock),
                Watcher(b, interval=0.2) as w,
                Readers(b.url, args.readers, args.read_rate) as r,
            ):
                report["rebuild_load_before"] = load()
                started = time.monotonic()
                done = b.manage("rebuild_search_index", "--wait", "600", timeout=3600)
                report["rebuild_s"] = round(time.monotonic() - started, 1)
                report["rebuild_load_after"] = load()
            assert done.returncode == 0, done.stderr
            report["rebuild_output"] = done.stdout.strip().splitlines()[-1]
            report["rebuild_readers"] = r.summary()
            report["rebuild_readyz"] = w.summary()
        report["load_after"] = load()
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
