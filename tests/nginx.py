"""Run Debian's nginx from a temporary prefix around the shipped site file."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "deploy" / "nginx" / "newsroom.conf"
PROXY = ROOT / "deploy" / "nginx" / "proxy.conf"


def nginx_binary() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if not found:
        if os.environ.get("CI"):
            pytest.fail("nginx missing in CI: make test installs it with apt")
        pytest.skip("nginx is not installed (make test installs Debian's with apt)")
    return found


def prefix_with(site: Path, prefix: Path) -> Path:
    """A prefix whose nginx.conf includes ``site`` as a site file; returns
    the main config's path. Runs unprivileged: pid, logs and temp files in
    the prefix."""
    conf = prefix / "conf"
    (conf / "snippets").mkdir(parents=True, exist_ok=True)
    (prefix / "logs").mkdir(exist_ok=True)
    (prefix / "tmp").mkdir(exist_ok=True)
    (conf / "snippets" / "newsroom-proxy.conf").write_text(PROXY.read_text())
    shutil.copy("/etc/nginx/mime.types", conf / "mime.types")
    main = conf / "nginx.conf"
    tmp = prefix / "tmp"
    # As root, nginx's workers would run as nobody and not read the test's
    # private temporary directories.
    user = "user root;" if os.geteuid() == 0 else ""
    main.write_text(
        f"""
{user}
daemon off;
worker_processes 1;
pid {prefix}/logs/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 512; }}
http {{
    include mime.types;
    access_log {prefix}/logs/access.log;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {site};
}}
"""
    )
    return main


def check(main: Path, prefix: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [nginx_binary(), "-t", "-p", str(prefix), "-c", str(main)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def render_site(
    prefix: Path, upstreams: list[str], listen: str, var: Path, root: Path = ROOT
) -> Path:
    """The shipped site file with this machine's addresses and paths."""
    text = SITE.read_text()
    lines = [f"    server {u} max_fails=1 fail_timeout=10s;" for u in upstreams]
    start = text.index("    server 10.0.0.11:8000")
    end = text.index("\n", text.index("    server 10.0.0.12:8000"))
    text = text[:start] + "\n".join(lines) + text[end:]
    text = text.replace("listen 80;", f"listen {listen};")
    text = text.replace("/srv/newsroom/var", str(var))
    text = text.replace("/srv/newsroom/app", str(root))
    prefix.mkdir(parents=True, exist_ok=True)
    site = prefix / "newsroom-site.conf"
    site.write_text(text)
    return site
