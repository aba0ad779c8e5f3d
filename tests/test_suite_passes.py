"""How `make test` spends its two passes.

The PostgreSQL pass exists to run what touches the database on PostgreSQL.
A test that never opens the test database (a parser, a command run against
a SQLite file of its own, a ranking evaluation) gives the same answer on
both passes, so it runs once, on the SQLite pass; a test that does open it,
or that is marked ``postgres``, runs on both. The collection is what these
tests read: pytest's own, in a fresh process, on each pass's settings (no
database server is needed to collect)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# One file mixes tests that use the database with one that does not.
MIXED = "newsroom/core/tests/test_limits.py"
NO_DATABASE = "newsroom/core/tests/test_conf.py"
DB_FREE_IN_MIXED = f"{MIXED}::test_the_memo_of_refusals_is_bounded"
DB_TEST_IN_MIXED = f"{MIXED}::test_a_token_is_spent_once_even_when_raced"


def collected(database_url: str | None, paths=(MIXED, NO_DATABASE)) -> set[str]:
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    if database_url:
        env["TEST_DATABASE_URL"] = database_url
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q"]
        + ["-p", "no:cacheprovider", *paths],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return {line.strip() for line in done.stdout.splitlines() if "::" in line}


def test_the_sqlite_pass_runs_every_test():
    ids = collected(None)
    assert DB_FREE_IN_MIXED in ids and DB_TEST_IN_MIXED in ids
    assert any(i.startswith(NO_DATABASE) for i in ids)


def test_the_postgresql_pass_runs_only_what_touches_the_database():
    """No server answers at port 9: collecting needs none."""
    ids = collected("postgres://postgres@127.0.0.1:9/nowhere")
    assert DB_TEST_IN_MIXED in ids
    assert DB_FREE_IN_MIXED not in ids
    assert not any(i.startswith(NO_DATABASE) for i in ids)


def test_a_test_marked_postgres_runs_on_the_postgresql_pass_without_a_database():
    """The two-node test starts its servers on the pass's PostgreSQL itself
    (no ``db`` fixture): its ``postgres`` mark keeps it on that pass."""
    ids = collected("postgres://postgres@127.0.0.1:9/x", ["tests/test_two_nodes.py"])
    assert any(i.startswith("tests/test_two_nodes.py::") for i in ids)
