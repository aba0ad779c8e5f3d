"""Score the HTML importer's body extraction on the article-extraction benchmark.

    .venv/bin/python bench/extraction.py [BENCHMARK_DIR]

Uses the benchmark's own measure (see its RESULTS.md): texts become multisets
of 4-token shingles of \\w+ tokens; per page TP/FP/FN are normalised so they
sum to 1; precision and recall are averaged over pages; F1 is their harmonic
mean. Prints precision, recall, F1 and exact-match accuracy.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT.parent / "shared" / "data" / "article-extraction-benchmark"


def tokens(text: str) -> list[str]:
    return re.findall(r"\w+", text or "")


def shingles(text: str, n: int = 4) -> Counter:
    """4-token shingles; a text shorter than n tokens is one short shingle."""
    toks = tokens(text)
    return Counter(
        tuple(toks[i : i + n])
        for i in range(max(len(toks) - n + 1, 1))
        if toks[i : i + n]
    )


def page_scores(predicted: str, truth: str) -> tuple[float, float, float]:
    """(tp, fp, fn) for one page, normalised to sum to 1 so pages weigh the same."""
    pred, true = shingles(predicted), shingles(truth)
    tp = sum((pred & true).values())
    fp = sum((pred - true).values())
    fn = sum((true - pred).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return tp / (tp + fp)


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return tp / (tp + fn)


def score(pairs: list[tuple[str, str]]) -> dict[str, float]:
    """Macro precision over pages that predicted something, macro recall over
    pages with a ground truth, F1 of the two; accuracy = exact token match."""
    triples = [page_scores(pred, truth) for pred, truth in pairs]
    precisions = [_precision(*t) for t in triples if t[0] + t[1] > 0]
    recalls = [_recall(*t) for t in triples if t[0] + t[2] > 0]
    p = sum(precisions) / len(precisions) if precisions else 0.0
    r = sum(recalls) / len(recalls) if recalls else 0.0
    exact = sum(tokens(pred) == tokens(truth) for pred, truth in pairs)
    return {
        "precision": p,
        "recall": r,
        "f1": 2 * p * r / (p + r) if p + r else 0.0,
        "accuracy": exact / len(pairs),
        "pages": len(pairs),
    }


def main(argv: list[str]) -> int:
    bench_dir = Path(argv[1]) if len(argv) > 1 else DEFAULT
    if not (bench_dir / "ground-truth.json").exists():
        print(f"{bench_dir}: benchmark not found", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings.test")
    import django

    django.setup()
    from newsroom.ingest.importers import ReadContext, reader_for
    from newsroom.ingest.records import Record

    read_html = reader_for("html")

    truth = json.loads((bench_dir / "ground-truth.json").read_text(encoding="utf-8"))
    pairs, rejected, started = [], 0, time.monotonic()
    for page_id, item in sorted(truth.items()):
        # The importer's own reader, as `import_articles --format html` runs it;
        # a page it rejects (no title, no text) scores as an empty body.
        path = bench_dir / "html" / f"{page_id}.html.gz"
        items = list(read_html(path, ReadContext()))
        body = items[0].body if items and isinstance(items[0], Record) else ""
        rejected += not body
        pairs.append((body, item["articleBody"]))
    result = score(pairs)
    seconds = time.monotonic() - started
    print(
        f"pages {result['pages']}  precision {result['precision']:.3f}  "
        f"recall {result['recall']:.3f}  F1 {result['f1']:.3f}  "
        f"accuracy {result['accuracy']:.3f}  rejected {rejected}  ({seconds:.1f}s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
