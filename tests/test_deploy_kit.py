"""The operations kit under deploy/ is valid as shipped."""

from __future__ import annotations

import configparser
from pathlib import Path

from .nginx import SITE, check, prefix_with

ROOT = Path(__file__).resolve().parent.parent
SYSTEMD = ROOT / "deploy" / "systemd"


def test_nginx_accepts_the_shipped_site_file(tmp_path):
    """`nginx -t` on a main config that includes deploy/nginx/newsroom.conf
    as shipped (and its proxy snippet) reports the syntax ok."""
    main = prefix_with(SITE, tmp_path)
    done = check(main, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr


def test_nginx_refuses_a_broken_site_file(tmp_path):
    """The check above would notice a broken file (it is not a no-op)."""
    broken = tmp_path / "broken.conf"
    broken.write_text(SITE.read_text().replace("proxy", "proxxy", 1) + "\nserver {")
    done = check(prefix_with(broken, tmp_path), tmp_path)
    assert done.returncode != 0


def test_systemd_units_restart_and_are_sandboxed():
    """Both long-running units restart, run as the newsroom user, may write
    only var/, and keep what they create private (UMask 0077)."""
    for name in ("newsroom-web.service", "newsroom-indexer.service"):
        unit = configparser.ConfigParser(strict=False, interpolation=None)
        unit.optionxform = str
        unit.read(SYSTEMD / name)
        service = unit["Service"]
        assert service["User"] == "newsroom"
        assert service["Restart"] in ("always", "on-failure")
        assert service["UMask"] == "0077"
        assert service["ProtectSystem"] == "strict"
        assert service["ReadWritePaths"] == "/srv/newsroom/var"
        assert service["NoNewPrivileges"] == "yes"
        assert service["EnvironmentFile"] == "/etc/newsroom/newsroom.env"


def test_env_template_names_only_documented_settings():
    """Every variable in deploy/newsroom.env.example is in docs/settings.md."""
    docs = (ROOT / "docs" / "settings.md").read_text()
    names = [
        line.split("=", 1)[0]
        for line in (ROOT / "deploy" / "newsroom.env.example").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert "NEWSROOM_TRUSTED_PROXIES" in names and "REDIS_URL" in names
    missing = [n for n in names if f"`{n}`" not in docs]
    assert missing == ["DJANGO_SETTINGS_MODULE"] or not missing, missing


def test_every_timer_starts_a_sandboxed_command_that_exists():
    """Each shipped timer has its service, and that service runs a
    management command this code has (a renamed command would leave the
    timer failing every run, unseen), as the newsroom user."""
    from django.core.management import get_commands

    timers = sorted(SYSTEMD.glob("*.timer"))
    assert {t.name for t in timers} >= {"newsroom-prune.timer", "newsroom-mail.timer"}
    for timer in timers:
        unit = configparser.ConfigParser(strict=False, interpolation=None)
        unit.optionxform = str
        unit.read(timer.with_suffix(".service"))
        service = unit["Service"]
        command = service["ExecStart"].split("manage.py ", 1)[1].split()[0]
        assert command in get_commands(), (timer.name, command)
        assert service["User"] == "newsroom"
        assert service["ProtectSystem"] == "strict"
        assert service["EnvironmentFile"] == "/etc/newsroom/newsroom.env"
