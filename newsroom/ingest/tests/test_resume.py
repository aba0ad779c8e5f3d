"""SIGKILL in the middle of an import, then run it again: finished, no duplicates,
and the search index agreeing with the database.

The import runs as a real ``manage.py import_articles`` subprocess against
this test's database (SQLite file or PostgreSQL), killed with SIGKILL.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.db import connection

from newsroom.articles.models import Article, Byline
from newsroom.ingest.models import Provenance
from newsroom.search.models import IndexChange

from .conftest import index_agrees

ROOT = Path(__file__).resolve().parents[3]
COUNT = 5000
BATCH = 100


def child_env(tmp_path: Path, extra: str = "") -> dict:
    """Settings for the child: the test settings pointed at this test's DB
    (and ``extra``, lines of settings of its own)."""
    db = {
        k: connection.settings_dict.get(k)
        for k in ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT", "OPTIONS")
    }
    (tmp_path / "ingest_child_settings.py").write_text(
        "from newsroom.settings.test import *  # noqa\n"
        f"DATABASES = {{'default': {db!r}}}\n" + extra
    )
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ingest_child_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
    }


def cleanup(pid: int) -> None:
    """The child's test settings made a run directory named after its pid."""
    shutil.rmtree(
        Path(tempfile.gettempdir()) / f"newsroom-test-{pid}", ignore_errors=True
    )


def archive(path: Path) -> None:
    # Markdown syntax in every body keeps these on the full renderer, so the
    # import takes long enough to be killed halfway.
    with path.open("w") as fh:
        for n in range(COUNT):
            fh.write(
                json.dumps(
                    {
                        "id": f"k-{n}",
                        "title": f"Resumable story {n}",
                        "body": (
                            f"First *paragraph* of story {n}.\n\n"
                            "- a point\n- another\n\n"
                            f"> A quote, number {n}."
                        ),
                        "published": "2023-01-02T03:04:05Z",
                        "category": "Archive",
                        "author": f"Writer {n % 7}",
                        "url": f"https://kill.example/{n}",
                        "source": "Kill Test",
                    }
                )
                + "\n"
            )


def command(path: Path) -> list[str]:
    # --skip-checks: the child needs the models, not the URL conf's checks.
    return [
        sys.executable,
        "manage.py",
        "import_articles",
        str(path),
        "--skip-checks",
        "--batch-size",
        str(BATCH),
        "--progress",
        "lines",
    ]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_sigkill_then_rerun_finishes_without_duplicates(tmp_path, fresh_index):
    """Kill -9 mid-import leaves only whole batches (articles with their
    bylines, provenance and outbox rows); the re-run imports the rest, skips
    what is there, and the drained index holds exactly the public articles."""
    data = tmp_path / "archive.jsonl"
    archive(data)
    env = child_env(tmp_path)
    proc = subprocess.Popen(
        command(data), cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 120
        while Article.objects.count() < 3 * BATCH:
            assert proc.poll() is None, "import finished before it could be killed"
            assert time.monotonic() < deadline, "import wrote nothing in time"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    killed_at = Article.objects.count()
    assert 0 < killed_at < COUNT
    assert killed_at % BATCH == 0, "a batch was half-written"
    assert Byline.objects.count() == killed_at
    assert Provenance.objects.count() == killed_at
    assert set(IndexChange.objects.values_list("article_id", flat=True)) == set(
        Article.objects.values_list("pk", flat=True)
    )

    cleanup(proc.pid)
    rerun = subprocess.Popen(
        command(data),
        cwd=ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = rerun.communicate(timeout=300)
    cleanup(rerun.pid)
    assert rerun.returncode == 0, err[-2000:]
    assert (
        f"{COUNT} read, {COUNT - killed_at} created, 0 updated, "
        f"{killed_at} unchanged, 0 duplicates, 0 bad"
    ) in out
    assert Article.objects.count() == COUNT
    assert len(set(Article.objects.values_list("source_id", flat=True))) == COUNT
    assert Byline.objects.count() == COUNT
    in_index, expected = index_agrees(fresh_index)
    assert len(expected) == COUNT and in_index == expected
