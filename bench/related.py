"""Related stories measured: precision@5 of the engine's more-like-this on BBC News.

    .venv/bin/python bench/related.py [--data ../shared/data/bbc] [--limit 5]

The 2,225 BBC News articles (five labelled sections: business,
entertainment, politics, sport, tech) go into a temporary index built by the
default backend's class and options, as headline and body only: the section
is the label being predicted, so it is not indexed (on the site it is, in
the ``meta`` field, and would only help). For every article the backend's
``more_like_this(id, 5)`` (what the "Related stories" box asks first) gives
five articles; precision@5 is the share of them in the article's own
section, averaged over all articles (an article with fewer than five related
counts the missing ones as misses). Prints P@5 overall and per section, and
the median time of one call. The goal is P@5 >= 0.90.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/bbc")
    parser.add_argument("--limit", type=int, default=5)
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override one of the default backend's OPTIONS (JSON value)",
    )
    args = parser.parse_args()
    source = args.data / "articles.jsonl.gz"
    if not source.exists():
        raise SystemExit(f"skipped: {source} is absent (shared data not laid out)")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings.test")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from newsroom.search.backends import backend_config, load_backend
    from newsroom.search.backends.base import IndexDocument

    docs = load(source)
    config = backend_config("default")
    overrides = {}
    for item in args.option:
        name, _, value = item.partition("=")
        overrides[name] = json.loads(value)
    tmp = Path(tempfile.mkdtemp(prefix="newsroom-bench-related-"))
    when = datetime(2005, 1, 1, tzinfo=UTC)
    try:
        options = {**config.get("OPTIONS", {}), **overrides, "PATH": str(tmp)}
        backend = load_backend(config["BACKEND"], "related", options)
        with backend.writer(wait=10) as w:
            w.upsert(
                IndexDocument(
                    id=n,
                    headline=d.get("title") or "",
                    body=d.get("body") or "",
                    published_at=when,
                )
                for n, d in enumerate(docs, 1)
            )
            w.commit(0)
            w.seal(len(docs))  # a first fill is live only once sealed
            if w.created:
                w.make_live()
        label = {n: d["category"] for n, d in enumerate(docs, 1)}
        later = datetime(2030, 1, 1, tzinfo=UTC)
        per_section: dict[str, list[float]] = defaultdict(list)
        times = []
        for n in label:
            started = time.perf_counter()
            found = backend.more_like_this(n, args.limit, now=later)
            times.append((time.perf_counter() - started) * 1000)
            same = sum(1 for i in found[: args.limit] if label.get(i) == label[n])
            per_section[label[n]].append(same / args.limit)
        del backend
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    everything = [p for values in per_section.values() for p in values]
    print(
        f"BBC News, {len(everything):,} articles: related stories P@{args.limit} "
        f"{statistics.mean(everything):.4f} (goal >= 0.90); one call, median "
        f"{statistics.median(times):.2f} ms"
    )
    for name in sorted(per_section):
        values = per_section[name]
        print(
            f"  {name:14} {len(values):5,} articles  P@{args.limit} "
            f"{statistics.mean(values):.4f}"
        )


if __name__ == "__main__":
    main()
