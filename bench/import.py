"""Bulk import benchmark: generated articles into the database and the index.

    .venv/bin/python bench/import.py [--counts 100000 1000000] [--workers 2]
        [--database-url postgres://postgres@127.0.0.1:5432/test]

For each count: a fresh SQLite database under --dir (never the repository's
var/), or with --database-url a fresh PostgreSQL database created on that
server (``newsroom_bench_import_N``, dropped first; the search index stays
under --dir), ``manage.py import_articles`` on a JSON Lines file made by
``manage.py generate_articles`` (the synthetic archive, shared-data shape),
then the search indexer drains the outbox. Prints articles/s and the time of
each stage and in total, and checks that the index holds exactly the public
articles of the database. The generated file is made once for the largest
count and reused (article i is the same whatever the count, so a smaller
run reads a prefix with --limit).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

CHECK = """
import django; django.setup()
from newsroom.articles.models import Article
from newsroom.search.backends import get_backend
from newsroom.search.documents import indexable
db = set(indexable().values_list("pk", flat=True))
ids = get_backend().document_ids()
print(Article.objects.count(), len(db), len(ids), ids == db)
"""
DRAIN = """
import django; django.setup()
from newsroom.search.indexer import drain
drain(wait=60)
"""


def run(args: list[str], env: dict, label: str) -> tuple[float, str]:
    started = time.monotonic()
    proc = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    seconds = time.monotonic() - started
    if proc.returncode:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"{label} failed with exit code {proc.returncode}")
    return seconds, proc.stdout.strip()


def ensure_data(path: Path, count: int, seed: int, env: dict) -> None:
    if path.exists():
        return
    print(f"generating {count:,} articles into {path} ...", flush=True)
    seconds, out = run(
        [
            PYTHON,
            "manage.py",
            "generate_articles",
            "--skip-checks",
            "--count",
            str(count),
            "--seed",
            str(seed),
            "--end",
            "2026-01-01",
            "--output",
            str(path),
        ],
        env,
        "generate_articles",
    )
    print(f"  {out.splitlines()[-1] if out else ''} ({seconds:.0f}s)", flush=True)


def fresh_postgres(url: str, count: int) -> str:
    """A new, empty database on the server of ``url``; returns its URL."""
    import psycopg
    from psycopg import sql

    name = f"newsroom_bench_import_{count}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return url.rsplit("/", 1)[0] + "/" + name


def bench(
    count: int, data: Path, work: Path, workers: int, index: str, database_url: str = ""
) -> None:
    var = work / f"run-{count}"
    subprocess.run(["rm", "-rf", str(var)], check=True)
    var.mkdir(parents=True)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "newsroom.settings.dev",
        "NEWSROOM_VAR_DIR": str(var),
        "DEBUG": "false",
    }
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = fresh_postgres(database_url, count)
    run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v0", "--skip-checks"],
        env,
        "migrate",
    )
    started = time.monotonic()
    indexer = None
    if index == "concurrent":
        # As in production (make run): the indexer follows the outbox while
        # the import writes; on two cores they run side by side.
        indexer = subprocess.Popen(
            [PYTHON, "manage.py", "run_indexer", "--skip-checks", "--poll", "0.5"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    t_import, out = run(
        [
            PYTHON,
            "manage.py",
            "import_articles",
            str(data),
            "--skip-checks",
            "--limit",
            str(count),
            "--workers",
            str(workers),
            "--progress",
            "none",
        ],
        env,
        "import_articles",
    )
    where = "PostgreSQL" if database_url else "SQLite"
    print(
        f"{count:,} articles into {where}: import {t_import:.1f}s "
        f"({count / t_import:,.0f} articles/s) - {out}",
        flush=True,
    )
    if index == "none":
        return
    if indexer is not None:
        indexer.send_signal(signal.SIGTERM)  # it commits its batch and stops
        indexer.wait(timeout=600)
    t_rest, _ = run([PYTHON, "-c", DRAIN], env, "drain")  # what is left
    total = time.monotonic() - started
    _, check = run([PYTHON, "-c", CHECK], env, "check")
    rows, public, docs, agree = check.split()
    how = "indexer alongside, then the rest drained" if indexer else "drained after"
    print(
        f"{count:,} articles: index ({how}) done {t_rest:.1f}s after the import; "
        f"total {total:.1f}s ({count / total:,.0f} articles/s into DB and index) - "
        f"{rows} rows, {public} public, {docs} in the index, agree={agree}",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/newsroom-bench-import"))
    parser.add_argument(
        "--index",
        choices=["concurrent", "after", "none"],
        default="concurrent",
        help="run the indexer beside the import (as make run "
        "does), drain only after it, or skip the index",
    )
    parser.add_argument(
        "--database-url",
        default="",
        help="import into a fresh database on this PostgreSQL server instead of SQLite",
    )
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    biggest = max(args.counts)
    data = args.dir / f"synthetic-{args.seed}-{biggest}.jsonl.gz"
    gen_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "newsroom.settings.dev",
        "NEWSROOM_VAR_DIR": str(args.dir / "gen"),
    }
    ensure_data(data, biggest, args.seed, gen_env)
    print(
        f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; "
        f"{args.workers} rendering workers",
        flush=True,
    )
    for count in sorted(args.counts):
        bench(count, data, args.dir, args.workers, args.index, args.database_url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
