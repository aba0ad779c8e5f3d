"""The `make run` path for real: migrate, demo, collectstatic, granian, HTTP.

Everything happens in a temporary var/ directory with the prod settings, as a
fresh clone would; the server is stopped by its process group at the end.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

import pytest
from django.utils.text import slugify

from newsroom.articles.demo_loader import DEMO_DIR, parse_demo_file

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REGIONS = [
    'name="q"',
    "Search for keyword",
    'class="share',
    "Total Comments (",
    "Comments About This Article",
    "Please fill the fields below.",
]

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, process, log, log_path: Path, seconds: float) -> None:
    """Until 127.0.0.1:port takes a connection; fails with the log if
    ``process`` ends or ``seconds`` pass first."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"nothing served on {port}:\n{log_path.read_text()}")
            time.sleep(0.2)


def get(url: str) -> tuple[int, Message, str]:
    """Status, headers (names case-insensitive, as HTTP has them) and body."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            body = response.read().decode("utf-8", "replace")
            return response.status, response.headers, body
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode("utf-8", "replace")


def demo_site(var: Path, **settings: str) -> dict[str, str]:
    """A fresh demo newsroom in ``var`` (migrate, load_demo, collectstatic)
    under the prod settings and ``settings``, on a SQLite file of its own;
    the environment its server is to run with."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DATABASE_URL", "DEBUG", "REDIS_URL"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="newsroom.settings.prod",
        NEWSROOM_VAR_DIR=str(var),
        **settings,
    )
    for step in (
        ["migrate", "--noinput"],
        ["load_demo"],
        ["collectstatic", "--noinput", "--verbosity", "0"],
    ):
        done = subprocess.run(
            [sys.executable, "manage.py", *step],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, f"{step}: {done.stdout}{done.stderr}"
    return env


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """scripts/serve (granian) on a freshly migrated demo newsroom; yields its URL."""
    var = tmp_path_factory.mktemp("make-run") / "var"
    port = free_port()
    env = demo_site(
        var,
        NEWSROOM_HTTPS="false",
        NEWSROOM_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
        BIN=str(BIN),
    )
    log = (var / "serve.log").open("w")
    server = subprocess.Popen(
        ["scripts/serve"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_port(port, server, log, var / "serve.log", 60)
        yield base
    finally:
        # scripts/serve and its granian (and indexer) share one process group.
        stop_group(server)
        log.close()


def stop_group(server: subprocess.Popen) -> None:
    """End a server started with ``start_new_session`` and all it started:
    SIGTERM to its process group, SIGKILL after 30 s."""
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def story_path(n: int) -> str:
    """The address of the demo's ``n``-th story."""
    [path] = sorted(DEMO_DIR.glob(f"{n:02d}-*.md"))
    return f"/article/{slugify(parse_demo_file(path).headline)}/"


def raqqa_url() -> str:
    return story_path(1)


def test_home_section_and_seed_story_answer_200_with_every_region(served):
    """`/`, a section page and the Raqqa story are served by granian in prod mode."""
    status, headers, home = get(served + "/")
    assert status == 200, home[:500]
    assert "Search for keyword" in home and 'action="/search/"' in home
    assert "Raqqa" in home
    status, _, section = get(served + "/section/world/")
    assert status == 200 and "Raqqa" in section and 'name="q"' in section
    status, _, story = get(served + raqqa_url())
    assert status == 200, story[:500]
    assert "open two gaps in Raqqa" in story
    for region in REGIONS:
        assert region in story, region
    assert "<blockquote>" in story
    assert not re.search(
        r"""(src|href)=["']https?://(?!127\.0\.0\.1)""",
        story.split("<body", 1)[1].split('class="share', 1)[0],
    ), "the page head and story load nothing from another server"


def test_static_files_are_served_by_whitenoise_with_long_cache(served):
    """The stylesheet's hashed URL is served with a far-future immutable cache;
    the manifest (staticfiles.json) is not served."""
    _, _, home = get(served + "/")
    href = re.search(r'<link rel="stylesheet" href="(/static/[^"]+\.css)"', home)
    assert href, "no stylesheet link"
    assert re.search(r"\.[0-9a-f]{12}\.css$", href.group(1)), href.group(1)
    status, headers, css = get(served + href.group(1))
    assert status == 200 and len(css) > 500
    assert "immutable" in headers.get("Cache-Control", ""), headers
    assert get(served + "/static/newsroom/no-such-file.css")[0] == 404
    # collectstatic wrote the manifest beside the files; it is not served.
    assert get(served + "/static/staticfiles.json")[0] == 404


def test_debug_is_off_and_unknown_pages_are_plain_404s(served):
    """Prod mode: a missing article is a 404 page, with no debug traceback."""
    status, _, body = get(served + "/article/no-such-story/")
    assert status == 404
    assert "Traceback" not in body and "DEBUG = True" not in body


def test_the_front_cache_gives_each_reader_their_own_form(served):
    """`make run` keeps pages in the front cache, yet two readers of the same
    story get different CSRF cookies and confirmation codes, every time, and
    the same Content-Security-Policy and Permissions-Policy."""
    url = served + raqqa_url()
    seen = []
    for _ in range(3):
        status, headers, story = get(url)
        assert status == 200 and headers.get("Server") == "granian", dict(headers)
        code = re.search(r'name="token" value="([^"]+)"', story).group(1)
        cookie = headers.get("Set-Cookie", "").split(";")[0]
        assert cookie.startswith("csrftoken=") and "\x00" not in story
        # The kept page carries the site's policies as Django sent them.
        assert "script-src 'self'" in headers.get("Content-Security-Policy", "")
        assert "camera=()" in headers.get("Permissions-Policy", "")
        seen.append((code, cookie))
    assert len({c for c, _ in seen}) == 3 and len({k for _, k in seen}) == 3


def test_the_longest_query_the_box_takes_is_answered(served):
    """The search box takes 2,000 characters; in Greek that is a 12 KB URL once
    percent-encoded. granian answers it with the results page, not a 414."""
    from urllib.parse import quote

    text = ("λέξη " * 400)[:2000]
    # The indexer beside the server fills its first index; /readyz says when.
    deadline = time.monotonic() + 90
    while get(served + "/readyz")[0] != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    status, _, body = get(served + "/search/?q=" + quote(text))
    assert status == 200, body[:300]
    assert 'name="q"' in body


def test_pictures_are_served_from_media_with_long_cache(served):
    """Under `make run` (granian, no nginx) the demo's pictures are on the home
    page, and /media/ answers them, made on first request, cached forever;
    /favicon.ico answers too."""
    _, _, home = get(served + "/")
    src = re.search(r'<img[^>]+src="(/media/r/[0-9a-f]{16}/[^"]+\.jpg)"', home)
    assert src, "no picture on the home page"
    with urllib.request.urlopen(served + src.group(1), timeout=30) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "image/jpeg"
        assert "immutable" in response.headers["Cache-Control"]
        assert response.read(3) == b"\xff\xd8\xff"
    assert get(served + "/media/originals/x.jpg")[0] == 404
    with urllib.request.urlopen(served + "/favicon.ico", timeout=10) as response:
        assert response.status == 200


def _group_alive(pgid: int) -> list[str]:
    """The command lines of the processes still in process group ``pgid``."""
    out = subprocess.run(
        ["ps", "-eo", "pgid=,args="], capture_output=True, text=True
    ).stdout
    return [
        line.split(None, 1)[1]
        for line in out.splitlines()
        if line.split(None, 1)[0] == str(pgid)
    ]


def test_sigterm_to_make_run_stops_the_server_and_the_indexer(tmp_path):
    """`kill <pid of make run>` (what a supervisor or a terminal's close
    sends to the one process it started) stops granian and the indexer too.

    make passes SIGTERM to its recipe's shell; that shell ran scripts/serve
    as a child, died, and left scripts/serve, granian and the indexer
    serving with nobody to stop them (the port stayed taken)."""
    if not (ROOT / ".venv" / ".installed").exists():
        pytest.skip("make run installs into .venv; this checkout has none")
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DATABASE_URL", "DEBUG", "MAKEFLAGS", "MAKELEVEL"}
    }
    env.update(
        NEWSROOM_VAR_DIR=str(tmp_path / "var"),
        NEWSROOM_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
    )
    log = (tmp_path / "run.log").open("w")
    make = subprocess.Popen(
        ["make", "--no-print-directory", "run"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for_port(port, make, log, tmp_path / "run.log", 240)
        assert get(f"http://127.0.0.1:{port}/healthz")[0] == 200
        make.send_signal(signal.SIGTERM)  # make alone, not its group
        make.wait(timeout=60)
        deadline = time.monotonic() + 30
        while _group_alive(make.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _group_alive(make.pid) == [], "left running after make stopped"
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
    finally:
        if _group_alive(make.pid):
            os.killpg(make.pid, signal.SIGKILL)
        if make.poll() is None:
            make.wait()
        log.close()
