"""The test settings' scratch directory (RUN_DIR, named by the process id)
does not outlive the process that made it: every process that loads the
test settings (a test's server, a ``manage.py`` run, mypy's Django plugin)
made one in the temporary directory and left it there, a dozen a suite run."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _child(code: str) -> subprocess.CompletedProcess:
    """``code`` run by a Python process of its own, under the test settings."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "newsroom.settings.test"}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def test_a_process_that_loads_the_test_settings_leaves_no_scratch_dir():
    code = (
        "import os, sys, django\n"
        "django.setup()\n"
        "from django.conf import settings\n"
        "assert settings.RUN_DIR.is_dir()\n"
        "print(os.getpid(), settings.RUN_DIR, flush=True)\n"
    )
    done = _child(code)
    pid, run_dir = done.stdout.split()
    assert Path(run_dir) == Path(tempfile.gettempdir()) / f"newsroom-test-{pid}"
    assert not Path(run_dir).exists(), f"{run_dir} outlived its process"


def test_a_stale_scratch_dir_of_a_dead_process_with_the_same_pid_is_not_reused():
    """Process ids come round again: a directory named by this process's id
    was left by a dead one (no live process shares an id), and its database
    or index must not leak into this run. It is emptied when the settings
    load, and removed when the process ends."""
    code = (
        "import os, tempfile\n"
        "from pathlib import Path\n"
        "stale = Path(tempfile.gettempdir()) / f'newsroom-test-{os.getpid()}'\n"
        "(stale / 'search').mkdir(parents=True)\n"
        "(stale / 'search' / 'left-by-a-dead-run').write_text('x')\n"
        "import django\n"
        "django.setup()\n"
        "from django.conf import settings\n"
        "assert settings.RUN_DIR == stale\n"
        "left = (stale / 'search' / 'left-by-a-dead-run').exists()\n"
        "print(os.getpid(), stale, left)\n"
    )
    done = _child(code)
    _, run_dir, left = done.stdout.split()
    assert left == "False", "the dead run's index was still there"
    assert not Path(run_dir).exists(), f"{run_dir} outlived its process"


def test_the_scratch_dir_of_this_process_is_its_own(settings):
    # The pytest process's own directory holds its database and index; it is
    # removed at the session's end (conftest.py), not by another process.
    assert settings.RUN_DIR.name == f"newsroom-test-{os.getpid()}"
    assert settings.RUN_DIR.is_dir()
