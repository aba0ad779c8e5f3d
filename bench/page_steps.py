"""Where a results page's CPU goes, step by step, in process.

    .venv/bin/python bench/page_steps.py --var /tmp/search1m \\
        [--classes long,two-three] [--rounds 5]

The index is a build made by ``bench/search.py --var`` (kept, not changed).
Each class's 40 queries (bench/search.py's, same seed) go through Django's
test client as a reader's GET of ``/search/?q=...``, with the facet cache
off, once to warm up and then ``--rounds`` times. Each step is timed by a
wrapper around its function (this thread's CPU time, so what another
process does is not counted), and the table gives milliseconds a page. A
step's time includes the steps it calls: the backend's search holds the
top-k, the facets and the highlighting. A wrapper costs ~1.4 us a call
(median of 7 runs of 200,000 calls of a function that does nothing), and
a page makes some 25 such calls: ~0.035 ms of the whole page's time.
"""

from __future__ import annotations

import argparse
import functools
import gc
import sys
import time
import urllib.parse
from collections import defaultdict
from pathlib import Path

from search import CLASSES, pick_queries, setup_django

ROOT = Path(__file__).resolve().parent.parent

# (label, module, owner attribute or None, function name), outermost first.
STEPS = (
    ("the view", "newsroom.search.views", None, "results"),
    ("the search service", "newsroom.search.views", None, "run"),
    (
        "the backend's search",
        "newsroom.search.backends.tantivy",
        "TantivyBackend",
        "search",
    ),
    ("top-k", "newsroom.search.backends.tantivy", "TantivyBackend", "_ranked"),
    (
        "best-hits facets",
        "newsroom.search.backends.tantivy",
        "TantivyBackend",
        "_best_counts",
    ),
    (
        "long-question probe",
        "newsroom.search.backends.tantivy",
        "TantivyBackend",
        "matches_at_least",
    ),
    ("highlighting", "newsroom.search.backends.tantivy", None, "highlight_hits"),
    ("public check", "newsroom.search.service", None, "public_only"),
    ("hits' documents", "newsroom.search.backends.tantivy", "TantivyBackend", "_hit"),
    ("compiling", "newsroom.search.backends.tantivy", "TantivyBackend", "_compile"),
    ("facet groups", "newsroom.search.views", None, "_facet_groups"),
    ("hits' HTML", "newsroom.search.views", None, "hits_html"),
    ("the page frame", "newsroom.search.views", None, "results_page"),
    ("parameters", "newsroom.search.views", None, "read_params"),
    ("rate limit", "newsroom.search.views", None, "_limited"),
    ("query log", "newsroom.search.service", "analytics", "record"),
)


def wrap(spent: dict, label: str, module: str, owner: str | None, name: str) -> None:
    """Replace ``module[.owner].name`` with a timer of itself (thread CPU)."""
    target = (
        sys.modules[module] if owner is None else getattr(sys.modules[module], owner)
    )
    inner = getattr(target, name)
    if isinstance(target, type) and isinstance(target.__dict__.get(name), staticmethod):
        raise SystemExit(f"{owner}.{name} is a static method: not wrapped")
    clock = time.thread_time

    @functools.wraps(inner)
    def timed(*args, **kwargs):
        started = clock()
        try:
            return inner(*args, **kwargs)
        finally:
            spent[label] += clock() - started

    setattr(target, name, timed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--var", type=Path, required=True, help="a bench/search.py var dir"
    )
    parser.add_argument("--classes", default="long,two-three,common")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not (args.var / "search" / "current").exists():
        raise SystemExit(
            f"{args.var} holds no index: build one with bench/search.py --var"
        )
    wanted = [c for c in args.classes.split(",") if c]
    unknown = [c for c in wanted if c not in CLASSES or c == "suggest"]
    if unknown:
        raise SystemExit(f"not a results-page class: {', '.join(unknown)}")
    setup_django(args.var)
    from django.test import Client

    import newsroom.search.backends.tantivy  # noqa: F401 - wrapped below
    import newsroom.search.service  # noqa: F401
    import newsroom.search.views  # noqa: F401

    spent: dict[str, float] = defaultdict(float)
    for step in STEPS:
        wrap(spent, *step)
    gc.freeze()  # as newsroom/wsgi.py does in each server worker
    client = Client(HTTP_HOST="127.0.0.1")
    queries = pick_queries(args.seed)
    table: dict[str, dict[str, float]] = {}
    for name in wanted:
        paths = ["/search/?" + urllib.parse.urlencode({"q": q}) for q in queries[name]]
        for path in paths:  # warm up: the index's pages, the code book, caches
            response = client.get(path)
            if response.status_code != 200:
                raise SystemExit(f"{path}: HTTP {response.status_code}")
        spent.clear()
        started = time.thread_time()
        for _ in range(args.rounds):
            for path in paths:
                client.get(path)
        pages = args.rounds * len(paths)
        row = {"the whole page (test client)": (time.thread_time() - started)}
        row.update({label: spent.get(label, 0.0) for label, *_ in STEPS})
        table[name] = {k: v * 1000 / pages for k, v in row.items()}
    print(
        f"ms of this thread's CPU a page, {args.rounds} rounds of 40 queries a class, "
        f"facet cache off; index {args.var}"
    )
    print("| step | " + " | ".join(wanted) + " |")
    print("|---|" + "---:|" * len(wanted))
    for label in table[wanted[0]]:
        print(
            f"| {label} | "
            + " | ".join(f"{table[c][label]:.2f}" for c in wanted)
            + " |"
        )


if __name__ == "__main__":
    main()
