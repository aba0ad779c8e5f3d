"""Production settings: Django's deploy checks pass, the key is made once, no DEBUG."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_prod(var_dir: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "SECRET_KEY",
            "DATABASE_URL",
            "DEBUG",
            "NEWSROOM_HTTPS",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
            "NEWSROOM_TRUSTED_PROXIES",
            "NEWSROOM_HSTS_PRELOAD",
            "NEWSROOM_HSTS_INCLUDE_SUBDOMAINS",
        }
    }
    env.update(
        DJANGO_SETTINGS_MODULE="newsroom.settings.prod",
        NEWSROOM_VAR_DIR=str(var_dir),
        **extra,
    )
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRINT = (
    "from django.conf import settings; import hashlib; "
    "print(hashlib.sha256(settings.SECRET_KEY.encode()).hexdigest(), settings.DEBUG)"
)
SHELL = ("shell", "--verbosity", "0", "-c", PRINT)


def test_check_deploy_passes_with_prod_settings(tmp_path):
    """``manage.py check --deploy`` reports no issue, not even a warning, for
    the documented production setup (HTTPS behind one trusted proxy)."""
    done = run_prod(
        tmp_path / "var",
        *("check", "--deploy", "--fail-level", "WARNING"),
        NEWSROOM_TRUSTED_PROXIES="1",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_secret_key_is_generated_once_into_var_with_owner_only_mode(tmp_path):
    """First run writes var/secret_key (mode 600); later runs read the same key."""
    var = tmp_path / "var"
    first = run_prod(var, *SHELL)
    assert first.returncode == 0, first.stderr
    key_file = var / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(key_file.read_text().strip()) >= 50
    second = run_prod(var, *SHELL)
    assert second.returncode == 0, second.stderr
    assert first.stdout.split()[0] == second.stdout.split()[0]
    other = run_prod(tmp_path / "elsewhere", *SHELL)
    assert other.stdout.split()[0] != first.stdout.split()[0]


def test_debug_is_off_in_prod_even_when_the_environment_asks_for_it(tmp_path):
    """DEBUG=true in the environment does not turn debug pages on in prod."""
    done = run_prod(tmp_path / "var", *SHELL, DEBUG="true")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[1] == "False"


def test_a_server_on_port_465_can_be_configured_from_the_environment(tmp_path):
    """EMAIL_USE_SSL (TLS from the first byte, SMTPS on port 465) is read from
    the environment like every other mail setting; there was no way to set
    it but editing the settings, and STARTTLS against such a server waits
    for a greeting it never sends (then EMAIL_TIMEOUT)."""
    shown = (
        "from django.core.mail import get_connection; "
        "c = get_connection('django.core.mail.backends.smtp.EmailBackend'); "
        "print(c.use_ssl, c.use_tls, c.port)"
    )
    done = run_prod(
        tmp_path / "var",
        *("shell", "--verbosity", "0", "-c", shown),
        EMAIL_USE_SSL="true",
        EMAIL_PORT="465",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "False", "465"]
