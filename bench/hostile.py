"""Hostile archives: peak memory and time of importing each bomb.

    .venv/bin/python bench/hostile.py [--dir /tmp/newsroom-bench-hostile]
        [--line-mb 1024] [--page-mb 1024]

Each hostile file is built under --dir (never from ../shared/data), then
``manage.py import_articles`` runs on it in a child process of its own, on a
fresh SQLite database in --dir, with the settings' default bounds. For each
the child's peak RSS (``wait4``) and wall time are printed, with the summary
line the command printed. --dir is deleted at the end.

The bombs: a .jsonl.gz whose second line expands to --line-mb MB, an .html.gz
expanding to --page-mb MB, a feed of 40 nested empty <b>, a feed whose body is
/dev/zero (a path), a 20 kB and a 190 kB body of "*[" brackets, and a URL on a
loopback server that drips one byte every 50 ms (loopback allowed for the run
with NEWSROOM_FETCH_ALLOWED_NETWORKS; deadline NEWSROOM_IMPORT_FETCH_SECONDS=5).
"""

from __future__ import annotations

import argparse
import gzip
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CHUNK = b"\0" * (1 << 20)


def gzip_of(path: Path, head: bytes, filler: bytes, megabytes: int, tail: bytes):
    with gzip.open(path, "wb", compresslevel=9) as fh:
        fh.write(head)
        for _ in range(megabytes):
            fh.write(filler)
        fh.write(tail)


def build(base: Path, line_mb: int, page_mb: int) -> list[tuple[str, str]]:
    files = base / "files"
    files.mkdir(parents=True)
    good = json.dumps(
        {"id": "1", "title": "Fine", "body": "Ok.", "published": "2024-01-01"}
    )
    out = []
    line = files / "line-bomb.jsonl.gz"
    gzip_of(
        line,
        (good + '\n{"title": "').encode(),
        b"A" * (1 << 20),
        line_mb,
        b'"}\n',
    )
    out.append((f"{line_mb} MB line in a .jsonl.gz", str(line)))
    page = files / "page-bomb.html.gz"
    gzip_of(page, b"<html><body><p>", b"a " * (1 << 19), page_mb, b"</p></body>")
    out.append((f"{page_mb} MB page in an .html.gz", str(page)))
    nested = files / "nested.rss"
    nest = "&lt;b&gt;" * 40 + "&lt;/b&gt;" * 40
    nested.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        "<item><title>Nested</title><link>https://f.example/n</link>"
        f"<description>{nest} After.</description></item></channel></rss>"
    )
    out.append(("40 nested empty <b> in a feed", str(nested)))
    zero = files / "zero.rss"
    zero.write_text("/dev/zero")
    out.append(("feed whose body is /dev/zero", str(zero)))
    for kb in (20, 190):
        brackets = files / f"brackets-{kb}k.jsonl"
        body = "*[" * (kb * 512)
        brackets.write_text(
            json.dumps(
                {"id": "b", "title": "B", "body": body, "published": "2024-01-01"}
            )
        )
        out.append((f"{kb} kB body of '*['", str(brackets)))
    return out


class Drip(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the stdlib's name
        self.send_response(200)
        self.end_headers()
        try:
            for _ in range(100_000):
                self.wfile.write(b"<")
                self.wfile.flush()
                time.sleep(0.05)
        except OSError:
            pass

    def log_message(self, *args):
        pass


def run(source: str, env: dict) -> tuple[float, float, str]:
    """(seconds, peak RSS MB, summary line) of one import in a child."""
    started = time.monotonic()
    child = subprocess.Popen(
        [PYTHON, "manage.py", "import_articles", source, "--progress", "none"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.monotonic() - started
    out = child.stdout.read().decode(errors="replace").strip().splitlines()
    err = child.stderr.read().decode(errors="replace").strip().splitlines()
    said = out[-1] if out else (err[-1] if err else f"exit {status}")
    return seconds, usage.ru_maxrss / 1024, said[:150]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", default="/tmp/newsroom-bench-hostile")
    parser.add_argument("--line-mb", type=int, default=1024)
    parser.add_argument("--page-mb", type=int, default=1024)
    args = parser.parse_args()
    base = Path(args.dir)
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    env = {
        **os.environ,
        "NEWSROOM_VAR_DIR": str(base / "var"),
        "DJANGO_SETTINGS_MODULE": "newsroom.settings.dev",
        "NEWSROOM_FETCH_ALLOWED_NETWORKS": "127.0.0.1/32",
        "NEWSROOM_IMPORT_FETCH_SECONDS": "5",
    }
    env.pop("DATABASE_URL", None)
    try:
        subprocess.run(
            [PYTHON, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
        )
        cases = build(base, args.line_mb, args.page_mb)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Drip)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        cases.append(
            (
                "URL dripping a byte every 50 ms",
                f"http://127.0.0.1:{server.server_port}/",
            )
        )
        print(f"load: {os.getloadavg()[0]:.1f}", flush=True)
        print(f"{'case':38} {'seconds':>8} {'peak MB':>8}  summary")
        for name, source in cases:
            seconds, peak, said = run(source, env)
            print(f"{name:38} {seconds:8.1f} {peak:8.0f}  {said}", flush=True)
        server.shutdown()
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
