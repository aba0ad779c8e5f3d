"""Load for bench/nodes.py: readers, /readyz watchers, timed writers."""

from __future__ import annotations

import bisect
import json
import random
import threading
import time
import urllib.error
import urllib.request
import uuid

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
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run)

    def run(self) -> None:
        best = 0
        while not self.stop.is_set():
            status, body = get(self.node.url + "/readyz", timeout=5)
            now = time.monotonic()
            self.statuses[status] = self.statuses.get(status, 0) + 1
            try:
                best = max(best, json.loads(body)["checks"]["search_lag"]["position"])
            except (ValueError, KeyError, TypeError):
                pass
            self.times.append(now)
            self.positions.append(best)
            time.sleep(self.interval)

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
