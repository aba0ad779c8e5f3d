"""Load for bench/nodes.py: readers, /readyz watchers, timed writers."""

from __future__ import annotations

import bisect
import json
import os
import random
import resource
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

WORDS = ["harbour", "council", "river", "election"]


def reader_address() -> str:
    return (
        f"10.{random.randrange(250)}.{random.randrange(250)}.{random.randrange(1, 250)}"
    )


def get(url: str, timeout: float = 10, client: str = "") -> tuple[int, bytes]:
    request = urllib.request.Request(url)
    if client:
        request.add_header("X-Forwarded-For", client)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, b""


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] if values else 0.0


class Readers:
    """``n`` threads searching ``base`` at ``rate`` searches a second in all
    (open loop: a slow answer does not slow the next request), each from an
    address of its own; statuses and latencies recorded."""

    def __init__(self, base: str, n: int, rate: float) -> None:
        self.base, self.n, self.rate = base, n, rate
        self.stop = threading.Event()
        self.statuses: dict[int, int] = {}
        self.latencies: list[float] = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(i,)) for i in range(n)]

    def run(self, i: int) -> None:
        interval = self.n / self.rate
        due = time.monotonic() + i * interval / self.n
        k = i
        while not self.stop.is_set():
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            due += interval
            word = WORDS[k % len(WORDS)]
            k += 1
            started = time.monotonic()
            status, _ = get(
                f"{self.base}/search/?q={word}", timeout=30, client=reader_address()
            )
            took = time.monotonic() - started
            with self.lock:
                self.statuses[status] = self.statuses.get(status, 0) + 1
                self.latencies.append(took)

    def summary(self) -> dict:
        return {
            "statuses": self.statuses,
            "p50_ms": round(pct(self.latencies, 0.5) * 1000, 1),
            "p99_ms": round(pct(self.latencies, 0.99) * 1000, 1),
        }

    def __enter__(self) -> Readers:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for t in self.threads:
            t.join()


class Watcher:
    """Polls a node's /readyz: a timeline of (time answered, position) and
    the count of answers that were not 200."""

    def __init__(self, node, interval: float = 0.05) -> None:
        self.node, self.interval = node, interval
        self.times: list[float] = []
        self.positions: list[int] = []  # running maximum
        self.statuses: dict[int, int] = {}
        self.took: list[float] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run)

    def run(self) -> None:
        best = 0
        while not self.stop.is_set():
            sent = time.monotonic()
            status, body = get(self.node.url + "/readyz", timeout=5)
            now = time.monotonic()
            self.statuses[status] = self.statuses.get(status, 0) + 1
            self.took.append(now - sent)
            try:
                best = max(best, json.loads(body)["checks"]["search_lag"]["position"])
            except (ValueError, KeyError, TypeError):
                pass
            self.times.append(now)
            self.positions.append(best)
            time.sleep(self.interval)

    def summary(self) -> dict:
        """The answers, and how long one took (what the lag figures include
        beyond the replication itself: an edit counts as seen when the
        answer that shows it arrives)."""
        return {
            "statuses": self.statuses,
            "p50_ms": round(pct(self.took, 0.5) * 1000, 1),
            "p99_ms": round(pct(self.took, 0.99) * 1000, 1),
        }

    def seen_at(self, row: int, after: float) -> float | None:
        """When /readyz first answered with ``row`` applied, at or after ``after``."""
        i = bisect.bisect_left(self.times, after)
        j = bisect.bisect_left(self.positions, row, lo=i)
        return self.times[j] if j < len(self.times) else None

    def __enter__(self) -> Watcher:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()


class Writers:
    """Edit k of ``count`` is due at start + k/rate; process p of ``procs``
    (forked: the bench's own threads do not share its interpreter) takes
    the edits with k % procs == p on ``threads`` threads, each with its own
    database connection. Records (outbox row, commit time, lateness, save
    time) per edit."""

    def __init__(self, procs: int, threads: int, rate: int, count: int, ids) -> None:
        self.procs, self.threads, self.rate, self.count = procs, threads, rate, count
        self.ids = ids
        self.edits: list[tuple[int, float, float, float]] = []
        self.errors = 0

    def share(self, p: int, start: float, pipe) -> None:
        from django.db import connection, transaction

        from newsroom.articles.models import Article
        from newsroom.search.models import IndexChange

        tickets = iter(range(p, self.count, self.procs))
        lock = threading.Lock()
        edits: list = []
        errors = [0]

        def run() -> None:
            while True:
                with lock:
                    k = next(tickets, None)
                if k is None:
                    break
                due = start + k / self.rate
                if (pause := due - time.monotonic()) > 0:
                    time.sleep(pause)
                began = time.monotonic()
                try:
                    with transaction.atomic():
                        article = Article.objects.get(pk=self.ids[k % len(self.ids)])
                        article.headline = f"Bench edit {uuid.uuid4().hex[:10]}"
                        article.save()
                        row = (
                            IndexChange.objects.filter(article_id=article.pk)
                            .order_by("-id")
                            .values_list("id", flat=True)
                            .first()
                        )
                except Exception:  # noqa: BLE001 - counted, the run goes on
                    errors[0] += 1
                    continue
                done = time.monotonic()
                with lock:
                    edits.append((row, done, began - due, done - began))
            connection.close()

        workers = [threading.Thread(target=run) for _ in range(self.threads)]
        for t in workers:
            t.start()
        for t in workers:
            t.join()
        pipe.send((edits, errors[0]))

    def spawn(self) -> None:
        """Fork the writers (before the bench starts threads of its own);
        they start editing a second later."""
        import multiprocessing

        from django.db import connections

        connections.close_all()  # never share a connection with a child
        fork = multiprocessing.get_context("fork")
        self.start = time.monotonic() + 1.0
        self.children = []
        for p in range(self.procs):
            mine, theirs = fork.Pipe()
            child = fork.Process(target=self.share, args=(p, self.start, theirs))
            child.start()
            self.children.append((mine, child))

    def collect(self) -> float:
        """Wait for every edit; returns the seconds they took."""
        for pipe, child in self.children:
            edits, errors = pipe.recv()
            child.join()
            self.edits += edits
            self.errors += errors
        self.edits.sort(key=lambda e: e[1])
        return max((e[1] for e in self.edits), default=self.start) - self.start


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def processes() -> list[tuple[int, int, str]]:
    """(pid, parent pid, command line) of every process."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            cmd = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        out.append((int(stat.parent.name), parent, cmd.decode(errors="replace")))
    return out


def machine_busy() -> float:
    """CPU seconds the whole machine spent busy since boot (all cores)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split()[1:9]]
    return (sum(fields) - fields[3] - fields[4]) / TICK  # less idle, iowait


class CpuMeter:
    """CPU seconds used while it runs: each group of processes (a root pid
    and its descendants, sampled every half second so short-lived ones
    count), the database's backends for ``database``, this process (readers
    and watchers), its waited-for children (the writers) and the machine."""

    def __init__(self, roots: dict[str, int], database: str) -> None:
        self.roots, self.database = roots, database
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.group: dict[int, str] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run)

    def sample(self) -> None:
        procs = processes()
        kids: dict[int, list[int]] = {}
        for pid, parent, _ in procs:
            kids.setdefault(parent, []).append(pid)
        for name, root in self.roots.items():
            todo = [root]
            while todo:
                pid = todo.pop()
                self.group[pid] = name
                todo += kids.get(pid, [])
        for pid, _, cmd in procs:
            if cmd.startswith("postgres: ") and f" {self.database} " in cmd:
                self.group[pid] = "postgres"
        for pid in self.group:
            if (cpu := cpu_seconds(pid)) is not None:
                self.first.setdefault(pid, 0.0)  # born during the run
                self.last[pid] = cpu

    def run(self) -> None:
        while not self.stop.wait(0.5):
            self.sample()

    def __enter__(self) -> CpuMeter:
        self.started = time.monotonic()
        self.base = (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
            machine_busy(),
        )
        self.sample()
        self.first = dict(self.last)  # what existed counts from now
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()
        self.sample()
        self.seconds = time.monotonic() - self.started
        self.end = (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
            machine_busy(),
        )

    def report(self) -> dict:
        """CPU seconds per group, and as cores (seconds / wall seconds)."""
        own, kids, busy = self.base
        now, children, busy_now = self.end
        used: dict[str, float] = {
            "bench readers+watchers": now.ru_utime
            + now.ru_stime
            - own.ru_utime
            - own.ru_stime,
            "writers": children.ru_utime
            + children.ru_stime
            - kids.ru_utime
            - kids.ru_stime,
        }
        for pid, name in self.group.items():
            if pid in self.last:
                delta = self.last[pid] - self.first.get(pid, 0.0)
                used[name] = used.get(name, 0.0) + delta
        used["machine"] = busy_now - busy
        used["others"] = used["machine"] - sum(
            v for k, v in used.items() if k != "machine"
        )
        return {
            "wall_s": round(self.seconds, 1),
            "cpu_s": {k: round(v, 1) for k, v in used.items()},
            "cores": {k: round(v / self.seconds, 2) for k, v in used.items()},
        }
