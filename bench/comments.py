"""Comment posting under load: 32 posters against the real server on SQLite.

Starts gunicorn (2 workers, prod settings, plain HTTP on 127.0.0.1) over a
fresh SQLite file in a temporary var dir, then 32 posters each loop for a fixed
time: fetch a new code (the "new code" endpoint), solve it, post a comment.
One post in 20 carries a wrong code on purpose, so refusals are exercised.

Solving codes: codes are derived from the challenge id with the site's secret
key (nothing is stored until a code is spent), so the bench, which generated
that secret for the server, derives the answers itself, the way it would read
them from a store. There is no bypass in the server: it checks every code.

Usage: .venv/bin/python bench/comments.py [--seconds 20] [--posters 32]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
# Every post comes from 127.0.0.1, one /24: the per-network and per-article
# rate limits would (rightly) refuse this flood, so the run switches them off.
RULES_OFF = "rate_network,rate_article"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup_env(var_dir: Path, port: int) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "newsroom.settings.prod",
            "NEWSROOM_HTTPS": "false",
            "NEWSROOM_VAR_DIR": str(var_dir),
            "SECRET_KEY": secrets.token_urlsafe(50),
            "NEWSROOM_COMMENTS_RULES_OFF": RULES_OFF,
            "NEWSROOM_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "2",
            "LOG_LEVEL": "ERROR",
        }
    )
    env.pop("DATABASE_URL", None)
    return env


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


class Poster(threading.Thread):
    def __init__(
        self,
        n: int,
        port: int,
        article,
        clock: dict,
        barrier: threading.Barrier,
        backend,
        results: dict,
        lock: threading.Lock,
    ) -> None:
        super().__init__(daemon=True)
        self.n, self.port, self.article = n, port, article
        self.clock, self.barrier = clock, barrier
        self.backend, self.results, self.lock = backend, results, lock

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        statuses: Counter = Counter()
        refusals: Counter = Counter()
        post_ms: list[float] = []
        code_ms: list[float] = []
        errors = sent = 0
        conn.request("GET", self.article.get_absolute_url())
        page = conn.getresponse()
        html = page.read().decode()
        cookie = re.search(
            r"csrftoken=([^;]+)", page.getheader("Set-Cookie", "")
        ).group(1)
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        stamp = re.search(r'name="stamp" value="([^"]+)"', html).group(1)
        # A person takes a while to write: the form is filled once, after the
        # minimum fill time, and its stamp reused (it stays good for a day).
        self.barrier.wait()  # every form is loaded; main sets the clock
        self.barrier.wait()
        time.sleep(max(0.0, self.clock["start"] - time.time()))
        seq = 0
        while time.time() < self.clock["stop"]:
            seq += 1
            try:
                t0 = time.perf_counter()
                conn.request("GET", "/comments/code/new")
                code = json.loads(conn.getresponse().read())
                code_ms.append((time.perf_counter() - t0) * 1000)
                challenge_id = self.backend.unsign(code["token"])
                wrong = seq % 20 == 0
                answer = "WRONG" if wrong else self.backend.code_for(challenge_id)
                body = urllib.parse.urlencode(
                    {
                        "csrfmiddlewaretoken": csrf,
                        "stamp": stamp,
                        "token": code["token"],
                        "code": answer,
                        "name": f"Poster {self.n}",
                        "email": "",
                        "body": f"Comment {seq} by {self.n}: {secrets.token_hex(8)}",
                        "parent": "",
                        "homepage": "",
                    }
                )
                t0 = time.perf_counter()
                sent += 1
                conn.request(
                    "POST",
                    f"/comments/post/{self.article.pk}/",
                    body,
                    {
                        "Content-Type": "application/x-www-form-urlencoded",
                        "Cookie": f"csrftoken={cookie}",
                    },
                )
                response = conn.getresponse()
                response.read()
                post_ms.append((time.perf_counter() - t0) * 1000)
                statuses[response.status] += 1
                if 400 <= response.status < 500:
                    refusals[response.getheader("X-Comment-Refusal") or "none"] += 1
            except (OSError, http.client.HTTPException, ValueError):
                errors += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        with self.lock:
            self.results["statuses"].update(statuses)
            self.results["refusals"].update(refusals)
            self.results["post_ms"].extend(post_ms)
            self.results["code_ms"].extend(code_ms)
            self.results["errors"] += errors
            self.results["sent"] += sent


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
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="newsroom-bench-comments-"))
    port = free_port()
    env = setup_env(tmp, port)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from newsroom.articles.models import Article, Section
    from newsroom.comments.confirmation import get_backend

    print(f"var dir {tmp} (SQLite, WAL); prod settings, plain HTTP on 127.0.0.1:{port}")
    print(
        f"guard rules switched off for this run: {RULES_OFF} "
        "(one network floods; every other rule and check stays on)"
    )
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    section = Section.objects.create(name="Bench", slug="bench")
    article = Article.objects.create(
        headline="Bench article", body="Text.", section=section, status="published"
    )
    log = open(tmp / "server.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-c",
            "newsroom/gunicorn_conf.py",
            "newsroom.wsgi:application",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=log,
        stderr=log,
    )
    try:
        wait_up(port)
        min_fill = int(env.get("NEWSROOM_COMMENTS_MIN_FILL_SECONDS", 3))
        clock: dict = {}
        barrier = threading.Barrier(args.posters + 1)
        results = {
            "statuses": Counter(),
            "refusals": Counter(),
            "post_ms": [],
            "code_ms": [],
            "errors": 0,
            "sent": 0,
        }
        lock = threading.Lock()
        posters = [
            Poster(i, port, article, clock, barrier, get_backend(), results, lock)
            for i in range(args.posters)
        ]
        for p in posters:
            p.start()
        barrier.wait()
        clock["start"] = time.time() + min_fill + 0.5
        clock["stop"] = clock["start"] + args.seconds
        time.sleep(max(0.0, clock["start"] - time.time()))
        cpu0, client0 = cpu_seconds(server.pid), time.process_time()
        barrier.wait()
        for p in posters:
            p.join()
        elapsed = time.time() - clock["start"]
        server_cpu = cpu_seconds(server.pid) - cpu0
        client_cpu = time.process_time() - client0
        load = os.getloadavg()[0]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
    text = (tmp / "server.log").read_text(errors="replace")
    print(
        f"server log: {text.count('Traceback')} tracebacks, "
        f"{text.count('Bad Request')} 'Bad Request' lines (the wrong codes)"
    )
    try:
        return report(args, article, results, elapsed, server_cpu, client_cpu, load)
    finally:
        from django.db import connections

        connections.close_all()
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
    print(f"{args.posters} posters for {elapsed:.1f} s, gunicorn 2 workers (gthread)")
    print(
        f"accepted posts/s: {accepted / elapsed:.1f}  (accepted {accepted}, "
        f"sent {results['sent']})"
    )
    print(
        f"POST latency p50 {pct(results['post_ms'], 50):.1f} ms, "
        f"p99 {pct(results['post_ms'], 99):.1f} ms "
        f"(mean {statistics.fmean(results['post_ms'] or [0]):.1f} ms); "
        f"new-code GET p50 {pct(results['code_ms'], 50):.1f} ms, "
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
        f"ms per accepted post (code GET included); bench client CPU "
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
