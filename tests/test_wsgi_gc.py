"""The WSGI module leaves what it loaded out of the cyclic collector's scans."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wsgi_application_freezes_what_it_loaded(tmp_path):
    """After ``import newsroom.wsgi`` (what granian and gunicorn load in each
    worker) the objects loaded so far are frozen: a full collection walks
    only what requests create since. With nothing frozen, one took ~70 ms at
    1M articles (docs/search-benchmarks.md, "The page's own cost, a third time")."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "newsroom.settings.test",
        "NEWSROOM_VAR_DIR": str(tmp_path),
    }
    env.pop("DATABASE_URL", None)
    code = (
        "import gc; before = gc.get_freeze_count(); import newsroom.wsgi; "
        "print(before, gc.get_freeze_count(), len(gc.get_objects()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.split()
    before, frozen, tracked = map(int, out)
    assert before == 0
    assert frozen > 50_000  # Django and the apps
    assert tracked < frozen // 10  # what is still scanned: little
