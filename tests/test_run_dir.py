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


def test_a_process_that_loads_the_test_settings_leaves_no_scratch_dir():
    code = (
        "import os, sys, django\n"
        "django.setup()\n"
        "from django.conf import settings\n"
        "assert settings.RUN_DIR.is_dir()\n"
        "print(os.getpid(), settings.RUN_DIR, flush=True)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "newsroom.settings.test"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    pid, run_dir = done.stdout.split()
    assert Path(run_dir) == Path(tempfile.gettempdir()) / f"newsroom-test-{pid}"
    assert not Path(run_dir).exists(), f"{run_dir} outlived its process"


def test_the_scratch_dir_of_this_process_is_its_own(settings):
    # The pytest process's own directory holds its database and index; it is
    # removed at the session's end (conftest.py), not by another process.
    assert settings.RUN_DIR.name == f"newsroom-test-{os.getpid()}"
    assert settings.RUN_DIR.is_dir()
