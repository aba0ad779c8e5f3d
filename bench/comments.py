"""Comment posting under load: 32 posters against the real server on SQLite.

Starts the server (granian as ``make run`` does, or gunicorn with ``--server
gunicorn``; 2 workers, prod settings, plain HTTP on 127.0.0.1) over a fresh
SQLite file in a temporary var dir (or a fresh PostgreSQL database made on
the server ``--database-url`` names, dropped afterwards), then 32 posters
each loop for a fixed time: fetch a proof-of-work challenge
(``/comments/challenge/<id>/``, the accessible path the ALTCHA widget takes),
solve it with the ``altcha`` package as the browser's worker would, post the
comment with the solution. One post in 20 sends a tampered solution on
purpose, so refusals are exercised. Every accepted comment waits for a
moderator (the proof-of-work path holds), so each is stored as "pending".
The posters (bench/comment_posters.py) are coroutines on one event loop, each
with its own kept-alive connection, CSRF cookie and token from the article
page it loaded: cheaper for the shared cores than 32 client threads.

What is not the server's cost: solving. The difficulty only sets how long the
*client* searches (``MAX_NUMBER``); the server verifies any solution with one
HMAC. So the run sets ``NEWSROOM_COMMENTS_POW_MAX_NUMBER=1`` (one PBKDF2 of
1000 iterations per solve, under a millisecond) to keep the bench client off
the two cores the server needs.

Fill-time stamps are single-use now: each poster shows itself one form per
comment before the clock starts (minted with the server's secret, as the page
would, and older than the minimum fill time when sent).

Limits: every post comes from 127.0.0.1, one /24, so the per-network limits
(comments per minute, new codes and wrong answers per 10 minutes) would
rightly refuse this flood; the run lifts them in a settings module of its own
and says so. Every other rule and check stays on.

Shared limits: with ``REDIS_URL`` in the environment the server keeps rate
counters and single-use spends in Redis (newsroom.core.limits), as in a
deployment with several nodes.

Usage: .venv/bin/python bench/comments.py [--seconds 20] [--posters 32]
       [--server granian|gunicorn] [--workers 2] [--threads 4]
       [--database-url postgres://user@host:5432/db]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from pathlib import Path

from comment_posters import run_posters
from servers import granian_command

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
# Every post comes from 127.0.0.1, one /24: the per-network and per-article
# rate limits would (rightly) refuse this flood, so the run switches them off.
RULES_OFF = "rate_network,rate_article"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


BENCH_SETTINGS = """from newsroom.settings.prod import *  # noqa: F403
from newsroom.settings.prod import NEWSROOM_COMMENTS_LIMITS

NEWSROOM_COMMENTS_LIMITS = {
    **NEWSROOM_COMMENTS_LIMITS,
    "CODES_MINTED": (10**9, 600),
    "CODES_WRONG": (10**9, 600),
}
"""


def setup_env(var_dir: Path, port: int, args) -> dict:
    (var_dir / "bench_settings.py").write_text(BENCH_SETTINGS)
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench_settings",
            "PYTHONPATH": os.pathsep.join(
                [str(var_dir), str(ROOT), env.get("PYTHONPATH", "")]
            ).rstrip(os.pathsep),
            "NEWSROOM_COMMENTS_POW_MAX_NUMBER": "1",
            "NEWSROOM_HTTPS": "false",
            "NEWSROOM_VAR_DIR": str(var_dir),
            "SECRET_KEY": secrets.token_urlsafe(50),
            "NEWSROOM_COMMENTS_RULES_OFF": RULES_OFF,
            "NEWSROOM_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": str(args.workers),
            "GUNICORN_THREADS": str(args.threads),
            "LOG_LEVEL": "ERROR",
        }
    )
    env.pop("DATABASE_URL", None)
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    return env


def fresh_database(url: str) -> tuple[str, str]:
    """A new, empty PostgreSQL database on the server ``url`` names.

    Returns its URL and its name (``drop_database`` removes it).
    """
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = f"bench_comments_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}")), name


def drop_database(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_command(args, port: int) -> list[str]:
    if args.server == "gunicorn":
        return [
            str(BIN / "gunicorn"),
            "-c",
            "newsroom/gunicorn_conf.py",
            "newsroom.wsgi:application",
        ]
    return granian_command(BIN, port, args.workers, args.threads)


def manage(env: dict, *args: str) -> None:
    subprocess.run(
        [str(BIN / "python"), "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def wait_up(port: int, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def cpu_seconds(root_pid: int) -> float:
    """User + system CPU of a process and its children (the gunicorn workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        if root_pid in (pid, ppid):
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--posters", type=int, default=32)
    parser.add_argument("--keep", action="store_true", help="keep the var dir")
    parser.add_argument("--server", choices=["granian", "gunicorn"], default="granian")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="per worker")
    parser.add_argument(
        "--database-url", default="", help="a PostgreSQL server to bench on"
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="newsroom-bench-comments-"))
    port = free_port()
    server_url, db_name = args.database_url, ""
    if server_url:
        args.database_url, db_name = fresh_database(server_url)
    env = setup_env(tmp, port, args)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(tmp))  # bench_settings
    import django

    django.setup()
    from newsroom.articles.models import Article, Section
    from newsroom.comments.forms import form_stamp

    where = f"PostgreSQL database {db_name}" if db_name else "SQLite, WAL"
    limits = "Redis" if env.get("REDIS_URL") else "the database"
    print(
        f"var dir {tmp} ({where}; limits and spends in {limits}); prod settings, "
        f"{args.server} {args.workers} workers x {args.threads} threads, "
        f"plain HTTP on 127.0.0.1:{port}"
    )
    print(
        f"guard rules switched off for this run: {RULES_OFF}; per-network code "
        "limits lifted (CODES_MINTED, CODES_WRONG); proof-of-work MAX_NUMBER=1 "
        "(client cost only). One network floods; every other rule and check stays on"
    )
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    section = Section.objects.create(name="Bench", slug="bench")
    article = Article.objects.create(
        headline="Bench article", body="Text.", section=section, status="published"
    )
    log = open(tmp / "server.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        server_command(args, port),
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=log,
        stderr=log,
    )
    try:
        wait_up(port)
        min_fill = int(env.get("NEWSROOM_COMMENTS_MIN_FILL_SECONDS", 3))
        # One form shown per comment, before the clock: enough for 600 posts/s.
        per_poster = int(600 * args.seconds / args.posters) + 50
        stamps = [
            [form_stamp(article.pk) for _ in range(per_poster)]
            for _ in range(args.posters)
        ]
        clock: dict = {}

        def on_start() -> None:
            clock["server_cpu"] = cpu_seconds(server.pid)

        got, clock["start"], client_cpu = asyncio.run(
            run_posters(
                args.posters,
                port,
                article,
                stamps,
                lambda: min_fill + 0.5,
                args.seconds,
                on_start,
            )
        )
        results = {
            "statuses": got.statuses,
            "refusals": got.refusals,
            "post_ms": got.post_ms,
            "code_ms": got.code_ms,
            "errors": got.errors,
            "sent": got.sent,
        }
        elapsed = time.time() - clock["start"]
        server_cpu = cpu_seconds(server.pid) - clock["server_cpu"]
        load = os.getloadavg()[0]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a worker that will not stop
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
        log.close()
    text = (tmp / "server.log").read_text(errors="replace")
    print(
        f"server log: {text.count('Traceback')} tracebacks, "
        f"{text.count('Bad Request')} 'Bad Request' lines (the tampered solutions)"
    )
    try:
        return report(args, article, results, elapsed, server_cpu, client_cpu, load)
    finally:
        from django.db import connections

        connections.close_all()
        if db_name:
            drop_database(server_url, db_name)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


def report(args, article, results, elapsed, server_cpu, client_cpu, load) -> int:
    from newsroom.comments.models import Comment

    stored = Comment.objects.filter(article=article).count()
    by_status = Counter(
        Comment.objects.filter(article=article).values_list("status", flat=True)
    )
    statuses, refusals = results["statuses"], results["refusals"]
    accepted = statuses.get(303, 0)
    refused = sum(refusals.values())
    five_xx = sum(n for s, n in statuses.items() if s >= 500)
    print(
        f"{args.posters} posters for {elapsed:.1f} s, {args.server} "
        f"{args.workers} workers x {args.threads} threads"
    )
    print(
        f"accepted posts/s: {accepted / elapsed:.1f}  (accepted {accepted}, "
        f"sent {results['sent']})"
    )
    print(
        f"POST latency p50 {pct(results['post_ms'], 50):.1f} ms, "
        f"p99 {pct(results['post_ms'], 99):.1f} ms "
        f"(mean {statistics.fmean(results['post_ms'] or [0]):.1f} ms); "
        f"challenge GET p50 {pct(results['code_ms'], 50):.1f} ms, "
        f"p99 {pct(results['code_ms'], 99):.1f} ms"
    )
    print(
        f"HTTP statuses: {dict(sorted(statuses.items()))}; 5xx: {five_xx}; "
        f"transport errors: {results['errors']}"
    )
    print(f"refused with a reason: {refused} {dict(refusals)}")
    print(f"rows stored: {stored} {dict(by_status)}")
    print(
        f"server CPU {server_cpu:.1f} s = {server_cpu * 1000 / max(accepted, 1):.1f} "
        f"ms per accepted post (challenge GET included); bench client CPU "
        f"{client_cpu:.1f} s; load average {load:.1f} on {os.cpu_count()} cores"
    )
    ok = (
        results["sent"] == stored + refused
        and accepted == stored
        and five_xx == 0
        and results["errors"] == 0
    )
    print(
        f"count check: sent {results['sent']} = stored {stored} + refused {refused}"
        f" -> {'OK' if ok else 'MISMATCH'}; none lost: {accepted == stored}"
    )
    goal = accepted / elapsed >= 200
    print(f"goal >= 200 accepted posts/s: {'met' if goal else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
