"""The article page with 10,000 comments: all on one page versus paged threads.

    .venv/bin/python bench/threads.py [--var /tmp/newsroom-bench-threads]
        [--comments 10000] [--repeat 30] [--keep]

Builds a fresh SQLite database under --var (never the repository's var/)
holding one published article with --comments approved comments in realistic
thread shapes (seeded: about 40 % start a thread, most threads have 0 to 3
replies, a few run to hundreds, replies nest under earlier replies), bodies
rendered by the comments app's own ``render_body``. Then, in this process,
through Django's test client (DEBUG off, front cache off, so every request
renders), it times --repeat GETs of:

- ``all``: the page with every comment on it, as before paging
  (``THREADS_PER_PAGE`` and ``REPLIES_PER_THREAD`` set past the counts);
- ``paged``: the page as shipped (50 threads, 5 replies each shown), its
  last page, and the API's first page.

It prints the median and p95 in ms and the size of each answer. The
figures quoted in docs/comments.md come from one run of this script.

``--root DIR`` measures another checkout of the project with the same data
(for example the code before paging, from ``git worktree add``): a checkout
without ``newsroom/comments/threads.py`` has no pages, so only the article
page and the API are timed, each with every comment.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
ROOT = HERE
GOAL_MS = 100
WORDS = (
    "the council vote budget river bridge school nurses strike weather storm "
    "minister report said today people think really should never always city "
    "north south market prices rent housing plan road rail bus transport water"
).split()


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 22))]
    return " ".join(words).capitalize() + "."


def body(rng: random.Random) -> str:
    paragraphs = [
        " ".join(sentence(rng) for _ in range(rng.randint(1, 4)))
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3)))
    ]
    if rng.random() < 0.05:
        paragraphs[-1] += " See https://example.org/report for more."
    return "\n\n".join(paragraphs)


def shapes(rng: random.Random, total: int) -> list[int | None]:
    """Each comment's parent as an index into the list (None: a new thread)."""
    parents: list[int | None] = []
    threads: list[list[int]] = []
    while len(parents) < total:
        n = len(parents)
        if not threads or rng.random() < 0.4:
            parents.append(None)
            threads.append([n])
            continue
        # Replies go mostly to recent threads, and a few threads draw crowds.
        if rng.random() < 0.15:
            thread = threads[min(len(threads) - 1, int(rng.paretovariate(1.2)) - 1)]
        else:
            thread = threads[-1 - min(len(threads) - 1, int(rng.expovariate(0.3)))]
        parent = thread[0] if rng.random() < 0.6 else rng.choice(thread)
        parents.append(parent)
        thread.append(n)
    return parents


def build(count: int) -> int:
    from django.db import transaction
    from django.utils import timezone

    from newsroom.articles.tests import factories as f
    from newsroom.comments import moderation
    from newsroom.comments.models import Comment
    from newsroom.comments.text import body_hash, render_body

    rng = random.Random(12)
    article = f.article("A story ten thousand readers answered")
    start = timezone.now() - timedelta(days=20)
    parents = shapes(rng, count)
    ids: list[int] = []
    with transaction.atomic():
        batch: list[Comment] = []
        for n, parent in enumerate(parents):
            if parent is not None and parent >= len(ids):
                ids += [c.pk for c in Comment.objects.bulk_create(batch)]
                batch = []
            text = body(rng)
            batch.append(
                Comment(
                    article=article,
                    parent_id=ids[parent] if parent is not None else None,
                    name=f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()}",
                    body=text,
                    body_html=render_body(text),
                    body_hash=body_hash(f"{n}:{text}"),
                    network=f"198.51.{n % 250}.0/24",
                    status=Comment.Status.APPROVED,
                    created_at=start + timedelta(seconds=n * 150),
                )
            )
        ids += [c.pk for c in Comment.objects.bulk_create(batch)]
        moderation.recount([article.pk])
    return article.pk


def timed(client, url: str, repeat: int) -> tuple[float, float, int]:
    times, size = [], 0
    client.get(url)  # warm: templates, the kept form
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        size = len(response.content)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95, size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--var", default="/tmp/newsroom-bench-threads")
    parser.add_argument("--comments", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--root", default=str(HERE), help="the checkout to measure")
    args = parser.parse_args()
    global ROOT
    ROOT = Path(args.root).resolve()
    var = Path(args.var)
    os.environ.update(
        NEWSROOM_VAR_DIR=str(var),
        DJANGO_SETTINGS_MODULE="newsroom.settings.dev",
        DEBUG="0",
        ALLOWED_HOSTS="testserver",
        NEWSROOM_PAGE_CACHE_SECONDS="0",
    )
    for name in ("DATABASE_URL", "REDIS_URL"):
        os.environ.pop(name, None)
    shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True)
    for command in (["migrate"], ["collectstatic", "--noinput"]):
        subprocess.run(
            [sys.executable, "manage.py", *command, "-v", "0"], cwd=ROOT, check=True
        )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    from newsroom.articles.models import Article
    from newsroom.comments.models import Comment

    started = time.monotonic()
    article = Article.objects.get(pk=build(args.comments))
    top = Comment.objects.filter(article=article, parent=None).count()
    print(
        f"{ROOT}: {Comment.objects.filter(article=article).count():,} approved "
        f"comments in {top:,} threads, built in {time.monotonic() - started:.0f} "
        f"s; load {os.getloadavg()[0]:.1f}; {args.repeat} renders each"
    )
    settings.NEWSROOM_PAGE_CACHE_SECONDS = 0
    settings.NEWSROOM_API_RATE_LIMITS = {"read": "1000000/60", "write": "20/60"}
    if not (ROOT / "newsroom" / "comments" / "threads.py").exists():
        url = article.get_absolute_url()
        api = f"/api/v1/articles/{article.pk}/comments"
        print(f"{'request':30} {'median ms':>10} {'p95 ms':>8} {'bytes':>11}")
        for name, where in (("article page (no paging)", url), ("API", api)):
            median, p95, size = timed(Client(), where, args.repeat)
            print(f"{name:30} {median:10.1f} {p95:8.1f} {size:11,}")
        if not args.keep:
            shutil.rmtree(var, ignore_errors=True)
        return
    from newsroom.comments import threads

    shipped = dict(settings.NEWSROOM_COMMENTS_LIMITS)
    url = article.get_absolute_url()
    client = Client()
    rows = []
    settings.NEWSROOM_COMMENTS_LIMITS = {
        **shipped,
        "THREADS_PER_PAGE": 10**9,
        "REPLIES_PER_THREAD": 10**9,
    }
    rows.append(
        ("all", "article page, every comment", *timed(client, url, args.repeat))
    )
    settings.NEWSROOM_COMMENTS_LIMITS = shipped
    rows.append(("paged", "article page 1", *timed(client, url, args.repeat)))
    last = threads.roots(article.pk).order_by("-created_at", "-id")[
        threads.threads_per_page() - 1
    ]
    start = threads.start_param(threads.key_of(last))["comments_from"]
    last_url = f"{url}?comments_from={start.replace('+', '%2B')}"
    rows.append(("paged", "article, last page", *timed(client, last_url, args.repeat)))
    api = f"/api/v1/articles/{article.pk}/comments"
    rows.append(("paged", "API first page", *timed(client, api, args.repeat)))
    print(f"{'mode':6} {'request':30} {'median ms':>10} {'p95 ms':>8} {'bytes':>11}")
    for mode, name, median, p95, size in rows:
        print(f"{mode:6} {name:30} {median:10.1f} {p95:8.1f} {size:11,}")
    page1 = rows[1]
    verdict = "met" if page1[2] < GOAL_MS else "NOT met"
    print(
        f"goal: article page under {GOAL_MS} ms in process: {verdict} "
        f"({page1[2]:.1f} ms; {rows[0][2] / page1[2]:.0f}x faster, "
        f"{rows[0][4] / page1[4]:.0f}x smaller than all on one page)"
    )
    if not args.keep:
        shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    main()
