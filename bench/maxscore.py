"""Could the query's shape do what tantivy-py's collector does not: skip?

    .venv/bin/python bench/maxscore.py --var /tmp/search1m \\
        [--classes long,or] [--rounds 7]

tantivy-py 0.27 collects through a ``MultiCollector``, so block-max WAND
never runs and a union of words visits every match (docs/search.md, "What
is left"). MaxScore can be written as a query instead: order a union's term
queries by the most each can score (boost x idf x (k1 + 1)); the cheapest
ones, whose ceilings sum below the k-th best score, cannot lift an article
holding only them into the best k. Ask the others as one required union and
the cheap ones as optional clauses: only articles with an expensive word
are collected, and the cheap words are added to their scores. The best k
are the whole union's, by construction.

This bench gives the method every advantage: the split uses the exact k-th
score of the whole union (an oracle; a real page would first have to find
a lower bound for it). Each class's 40 queries (bench/search.py's, same
seed; a long question as the page asks it: relaxed, common words left out)
are searched for their best 200 (the recency page's window) uncounted, as
the page does: the whole union, the union with the cheap words optional
(one optional union), and the same with each cheap word its own nested
optional clause (seeked one by one). Printed: median ms of each per class
(this thread's CPU, median of ``--rounds`` per query, then over queries),
how many of the union's term queries could be made optional, the share of
document frequency left required, and whether every query's best 200 were
the same articles.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from pathlib import Path

from search import pick_queries, setup_django

K = 200  # the recency page's window: the best hits the blend re-ranks


def median_ms(searcher, query, rounds: int) -> float:
    """Median ms of this thread's CPU for ``query``'s best K, uncounted."""
    searcher.search(query, K, count=False)  # warm
    spent = []
    for _ in range(rounds):
        started = time.thread_time()
        searcher.search(query, K, count=False)
        spent.append((time.thread_time() - started) * 1000)
    return statistics.median(spent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--var", type=Path, required=True)
    parser.add_argument("--classes", default="long,or")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not (args.var / "search" / "current").exists():
        raise SystemExit(f"{args.var} holds no index: build one with bench/search.py")
    setup_django(args.var)
    from django.utils import timezone
    from tantivy import Occur, Query

    from newsroom.search import analysis
    from newsroom.search.backends import get_backend
    from newsroom.search.backends.base import SearchRequest
    from newsroom.search.backends.tantivy_cost import freq, strip_common
    from newsroom.search.query import Word, parse

    backend = get_backend()
    searcher = backend.searcher()
    compiler = backend.compiler
    now = timezone.now()
    queries = pick_queries(args.seed)

    def term(spec) -> Query:
        name, token, boost = spec
        return Query.boost_query(Query.term_query(compiler.schema, name, token), boost)

    def union(specs) -> Query:
        return Query.boolean_query([(Occur.Should, term(s)) for s in specs])

    print(
        f"best {K} uncounted, ms of this thread's CPU (median of {args.rounds} "
        f"a query, then of the queries); the split from the exact {K}th score"
    )
    print(
        "| class | queries | whole union | cheap words optional | each nested "
        "| optional / term queries | df left required | same best |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for name in [c for c in args.classes.split(",") if c]:
        rows = []
        for text in queries[name]:
            q = parse(text)
            if name == "long":
                q = strip_common(searcher, q.relaxed(), backend.common_min_docs)
            compiled = backend._compile(searcher, SearchRequest(q, now=now), now)[2]
            if compiled.rank is None or compiled.pruned is not None:
                continue  # not a flat union of words (or one word: pruned already)
            if len(q.must) != 1 or not all(
                isinstance(a, Word) for a in q.must[0].atoms
            ):
                continue
            specs = [
                (field, analysis.analyze_word(atom.text)[0], boost)
                for atom in q.must[0].atoms
                for field, boost in compiler.boosts.items()
                if boost > 0
            ]
            whole = searcher.search(compiled.rank, K, count=False).hits
            if len(whole) < K:
                continue
            found = backend._bm25_constants(
                searcher, compiled.rank, [a for _, a in whole[:3]]
            )
            if found is None:
                continue
            n, k1 = found
            ceilings = []
            for spec in specs:
                df = freq(searcher, spec[0], spec[1])
                idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
                ceilings.append((spec[2] * idf * (k1 + 1) * (1 + 1e-6), df, spec))
            ceilings.sort(key=lambda c: c[0])
            kth, below, cheap = whole[-1][0], 0.0, 0
            while cheap < len(ceilings) and below + ceilings[cheap][0] < kth:
                below += ceilings[cheap][0]
                cheap += 1
            if not cheap:
                continue
            optional = [c[2] for c in ceilings[:cheap]]
            required = union(c[2] for c in ceilings[cheap:])
            flat = Query.boolean_query(
                [(Occur.Must, required), *((Occur.Should, term(s)) for s in optional)]
            )
            nested = required
            for spec in optional:
                nested = Query.boolean_query(
                    [(Occur.Must, nested), (Occur.Should, term(spec))]
                )
            asked = (compiled.rank, flat, nested)
            best = {(a.segment_ord, a.doc) for _, a in whole}
            same = all(
                {(a.segment_ord, a.doc) for _, a in searcher.search(x, K).hits} == best
                for x in asked[1:]
            )
            rows.append(
                (
                    *(median_ms(searcher, x, args.rounds) for x in asked),
                    cheap / len(specs),
                    sum(c[1] for c in ceilings[cheap:]) / sum(c[1] for c in ceilings),
                    same,
                )
            )
        if not rows:
            print(f"| {name} | 0 | - | - | - | - | - | - |")
            continue
        med = [statistics.median(r[i] for r in rows) for i in range(5)]
        print(
            f"| {name} | {len(rows)} | {med[0]:.2f} | {med[1]:.2f} | {med[2]:.2f} "
            f"| {med[3]:.0%} | {med[4]:.0%} | {all(r[5] for r in rows)} |"
        )


if __name__ == "__main__":
    main()
