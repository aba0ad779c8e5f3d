"""Search quality on a test collection: the production engine, scored by ranx.

A collection is a directory in the format of ``shared/data/ir/``:
``docs.jsonl.gz`` (``id``, ``title``, ``body``, ``author``), ``queries.tsv``
(``qid<TAB>text``) and TREC ``qrels.txt`` (``qid 0 docid rel``).
``evaluate()`` indexes the documents into a temporary index built by the
default backend's class with the default backend's options (analysis,
schema, field boosts and ranking are therefore the site's), runs every query
through ``service.run`` (the results page's own pipeline: parser, relaxed
retry for long queries, respelling) and scores the runs with ranx.

Collections have no dates: every document gets the same ``UNDATED`` date, so
the ``recent`` sort multiplies every score by the same factor and ranks as
``relevance`` does.
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.utils.text import slugify

from .backends import backend_config, load_backend
from .backends.base import IndexDocument, SearchBackend, Sort
from .query import clean
from .service import Params, run

DEPTH = 1000  # documents kept per query, as trec_eval's runs
UNDATED = datetime(2000, 1, 1, tzinfo=UTC)
SORTS = (Sort.RELEVANCE, Sort.RECENT)
FILES = ("docs.jsonl.gz", "queries.tsv", "qrels.txt")
NO_RESULT = "__no_result__"  # stands in for an empty ranking (ranx needs one)


class CollectionError(ValueError):
    """The directory is not a readable test collection; the message says why."""


@dataclass
class Collection:
    name: str
    docs: list[dict]
    queries: list[tuple[str, str]]
    qrels: dict[str, dict[str, int]]  # judged queries only, relevant docs only
    unknown_judged: int = 0  # qrels lines naming a document not in docs


@dataclass
class Report:
    name: str
    queries: int  # judged queries scored
    scores: dict[str, float]  # MAP, nDCG@k, P@k
    reference: dict[str, float] | None = None  # the README's BM25 run
    relaxed: int = 0  # queries answered by the any-word retry
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def is_collection(path: Path) -> bool:
    return all((path / name).is_file() for name in FILES)


def collections_in(path: Path) -> list[Path]:
    """``path`` itself when it is a collection, else its collection subdirectories."""
    path = Path(path)
    if not path.is_dir():
        raise CollectionError(f"{path} is not a directory")
    if is_collection(path):
        return [path]
    found = sorted(p for p in path.iterdir() if p.is_dir() and is_collection(p))
    if not found:
        missing = [n for n in FILES if not (path / n).is_file()]
        raise CollectionError(
            f"{path} is not a test collection (missing {', '.join(missing)}) "
            "and has no subdirectory that is one"
        )
    return found


def load_collection(path: Path) -> Collection:
    path = Path(path)
    for name in FILES:
        if not (path / name).is_file():
            raise CollectionError(f"{path / name} is missing")
    docs = []
    try:
        with gzip.open(path / "docs.jsonl.gz", "rt", encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    doc = json.loads(line)
                    doc["id"] = str(doc["id"])
                except (ValueError, KeyError, TypeError) as exc:
                    raise CollectionError(
                        f"{path / 'docs.jsonl.gz'} line {n}: not a document with an "
                        f"id ({exc})"
                    ) from None
                docs.append(doc)
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise CollectionError(f"{path / 'docs.jsonl.gz'}: {exc}") from None
    queries = []
    for n, line in enumerate(_lines(path / "queries.tsv"), 1):
        qid, tab, text = line.partition("\t")
        if not tab or not qid.strip():
            raise CollectionError(f"{path / 'queries.tsv'} line {n}: not qid<TAB>text")
        queries.append((qid.strip(), text))
    ids = {d["id"] for d in docs}
    qrels: dict[str, dict[str, int]] = {}
    unknown = 0
    for n, line in enumerate(_lines(path / "qrels.txt"), 1):
        parts = line.split()
        if len(parts) != 4 or not re.fullmatch(r"-?\d+", parts[3]):
            raise CollectionError(
                f"{path / 'qrels.txt'} line {n}: not 'qid 0 docid rel'"
            )
        qid, _, docid, rel = parts
        if docid not in ids:
            unknown += 1
        if int(rel) > 0:  # rel 0 is judged not relevant: the same as unjudged
            qrels.setdefault(qid, {})[docid] = int(rel)
    if not docs:
        raise CollectionError(f"{path / 'docs.jsonl.gz'} holds no documents")
    asked = {q for q, _ in queries}
    if not qrels.keys() & asked:
        raise CollectionError(
            f"{path}: no query in queries.tsv has a relevant document"
        )
    return Collection(path.name, docs, queries, qrels, unknown)


def _lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CollectionError(f"{path}: {exc}") from None
    return [ln.rstrip("\r") for ln in text.split("\n") if ln.strip()]


def to_document(number: int, doc: dict) -> IndexDocument:
    """A collection document in the site's shape: title is the headline, the
    abstract the body, authors the byline. ``number`` (from 1) is the index id."""
    authors = [a.strip() for a in str(doc.get("author") or "").split(";")]
    return IndexDocument(
        id=number,
        headline=str(doc.get("title") or ""),
        body=str(doc.get("body") or ""),
        published_at=UNDATED,
        authors=tuple((slugify(a)[:100] or "author", a) for a in authors if a),
    )


def build_index(
    collection: Collection, path: Path, options: dict | None = None
) -> SearchBackend:
    """The default backend's class and options (``options`` override some,
    to measure a ranking change), with the index under ``path``."""
    config = backend_config("default")
    options = {**config.get("OPTIONS", {}), **(options or {}), "PATH": str(path)}
    backend = load_backend(config["BACKEND"], "evaluation", options)
    with backend.writer(wait=10) as writer:
        writer.upsert(to_document(n, d) for n, d in enumerate(collection.docs, 1))
        writer.commit(0)
        writer.seal(len(collection.docs))
        if writer.created:
            writer.make_live()
    return backend


def run_queries(
    backend: SearchBackend, collection: Collection, sort: str, depth: int = DEPTH
) -> tuple[dict[str, dict[str, float]], int]:
    """Each query's top ``depth`` as {qid: {docid: score}} (scores fall with
    rank, so ranx keeps our order exactly), and how many were relaxed."""
    ids = [d["id"] for d in collection.docs]
    out: dict[str, dict[str, float]] = {}
    relaxed = 0
    for qid, text in collection.queries:
        outcome = run(
            Params(q=clean(text), sort=sort),
            backend,
            log=False,
            limit=depth,
            details=False,
            use_aliases=False,
            check_public=False,
        )
        hits = outcome.results.hits if outcome.results else []
        out[qid] = {ids[h.id - 1]: float(depth - rank) for rank, h in enumerate(hits)}
        relaxed += outcome.relaxed
    return out, relaxed


def score(
    qrels: dict[str, dict[str, int]], runs: dict[str, dict[str, float]], k: int = 10
) -> tuple[int, dict[str, float]]:
    """(queries scored, {MAP, nDCG@k, P@k}) over the queries with a relevant
    document, as trec_eval averages them; a query with no hits scores 0."""
    from ranx import Qrels, Run, evaluate  # numba compiles on first import

    # Document ids become numbers of one fixed width: ranx's numba kernels are
    # compiled (and cached on disk) per string width, which would otherwise
    # cost a fresh compilation for nearly every collection.
    number: dict[str, str] = {}

    def key(docid: str) -> str:
        return number.setdefault(docid, f"{len(number):012d}")

    judged = {
        q: {key(d): rel for d, rel in docs.items()} for q, docs in qrels.items() if docs
    }
    run = {}
    for q in judged:
        # ranx cannot hold an empty ranking: a document that is not judged
        # scores exactly what no result scores (zero).
        ranked = runs.get(q) or {NO_RESULT: 0.0}
        run[q] = {key(d): s for d, s in ranked.items()}
    names = {"map": "MAP", f"ndcg@{k}": f"nDCG@{k}", f"precision@{k}": f"P@{k}"}
    values = evaluate(
        Qrels.from_dict(judged), Run.from_dict(run), list(names), make_comparable=True
    )
    return len(judged), {names[m]: float(v) for m, v in values.items()}


_ROW = re.compile(
    r"^\|\s*`?(\w+)`?\s*\|\s*(\d+)\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*"
    r"\|\s*([\d.]+)\s*\|\s*$"
)


def reference_figures(path: Path) -> dict[str, float] | None:
    """The BM25 reference run's figures for this collection, from the README of
    the directory holding it (the table under "Reference run"), if any."""
    readme = Path(path).resolve().parent / "README.md"
    try:
        text = readme.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    _, found, table = text.partition("## Reference run")
    for line in table.splitlines() if found else ():
        m = _ROW.match(line.strip())
        if m and m.group(1) == Path(path).name:
            return {
                "queries": float(m.group(2)),
                "MAP": float(m.group(3)),
                "nDCG@10": float(m.group(4)),
                "P@10": float(m.group(5)),
            }
    return None


def evaluate(
    path: Path,
    k: int = 10,
    sort: str = Sort.RELEVANCE,
    progress: Callable[[str], None] | None = None,
    options: dict | None = None,
) -> Report:
    """Index the collection at ``path`` into a temporary index, run and score
    every query; the temporary index is deleted whatever happens."""
    if sort not in SORTS:
        raise CollectionError(f"sort must be one of {', '.join(SORTS)}")
    if k < 1:
        raise CollectionError("k must be at least 1")
    started = time.monotonic()
    collection = load_collection(path)
    tmp = Path(tempfile.mkdtemp(prefix=f"newsroom-eval-{collection.name}-"))
    try:
        if progress:
            progress(f"{collection.name}: indexing {len(collection.docs)} documents")
        backend = build_index(collection, tmp / "index", options)
        if progress:
            progress(f"{collection.name}: {len(collection.queries)} queries")
        runs, relaxed = run_queries(backend, collection, sort)
        del backend  # close the index before its files go
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    queries, scores = score(collection.qrels, runs, k)
    report = Report(
        collection.name,
        queries,
        scores,
        reference_figures(path) if k == 10 else None,
        relaxed,
        time.monotonic() - started,
    )
    if collection.unknown_judged:
        report.notes.append(
            f"{collection.unknown_judged} qrels lines name unknown documents"
        )
    return report
