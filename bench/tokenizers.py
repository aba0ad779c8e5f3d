"""What tokenizing costs the index: tantivy's tokenizers on generated bodies.

    .venv/bin/python bench/tokenizers.py [--docs 10000] [--seed 7]

Indexes the bodies of ``--docs`` synthetic articles (the generator behind
``manage.py generate_articles``) into a throwaway index, one field, one
indexing thread, once per analyzer, and prints the CPU time per document
of this process (Python's document building plus tantivy's threads). The
analyzer the site uses is marked; the regex tokenizer it replaced is there
for comparison.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings.dev")

# The tokenizer the index used before (kept here only to compare against).
OLD_PATTERN = (
    r"\d{1,3}(?:,\d{3})+(?:\.\d+)?"
    r"|\d+(?:\.\d+)?"
    r"|(?:\p{L}\.){2,}"
    r"|\w+(?:['’]\w+)*"
)


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def analyzers():
    import tantivy

    from newsroom.search import analysis

    F = tantivy.Filter

    def build(tokenizer, stem: bool):
        b = tantivy.TextAnalyzerBuilder(tokenizer).filter(F.remove_long(60))
        b = b.filter(F.lowercase()).filter(F.ascii_fold())
        if stem:
            b = b.filter(F.stemmer("english"))
        return b.build()

    return [
        ("site analyzer (simple, stemmed)  *", analysis.analyzer(analysis.STEMMED)),
        ("simple, not stemmed", build(tantivy.Tokenizer.simple(), False)),
        ("regex (old), stemmed", build(tantivy.Tokenizer.regex(OLD_PATTERN), True)),
        (
            "regex (old), not stemmed",
            build(tantivy.Tokenizer.regex(OLD_PATTERN), False),
        ),
    ]


def bodies(count: int, seed: int) -> list[str]:
    import django

    django.setup()
    from newsroom.ingest.synthetic import (
        ArchiveGenerator,
        default_end,
        load_vocabulary,
    )

    gen = ArchiveGenerator(seed, default_end(), load_vocabulary())
    return [gen.article(i).body for i in range(count)]


def measure(texts: list[str], analyzer, work: Path) -> tuple[float, float]:
    import tantivy

    sb = tantivy.SchemaBuilder()
    sb.add_text_field("body", stored=False, tokenizer_name="x")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    index = tantivy.Index(sb.build(), path=str(work))
    index.register_tokenizer("x", analyzer)
    writer = index.writer(256_000_000, 1)
    started, used = time.monotonic(), cpu()
    for text in texts:
        doc = tantivy.Document()
        doc.add_text("body", text)
        writer.add_document(doc)
    writer.commit()
    writer.wait_merging_threads()
    return time.monotonic() - started, cpu() - used


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    texts = bodies(args.docs, args.seed)
    chars = sum(map(len, texts)) / len(texts)
    print(
        f"{len(texts):,} synthetic bodies, {chars:,.0f} characters on average; "
        f"load {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory(prefix="newsroom-tok-") as tmp:
        for name, analyzer in analyzers():
            wall, used = measure(texts, analyzer, Path(tmp) / "index")
            print(
                f"  {name:36} {used / len(texts) * 1e6:6.0f} us CPU/doc "
                f"({wall:.2f} s wall)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
