"""Search beside a peer: SQLite FTS5 on the same articles, the same queries.

    .venv/bin/python bench/search_peers.py --var /tmp/search1m [--rounds 3]
        [--classes common,rare,two-three,phrase,or,long] [--rebuild-fts]

The var dir is a build of ``bench/search.py --var`` (its SQLite database and
tantivy index are read, never changed). Beside them this writes
``DIR/peers/fts5.sqlite3``: an FTS5 table (``porter unicode61
remove_diacritics 2``: lower case, folded accents and an English stemmer,
as the site's analysis) filled with exactly the text the site indexes
(``newsroom.search.documents.all_documents``: headline, standfirst, the
body's plain text, and section, tag and author names), ``rowid`` the
article's id, no content stored (``content=''``). It is kept for the next
run unless ``--rebuild-fts``.

Then, per query class (``bench/search.py``'s 40 queries, same seed), in this
process, one thread, after a warm-up pass, ``--rounds`` passes:

* **FTS5**: the ten best by ``bm25(fts, 1.0, 1.5, 1.0, 0.5)`` (the site's
  field weights: headline, standfirst, body, names), ``ORDER BY ... LIMIT
  10``; no count, no snippets.
* **tantivy**: the site's own compiled query, its ten best by BM25
  (``searcher.search(query, 10)``), no count: the engine alone.
* **newsroom**: the results page's request to the backend as
  ``bench/search.py`` times it (recency blend over the best 200, facets,
  highlighting, the total), facet cache off.

Both engines are asked the same words: a long question is asked as the
site's relaxed any-word query after the site leaves out the words most
articles hold (``strip_common``), which an FTS5 site would do as well; two
or three words are an AND, an OR an OR, a phrase a phrase. Prints p50 and
p99 (ms) and the ratio of medians, FTS5 over tantivy, and the build's time
and size for FTS5 (tantivy's are ``bench/search.py``'s).
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import time
from pathlib import Path

from search import CLASSES, pct, pick_queries, setup_django

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = (1.0, 1.5, 1.0, 0.5)  # headline, standfirst, body, names


def fts_text(query) -> str:
    """The site's parsed query as an FTS5 query: AND of clauses, OR within."""
    from newsroom.search.query import Phrase

    def atom(a) -> str:
        if isinstance(a, Phrase):
            return '"' + " ".join(w.replace('"', "") for w in a.words) + '"'
        text = '"' + a.text.replace('"', "") + '"'
        return text + "*" if a.prefix else text

    parts = []
    for clause in query.must:
        atoms = [atom(a) for a in clause.atoms]
        parts.append(atoms[0] if len(atoms) == 1 else "(" + " OR ".join(atoms) + ")")
    return " AND ".join(parts)


def build_fts(path: Path) -> dict:
    from newsroom.search.documents import all_documents

    path.parent.mkdir(parents=True, exist_ok=True)
    filling = path.with_name(path.name + ".filling")  # renamed once complete
    for stale in path.parent.glob(path.name + "*"):
        stale.unlink()
    db = sqlite3.connect(filling)
    db.executescript(
        """
        PRAGMA journal_mode = OFF;
        PRAGMA synchronous = OFF;
        CREATE VIRTUAL TABLE fts USING fts5(
            headline, standfirst, body, names,
            content = '', tokenize = 'porter unicode61 remove_diacritics 2'
        );
        """
    )
    started = time.perf_counter()
    count = 0
    batch: list[tuple] = []

    def flush() -> None:
        db.executemany(
            "INSERT INTO fts (rowid, headline, standfirst, body, names) "
            "VALUES (?, ?, ?, ?, ?)",
            batch,
        )
        batch.clear()

    for doc in all_documents():
        # (slug, name) pairs: the names, as the site's names field holds.
        names = " ".join(n for _, n in [doc.section, *doc.tags, *doc.authors])
        batch.append((doc.id, doc.headline, doc.standfirst, doc.body, names))
        count += 1
        if len(batch) >= 2000:
            flush()
            if count % 100_000 == 0:
                print(f"  {count:,} articles", flush=True)
    flush()
    db.execute("INSERT INTO fts (fts) VALUES ('optimize')")
    db.commit()
    took = time.perf_counter() - started
    db.close()
    filling.rename(path)
    return {"docs": count, "seconds": took, "bytes": path.stat().st_size}


def timed(fn, items: list, rounds: int) -> list[float]:
    for item in items:  # warm-up: pages in the page cache, caches filled
        fn(item)
    times = []
    for _ in range(rounds):
        for item in items:
            t = time.perf_counter()
            fn(item)
            times.append((time.perf_counter() - t) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--var", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--classes", default="common,rare,two-three,phrase,or,long")
    parser.add_argument("--rebuild-fts", action="store_true")
    args = parser.parse_args()
    if not (args.var / "search" / "current").exists():
        raise SystemExit(f"{args.var} holds no index: build one with bench/search.py")
    wanted = [c for c in args.classes.split(",") if c]
    if any(c not in CLASSES or c == "suggest" for c in wanted):
        raise SystemExit("classes: common, rare, two-three, phrase, or, long")
    setup_django(args.var)
    from django.utils import timezone

    from newsroom.search import service
    from newsroom.search.backends import get_backend
    from newsroom.search.backends.base import SearchRequest, Sort
    from newsroom.search.backends.tantivy_cost import strip_common
    from newsroom.search.query import parse

    fts_path = args.var / "peers" / "fts5.sqlite3"
    if args.rebuild_fts or not fts_path.exists():
        print(f"filling FTS5 at {fts_path} ...", flush=True)
        built = build_fts(fts_path)
        print(
            f"  FTS5: {built['docs']:,} articles in {built['seconds']:.0f} s "
            f"({built['docs'] / built['seconds']:,.0f} docs/s), "
            f"{built['bytes'] / 1e6:,.0f} MB",
            flush=True,
        )
    else:
        print(f"FTS5 kept at {fts_path}: {fts_path.stat().st_size / 1e6:,.0f} MB")

    backend = get_backend()
    backend.counter.cache_seconds = 0
    searcher = backend.searcher()
    db = sqlite3.connect(f"file:{fts_path}?mode=ro", uri=True)
    db.execute("PRAGMA cache_size = -262144")  # 256 MB of pages, as the OS keeps
    order = "bm25(fts, " + ", ".join(str(w) for w in WEIGHTS) + ")"
    sql = f"SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY {order} LIMIT 10"
    queries = pick_queries(args.seed)
    now = timezone.now()
    rows = []
    for name in wanted:
        parsed = []
        for text in queries[name]:
            q = parse(text)
            if name == "long":
                q = strip_common(searcher, q.relaxed(), backend.common_min_docs)
            parsed.append(q)
        requests = [
            SearchRequest(
                q, sort=Sort.RECENT, limit=service.PAGE_SIZE, facets=True, now=now
            )
            for q in parsed
        ]
        compiled = [
            backend._compile(searcher, SearchRequest(q, now=now), now)[2]
            for q in parsed
        ]
        fts = timed(
            lambda q: db.execute(sql, (fts_text(q),)).fetchall(), parsed, args.rounds
        )
        tan = timed(
            lambda c: searcher.search(c.rank or c.query, 10, count=False).hits,
            compiled,
            args.rounds,
        )
        page = timed(backend.search, requests, args.rounds)
        row = {
            "class": name,
            "fts": (pct(fts, 50), pct(fts, 99)),
            "tantivy": (pct(tan, 50), pct(tan, 99)),
            "page": (pct(page, 50), pct(page, 99)),
        }
        rows.append(row)
        print(
            f"  {name:10} FTS5 p50 {row['fts'][0]:8.2f} ms p99 {row['fts'][1]:8.2f}"
            f"  tantivy p50 {row['tantivy'][0]:6.2f} p99 {row['tantivy'][1]:6.2f}"
            f"  newsroom page p50 {row['page'][0]:6.2f} p99 {row['page'][1]:6.2f}",
            flush=True,
        )
    docs = db.execute("SELECT count(*) FROM fts_docsize").fetchone()[0]
    print(
        f"\n{docs:,} articles; {args.rounds} rounds of 40 queries a class after a "
        "warm-up pass; one thread, in process; ms"
    )
    print(
        "| class | FTS5 top 10 p50 / p99 | tantivy top 10 p50 / p99 | FTS5 / tantivy "
        "(p50) | newsroom page request p50 / p99 |"
    )
    print("|---|---|---|---:|---|")
    for r in rows:
        ratio = r["fts"][0] / r["tantivy"][0] if r["tantivy"][0] else float("inf")
        print(
            f"| {r['class']} | {r['fts'][0]:.2f} / {r['fts'][1]:.2f} | "
            f"{r['tantivy'][0]:.2f} / {r['tantivy'][1]:.2f} | {ratio:,.1f} | "
            f"{r['page'][0]:.2f} / {r['page'][1]:.2f} |"
        )
    ratios = [r["fts"][0] / r["tantivy"][0] for r in rows if r["tantivy"][0]]
    if ratios:
        print(f"median of the classes' ratios: {statistics.median(ratios):,.1f}")


if __name__ == "__main__":
    main()
