"""Reader-page benchmark: home, section and article pages under load, nginx as ceiling.

    .venv/bin/python bench/pages.py [--count 100000] [--seconds 15] [--repeat 3]

Generates a synthetic archive into a temporary var/ (SQLite; reused with
``--var DIR``), starts the real server (granian as scripts/serve runs it, or
gunicorn with newsroom/gunicorn_conf.py: ``--server``; one worker per core,
prod settings over plain HTTP), loads each page with
Debian's ``wrk`` (16 connections, fixed time, ``--latency``) and prints
requests/s, p50 and p99. In the same run an nginx of our own serves the same
article HTML as a static file: the ceiling for "the same bytes". Modes:
``uncached`` (NEWSROOM_PAGE_CACHE_SECONDS=0: every request renders in Django)
and ``cached`` (=10: the front cache answers, per-visitor values spliced in;
see docs/operations.md). Everything started is stopped by PID at the end.

``article_pic`` is a demo article with a lead picture (figure with srcset,
og:image, JSON-LD images); its renditions are made before the timed runs.
``--renditions N`` also times the media library: N distinct 1600×1000 JPEG
originals are added (checked and re-encoded), then every rendition the pages
ask for on first view (card 16:9 WebP, lead 960w WebP, social 1200×630 JPEG)
is made, and the rate is printed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from servers import granian_command

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
WRK = shutil.which("wrk") or "/usr/bin/wrk"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"nothing listens on port {port} after {seconds} s")


def stop(proc: subprocess.Popen | None) -> None:
    """Stop a process we started (and its group), by PID."""
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        if response.status != 200:
            raise SystemExit(f"{url}: HTTP {response.status}")
        return response.read()


READER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def wrk(url: str, seconds: int, connections: int, threads: int) -> dict:
    """One wrk run: requests/s, p50 and p99 in ms, and failures."""
    out = subprocess.run(
        # A browser's user agent: each view is counted as a read, as a
        # reader's would be (no cookie: every response issues a CSRF secret).
        [
            WRK,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "--timeout",
            "5s",
            "-H",
            f"User-Agent: {READER_AGENT}",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {}
    for pct in ("50", "99"):
        value, unit = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s|m)\b", out).groups()
        lat[pct] = float(value) * UNITS[unit]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*?timeout (\d+)", out)
    failed = (int(bad.group(1)) if bad else 0) + (int(errors.group(1)) if errors else 0)
    return {"rps": rps, "p50": lat["50"], "p99": lat["99"], "failed": failed}


def prepare(var: Path, count: int, env: dict) -> None:
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    have = manage(
        env,
        "shell",
        "--verbosity",
        "0",
        "-c",
        "from newsroom.articles.models import Article;"
        "print(Article.objects.filter(source='newsroom-synthetic').count())",
    )
    if int(have.strip() or 0) < count:
        print(f"generating {count:,} articles into {var} ...", flush=True)
        started = time.perf_counter()
        manage(
            env,
            "generate_articles",
            "--count",
            str(count),
            "--seed",
            "1",
            "--no-outbox",
            "--verbosity",
            "0",
        )
        print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
    manage(env, "load_demo")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")


def pick_urls(env: dict) -> dict[str, str]:
    """A typical synthetic article from the middle of the archive, a section."""
    out = manage(
        env,
        "shell",
        "--verbosity",
        "0",
        "-c",
        (
            "from newsroom.articles.models import Article;"
            "qs = Article.objects.published().filter(source='newsroom-synthetic');"
            "a = qs.order_by('-published_at')[qs.count() // 2];"
            "print(a.get_absolute_url(), a.section.get_absolute_url())"
        ),
    )
    article, section = out.split()
    pic = manage(
        env,
        "shell",
        "--verbosity",
        "0",
        "-c",
        (
            "from newsroom.articles.models import Article;"
            "from newsroom.media.renditions import ensure_all;"
            "a = Article.objects.published().filter(source='newsroom-demo',"
            " lead_image__isnull=False).order_by('-published_at').first();"
            "ensure_all(a.lead_image);"
            "print(a.get_absolute_url())"
        ),
    ).split()[-1]
    return {"home": "/", "section": section, "article": article, "article_pic": pic}


RENDITIONS = r"""
import time
from newsroom.media import samples
from newsroom.media.library import add_image
from newsroom.media.renditions import SPECS, ensure
n = {n}
t0 = time.perf_counter()
images = [add_image(samples.photo(1600, 1000, seed=1000 + i), "b.jpg",
                    alt="bench")[0] for i in range(n)]
t1 = time.perf_counter()
specs = [("640x360", "webp"), ("960w", "webp"), ("1200x630", "jpg")]
print(f"originals: {{n}} added in {{t1 - t0:.1f}} s", flush=True)
for done, image in enumerate(images, 1):
    for spec, ext in specs:
        ensure(image, SPECS[spec], ext)
    if done % 100 == 0:
        el = time.perf_counter() - t1
        print(f"  {{done}} images, {{done * len(specs) / el:.1f}} renditions/s",
              flush=True)
t2 = time.perf_counter()
made = n * len(specs)
print(f"originals: {{n}} added in {{t1 - t0:.1f}} s ({{n / (t1 - t0):.1f}}/s)")
print(f"renditions: {{made}} made in {{t2 - t1:.1f}} s ({{made / (t2 - t1):.1f}}/s, "
      f"{{n / (t2 - t1):.1f}} images/s for the first-view set)")
"""


def time_renditions(env: dict, n: int) -> None:
    print(f"media library: {n:,} originals, first-view renditions ...", flush=True)
    # Streamed (not captured): the progress lines show the rate as it goes.
    subprocess.run(
        [PY, "manage.py", "shell", "--verbosity", "0", "-c", RENDITIONS.format(n=n)],
        cwd=ROOT,
        env=env,
        check=True,
    )


def server_command(server: str, port: int) -> list[str]:
    """The server as scripts/serve starts it (without the search indexer)."""
    bin_dir = Path(PY).parent
    if server == "gunicorn":
        return [
            str(bin_dir / "gunicorn"),
            "-c",
            "newsroom/gunicorn_conf.py",
            "newsroom.wsgi:application",
        ]
    return granian_command(
        bin_dir,
        port,
        os.cpu_count() or 1,
        int(os.environ.get("GRANIAN_BLOCKING_THREADS", "2")),
    )


def start_server(
    env: dict, port: int, log: Path, extra: dict, server: str = "granian"
) -> subprocess.Popen:
    server_env = {**env, "NEWSROOM_BIND": f"127.0.0.1:{port}", **extra}
    return subprocess.Popen(
        server_command(server, port),
        cwd=ROOT,
        env=server_env,
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def start_nginx(prefix: Path, port: int, html: bytes) -> subprocess.Popen:
    (prefix / "html").mkdir(parents=True, exist_ok=True)
    (prefix / "html" / "article.html").write_bytes(html)
    (prefix / "logs").mkdir(exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(f"""
daemon off;
user root;
worker_processes auto;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path {prefix}/tmp;
    proxy_temp_path {prefix}/tmp;
    fastcgi_temp_path {prefix}/tmp;
    uwsgi_temp_path {prefix}/tmp;
    scgi_temp_path {prefix}/tmp;
    server {{
        listen 127.0.0.1:{port};
        root {prefix}/html;
        location / {{ default_type "text/html; charset=utf-8"; }}
    }}
}}
""")
    (prefix / "tmp").mkdir(exist_ok=True)
    return subprocess.Popen(
        [NGINX, "-p", str(prefix), "-c", str(conf)], start_new_session=True
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per page; the table shows medians"
    )
    parser.add_argument("--var", type=Path, help="reuse this var dir (kept)")
    parser.add_argument("--modes", default="uncached,cached")
    parser.add_argument("--pages", default="article,article_pic,home,section")
    parser.add_argument("--server", choices=("granian", "gunicorn"), default="granian")
    parser.add_argument("--worker-class", help="GUNICORN_WORKER_CLASS to use")
    parser.add_argument("--gunicorn-threads", help="GUNICORN_THREADS to use")
    parser.add_argument(
        "--renditions", type=int, default=0, help="time N images' renditions"
    )
    args = parser.parse_args()
    if not Path(WRK).exists():
        raise SystemExit("wrk is not installed (apt-get install wrk)")

    var = args.var or Path(tempfile.mkdtemp(prefix="newsroom-bench-"))
    var.mkdir(parents=True, exist_ok=True)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "SECRET_KEY", "DEBUG"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="newsroom.settings.prod",
        NEWSROOM_HTTPS="false",
        NEWSROOM_VAR_DIR=str(var),
        LOG_LEVEL="ERROR",
    )
    for name, value in (
        ("GUNICORN_WORKER_CLASS", args.worker_class),
        ("GUNICORN_THREADS", args.gunicorn_threads),
    ):
        if value:
            env[name] = value
    results: list[tuple[str, str, int, dict]] = []
    server = nginx = None
    try:
        prepare(var, args.count, env)
        if args.renditions:
            time_renditions(env, args.renditions)
        urls = pick_urls(env)
        article_html = b""
        for mode in args.modes.split(","):
            extra = {"NEWSROOM_PAGE_CACHE_SECONDS": "0" if mode == "uncached" else "10"}
            port = free_port()
            server = start_server(
                env, port, var / "bench-server.log", extra, args.server
            )
            wait_for_port(port, server)
            base = f"http://127.0.0.1:{port}"
            for page in args.pages.split(","):
                url = base + urls[page]
                body = fetch(url)
                for _ in range(20):  # warm every worker's caches
                    fetch(url)
                if page == "article":
                    article_html = body
                runs = [
                    wrk(url, args.seconds, args.connections, args.threads)
                    for _ in range(args.repeat)
                ]
                results.append((page, mode, len(body), median_of(runs)))
                print_row(*results[-1], flush=True)
            stop(server)
            server = None
        if article_html:
            port = free_port()
            nginx = start_nginx(var / "nginx", port, article_html)
            wait_for_port(port, nginx)
            url = f"http://127.0.0.1:{port}/article.html"
            assert fetch(url) == article_html
            runs = [
                wrk(url, args.seconds, args.connections, args.threads)
                for _ in range(args.repeat)
            ]
            size = len(article_html)
            results.append(("article", "nginx file", size, median_of(runs)))
            print_row(*results[-1], flush=True)
    finally:
        stop(server)
        stop(nginx)
        if args.var is None:
            shutil.rmtree(var, ignore_errors=True)
    print_table(results, args)


def median_of(runs: list[dict]) -> dict:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]} | {
        "runs": len(runs),
        "all_rps": [round(r["rps"]) for r in runs],
    }


def print_row(page: str, mode: str, size: int, r: dict, flush: bool = False) -> None:
    print(
        f"  {page:11} {mode:11} {r['rps']:>9,.0f} req/s  p50 {r['p50']:7.2f} ms  "
        f"p99 {r['p99']:7.2f} ms  {size:>7,} B  failed {r['failed']:.0f}  "
        f"runs {r['all_rps']}",
        flush=flush,
    )


def print_table(results, args) -> None:
    print()
    print(
        f"{args.count:,} articles, {args.server}, {args.connections} connections, "
        f"{args.seconds} s per run, median of {args.repeat} run(s), "
        f"{os.cpu_count()} cores (wrk, server and nginx share them), "
        f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    print("| page | mode | bytes | requests/s | p50 ms | p99 ms | failed |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for page, mode, size, r in results:
        print(
            f"| {page} | {mode} | {size:,} | {r['rps']:,.0f} | {r['p50']:.2f} | "
            f"{r['p99']:.2f} | {r['failed']:.0f} |"
        )
    nginx = next((r for p, m, _, r in results if m == "nginx file"), None)
    cached = next(
        (r for p, m, _, r in results if p == "article" and m == "cached"), None
    )
    pic = next(
        (r for p, m, _, r in results if p == "article_pic" and m == "cached"), None
    )
    if pic:
        ok = pic["rps"] >= 1000 and pic["p99"] < 50
        print(
            f"goal, article with a lead picture cached >= 1,000 req/s and p99 < 50 "
            f"ms: {'met' if ok else 'NOT met'}"
        )
    uncached = next(
        (r for p, m, _, r in results if p == "article" and m == "uncached"), None
    )
    if uncached:
        ok = uncached["rps"] >= 1000 and uncached["p99"] < 50
        print(
            f"goal, article uncached >= 1,000 req/s and p99 < 50 ms: "
            f"{'met' if ok else 'NOT met'}"
        )
    if nginx and cached:
        share = cached["rps"] / nginx["rps"]
        print(
            f"goal, article cached >= 1/4 of nginx: {share:.2f} of nginx "
            f"({'met' if share >= 0.25 else 'NOT met'})"
        )


if __name__ == "__main__":
    main()
