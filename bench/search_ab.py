"""Two checkouts' results pages side by side, request by request.

    .venv/bin/python bench/search_ab.py --var /tmp/search1m \\
        --before /work/wt/start [--after .] [--rounds 5] [--classes common,long]

On a shared machine two runs of bench/search.py, minutes apart, can differ
by 30 % with the same code. Here the two servers run at the same time on
the same index (``--var``, a build made by ``bench/search.py --var``): one
granian process with one thread for each checkout, so a request's time is
its service time (nothing queues). Each query of a class goes to both,
in alternating order, over kept-alive connections; what the machine does
meanwhile falls on both sides of a pair alike. Printed per class: median
milliseconds on each side, the median of the paired differences (after
minus before), how many pairs the after side won, and each server's CPU a
request. The queries are bench/search.py's (same seed). Both servers are
stopped by PID at the end; the var dir is kept.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

from search import (
    CLASSES,
    NO_FACET_CACHE,
    SETTINGS,
    bench_env,
    children,
    cpu_seconds,
    free_port,
    pick_queries,
    stop,
    wait_for_port,
)
from servers import granian_command

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def server(root: Path, var: Path, port: int, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        granian_command(Path(PY).parent, port, 1, 1),
        cwd=root,
        env=bench_env(var, root),
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def get(conn: http.client.HTTPConnection, path: str) -> float:
    """Milliseconds for one GET, body read; a non-200 stops the run."""
    started = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    took = (time.perf_counter() - started) * 1000
    if response.status != 200:
        raise SystemExit(f"{path}: HTTP {response.status}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--var", type=Path, required=True)
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--after", type=Path, default=ROOT)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--classes", default=",".join(c for c in CLASSES if c != "suggest")
    )
    parser.add_argument(
        "--no-facet-cache",
        action="store_true",
        help="both servers count and facet every page again",
    )
    args = parser.parse_args()
    var = args.var.resolve()
    if not (var / "search" / "current").exists():
        raise SystemExit(f"no index under {var}: build one with bench/search.py")
    (var / "bench_search_settings.py").write_text(
        SETTINGS + (NO_FACET_CACHE if args.no_facet_cache else "")
    )
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench_search_settings",
        NEWSROOM_HTTPS="false",
        NEWSROOM_VAR_DIR=str(var),
    )
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    sys.path[:0] = [str(var), str(ROOT)]
    import django

    django.setup()
    queries = pick_queries(args.seed)
    sides = {"before": args.before.resolve(), "after": args.after.resolve()}
    procs, conns, workers = {}, {}, {}
    try:
        for name, root in sides.items():
            port = free_port()
            procs[name] = server(root, var, port, var / f"bench-ab-{name}.log")
            wait_for_port(port, procs[name])
            conns[name] = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            workers[name] = children(procs[name].pid)
        print(
            f"before {sides['before']}, after {sides['after']}: granian 1 worker "
            f"x 1 thread each, {args.rounds} rounds of 40 queries a class"
        )
        print(
            "| class | before ms | after ms | median paired difference ms | "
            "after faster | before CPU ms a request | after CPU ms a request |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|")
        for cls in args.classes.split(","):
            paths = [
                "/search/?" + urllib.parse.urlencode({"q": q}) for q in queries[cls]
            ]
            for path in paths:  # warm both
                for name in sides:
                    get(conns[name], path)
            used = {n: cpu_seconds(workers[n]) for n in sides}
            took: dict[str, list[float]] = {n: [] for n in sides}
            for r in range(args.rounds):
                for i, path in enumerate(paths):
                    order = ("before", "after") if (i + r) % 2 else ("after", "before")
                    for name in order:
                        took[name].append(get(conns[name], path))
            cpu = {
                n: (cpu_seconds(workers[n]) - used[n]) * 1000 / len(took[n])
                for n in sides
            }
            diffs = [a - b for a, b in zip(took["after"], took["before"], strict=True)]
            wins = sum(d < 0 for d in diffs)
            print(
                f"| {cls} | {statistics.median(took['before']):.2f} | "
                f"{statistics.median(took['after']):.2f} | "
                f"{statistics.median(diffs):+.2f} | {wins}/{len(diffs)} | "
                f"{cpu['before']:.2f} | {cpu['after']:.2f} |",
                flush=True,
            )
    finally:
        for conn in conns.values():
            conn.close()
        for proc in procs.values():
            stop(proc)


if __name__ == "__main__":
    main()
