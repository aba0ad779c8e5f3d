"""Cost of the feeds and the API's default list at a large archive.

    .venv/bin/python bench/feeds.py --var /tmp/newsroom-bench-feeds [--count 100000]
        [--repeat 15] [--keep]

Generates --count articles (``generate_articles``) into a fresh SQLite
database under --var (never the repository's var/) unless one with that many
is there, then times GET requests in this process through Django's test
client (no server, DEBUG off): the site RSS and Atom feeds, a section feed,
and /api/v1/articles. Prints the median and the slowest of --repeat requests
per URL, with the feed cache off (every request does the work) and on (the
brief cache a real server has). --var is deleted at the end unless --keep.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--var", default="/tmp/newsroom-bench-feeds")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    var = Path(args.var)
    os.environ.update(
        NEWSROOM_VAR_DIR=str(var),
        DJANGO_SETTINGS_MODULE="newsroom.settings.dev",
        DEBUG="0",
        ALLOWED_HOSTS="testserver",
    )
    os.environ.pop("DATABASE_URL", None)
    marker = var / f"generated-{args.count}"
    if not marker.exists():
        shutil.rmtree(var, ignore_errors=True)
        var.mkdir(parents=True)
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "-v", "0"], cwd=ROOT, check=True)
        started = time.monotonic()
        subprocess.run(
            [*manage, "generate_articles", "--count", str(args.count)],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        print(f"generated {args.count:,} in {time.monotonic() - started:.0f} s")
        marker.touch()
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    from newsroom.articles.models import Article, Section

    section = Section.objects.order_by("id").first()
    urls = [
        "/feeds/rss/",
        "/feeds/atom/",
        f"/feeds/section/{section.slug}/rss/",
        "/api/v1/articles",
    ]
    print(
        f"{Article.objects.count():,} articles; load {os.getloadavg()[0]:.1f}; "
        f"median and slowest of {args.repeat} requests, ms"
    )
    client = Client()
    for cache_seconds in (0, 60):
        settings.NEWSROOM_FEED_CACHE_SECONDS = cache_seconds
        settings.NEWSROOM_API_RATE_LIMITS = {"read": "100000/60", "write": "20/60"}
        for url in urls:
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (url, response.status_code)
            median = statistics.median(times)
            print(
                f"cache {cache_seconds:>2}s  {url:32} median {median:7.1f}"
                f"  max {max(times):7.1f}"
            )
    if not args.keep:
        shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    main()
