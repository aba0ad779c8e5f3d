"""Run ``manage.py run_indexer`` as a real subprocess against the test database."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[3]


def write_settings(tmp_path: Path) -> dict:
    """A settings module for the child: test settings, this test's DB and index."""
    db = {
        k: connection.settings_dict.get(k)
        for k in ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT", "OPTIONS")
    }
    text = (
        "from newsroom.settings.test import *  # noqa\n"
        f"DATABASES = {{'default': {db!r}}}\n"
        f"NEWSROOM_SEARCH_BACKENDS = {settings.NEWSROOM_SEARCH_BACKENDS!r}\n"
    )
    (tmp_path / "child_settings.py").write_text(text)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "child_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
    }
    return env


class IndexerProcess:
    def __init__(self, tmp_path: Path, *args: str) -> None:
        self.env = write_settings(tmp_path)
        self.args = args
        self.proc: subprocess.Popen | None = None
        self.log = tmp_path / "indexer.log"

    def start(self) -> IndexerProcess:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "run_indexer",
                "--poll",
                "0.05",
                *self.args,
            ],
            env=self.env,
            cwd=ROOT,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=20)
        if self.proc:
            # The child's test settings made a scratch dir named by its pid.
            scratch = Path(tempfile.gettempdir()) / f"newsroom-test-{self.proc.pid}"
            shutil.rmtree(scratch, ignore_errors=True)

    def stop(self) -> None:
        self.kill(signal.SIGTERM)


def wait_for(check, timeout: float = 10.0, interval: float = 0.02):
    """Poll ``check`` until it returns something truthy; return (value, seconds)."""
    start = time.monotonic()
    while True:
        value = check()
        elapsed = time.monotonic() - start
        if value or elapsed > timeout:
            return value, elapsed
        time.sleep(interval)
