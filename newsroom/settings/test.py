"""Tests: a real SQLite file per run, or PostgreSQL when TEST_DATABASE_URL says so.

Each pytest process gets its own database and search index names (by PID), so
two runs on one machine never share state.
"""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import database_from_url
from .env import env_str, private_dir

RUN_DIR = Path(tempfile.gettempdir()) / f"newsroom-test-{os.getpid()}"
VAR_DIR = RUN_DIR / "var"
# No live process shares this id: a directory already named by it was left
# by a dead one (ids come round again), and its database or index must not
# leak into this run.
shutil.rmtree(RUN_DIR, ignore_errors=True)
private_dir(VAR_DIR)
_OWNER = os.getpid()


def _remove_run_dir() -> None:
    """Every process that loads these settings (a test's server, a
    ``manage.py`` run, mypy's Django plugin) makes its own RUN_DIR: it goes
    when that process ends, not in a child forked from it (whose exit would
    take its parent's database)."""
    if _OWNER == os.getpid():
        shutil.rmtree(RUN_DIR, ignore_errors=True)


atexit.register(_remove_run_dir)

DEBUG = False
SECRET_KEY = "test-only-not-secret"  # noqa: S105 - test settings only
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# A test sees the mail its request caused as soon as the transaction commits
# (the background thread is tested on its own: core/tests/test_background.py).
NEWSROOM_MAIL_IN_BACKGROUND = False

DATABASES = {"default": database_from_url(env_str("TEST_DATABASE_URL"), VAR_DIR)}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": str(RUN_DIR / "test.sqlite3")}
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_newsroom_{os.getpid()}"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = RUN_DIR / "media"

NEWSROOM_SEARCH_BACKENDS = {
    "default": {
        "BACKEND": "newsroom.search.backends.tantivy.TantivyBackend",
        "OPTIONS": {"PATH": str(RUN_DIR / "search")},
    }
}

# Test-only hook: lets tests read the answer to a confirmation code.
# Production settings never define it (a test checks that).
NEWSROOM_CONFIRMATION_TEST_HOOK = True

STATIC_ROOT = RUN_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# No read-count flusher thread in tests: it would write from another thread
# into a test database (shares tests call newsroom.shares.reads.flush()).
NEWSROOM_READS_FLUSH_SECONDS = 0
