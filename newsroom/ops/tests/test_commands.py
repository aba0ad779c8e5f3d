"""The operator's commands as cron and systemd run them: a fresh process,
the production settings, exit codes, and one line on failure."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def manage(var_dir: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="newsroom.settings.prod",
        NEWSROOM_VAR_DIR=str(var_dir),
        NEWSROOM_HTTPS="false",
        **extra,
    )
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def one_line_failure(done: subprocess.CompletedProcess) -> str:
    """Exit 1 and no traceback; the last line of stderr (a daemon such as
    run_indexer may log what it was doing before it)."""
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return done.stderr.strip().splitlines()[-1]


def test_backup_of_a_site_with_no_database_fails(tmp_path):
    """``backup`` on a machine whose database is missing or not migrated (a
    wrong NEWSROOM_VAR_DIR in the cron job, a fresh install) fails in one
    line with exit 1 and writes no backup. It created an empty SQLite file
    where the site's database should be, copied it, and exited 0: every
    nightly backup was empty, found out only at restore time."""
    var = tmp_path / "var"
    done = manage(var, "backup", str(tmp_path / "backup"))
    assert "database" in one_line_failure(done)
    assert not (tmp_path / "backup").exists()
    assert not (var / "newsroom.sqlite3").exists()


def test_a_restore_into_a_new_machine_keeps_the_database_private(tmp_path):
    """A backup restored on a new machine (an empty var/) makes a database
    file only its owner can read, as the site does (0600; it holds password
    hashes, sessions and commenters' addresses). restore created it with
    the umask, 0644: readable by every account on the machine, and the
    deploy check warned about it."""
    old, new = tmp_path / "old", tmp_path / "new"
    assert manage(old, "migrate", "--noinput").returncode == 0
    done = manage(old, "backup", str(tmp_path / "backup"))
    assert done.returncode == 0, done.stderr
    done = manage(new, "restore", str(tmp_path / "backup"), "--yes", "--no-rebuild")
    assert done.returncode == 0, done.stderr
    for path in new.glob("newsroom.sqlite3*"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


COMMANDS = [
    ("search_status",),
    ("prune_search_outbox",),
    ("rebuild_search_index",),
    ("run_indexer", "--once"),
    ("make_renditions",),
    ("comment_privacy", "export", "reader@example.com"),
    ("create_editor", "ana", "--generate"),
    ("enrol_totp", "ana"),
    ("generate_articles", "--count", "1"),
    ("load_demo",),
    ("axes_reset",),
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: a[0])
def test_commands_on_a_database_not_migrated_say_so_in_one_line(tmp_path, args):
    """Every command that reads the database, run where it is not migrated
    (a fresh install, a cron job pointed at the wrong var/), exits 1 with
    one line that says so and what to run. Each ended in a 50-70 line
    OperationalError traceback ("no such table")."""
    line = one_line_failure(manage(tmp_path / "var", *args))
    assert "manage.py migrate" in line


def test_a_command_mid_migration_says_what_is_missing(tmp_path):
    """A database migrated only part of the way (an upgrade stopped half
    way) gets the same one line, naming how many migrations are left."""
    var = tmp_path / "var"
    assert manage(var, "migrate", "auth", "--noinput").returncode == 0
    line = one_line_failure(manage(var, "search_status"))
    assert "not applied" in line and "manage.py migrate" in line


def test_a_command_with_the_database_unreachable_says_so_in_one_line(tmp_path):
    """A database that does not answer (a wrong DATABASE_URL, the server
    down) is one line naming the failure, exit 1, not a traceback."""
    line = one_line_failure(
        manage(
            tmp_path / "var",
            "search_status",
            DATABASE_URL="postgres://newsroom@127.0.0.1:9/nowhere",
        )
    )
    assert "database" in line


def test_create_editor_without_a_terminal_says_to_generate(tmp_path):
    """create_editor run with no terminal and nothing on stdin (a script, a
    provisioning tool) exits 1 with one line pointing to --generate, and
    makes no account; it ended in an EOFError traceback."""
    var = tmp_path / "var"
    assert manage(var, "migrate", "--noinput").returncode == 0
    done = subprocess.run(
        [sys.executable, "manage.py", "create_editor", "ana"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "newsroom.settings.prod"}
        | {"NEWSROOM_VAR_DIR": str(var), "NEWSROOM_HTTPS": "false"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "--generate" in one_line_failure(done)
    done = manage(
        var,
        "shell",
        "-c",
        "from django.contrib.auth.models import User;print(User.objects.count())",
    )
    assert done.stdout.strip().splitlines()[-1] == "0"


def test_restore_without_yes_and_no_terminal_is_cancelled_in_one_line(tmp_path):
    """restore run without --yes from a script (stdin not a terminal, no
    answer) is cancelled in one line, exit 1, nothing replaced; it ended in
    an EOFError traceback."""
    var = tmp_path / "var"
    assert manage(var, "migrate", "--noinput").returncode == 0
    assert manage(var, "backup", str(tmp_path / "backup")).returncode == 0
    done = subprocess.run(
        [sys.executable, "manage.py", "restore", str(tmp_path / "backup")],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "newsroom.settings.prod"}
        | {"NEWSROOM_VAR_DIR": str(var), "NEWSROOM_HTTPS": "false"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "--yes" in one_line_failure(done)
