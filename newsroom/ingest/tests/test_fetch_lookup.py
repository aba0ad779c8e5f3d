"""A fetch's deadline covers the name lookup.

``fetch(url, seconds=...)`` bounded the connection and every read, but not
``getaddrinfo``: a host whose name server never answers held the fetch for
the resolver's own timeouts and retries (here ``timeout:5 attempts:2``,
10 s and more), whatever ``seconds`` said, so a feed or an archive naming
many pictures at such hosts held an import for most of an hour. The test
runs the fetch in a network namespace of its own whose resolv.conf names a
name server on its loopback that takes the question and never answers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

CHILD = textwrap.dedent(
    """
    import json, socket, threading, time
    import django
    django.setup()
    from newsroom.ingest import fetch as f

    # The name server: takes every question on 127.0.0.1:53, answers none.
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 53))
    asked = []
    def listen():
        while True:
            asked.append(silent.recvfrom(512))
    threading.Thread(target=listen, daemon=True).start()

    def attempt(host, seconds):
        start = time.monotonic()
        try:
            f.fetch(f"http://{host}/picture.jpg", max_bytes=1000, seconds=seconds)
            error = ""
        except f.FetchError as exc:
            error = str(exc)
        return {"error": error, "took": time.monotonic() - start}

    most = getattr(f, "LOOKUPS_AT_ONCE", 8)
    first = attempt("slow.example.org", 1.5)
    many = []
    if first["took"] < 5:  # else each would wait as long: the answer is known
        many = [attempt(f"slow{n}.example.org", 0.3) for n in range(most + 2)]
    left = [t for t in threading.enumerate() if t.name == "newsroom-fetch-lookup"]
    print(json.dumps({"first": first, "many": many, "left": len(left),
                      "asked": len(asked), "most": most}))
    """
)


def run_child(code: str, prefix: tuple | list = ()) -> dict:
    """Run ``code`` in a Python of its own (after ``prefix``, a command that
    runs it elsewhere) with the test settings; what its last line says."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "newsroom.settings.test",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [*prefix, sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def silent_resolver_namespace():
    """A network namespace whose resolv.conf names a server on its own
    loopback (``ip netns exec`` mounts /etc/netns/<name>/resolv.conf)."""
    if os.geteuid() != 0 or not shutil.which("ip"):
        pytest.skip("a network namespace needs root and iproute2 (ip)")
    name = f"nr-lookup-{os.getpid()}"
    etc = Path("/etc/netns") / name
    made = subprocess.run(["ip", "netns", "add", name], capture_output=True)
    if made.returncode:
        pytest.skip(f"cannot make a network namespace: {made.stderr.decode()}")
    try:
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
        etc.mkdir(parents=True)
        (etc / "resolv.conf").write_text(
            "nameserver 127.0.0.1\noptions timeout:5 attempts:2\n"
        )
        yield name
    finally:
        subprocess.run(["ip", "netns", "delete", name], capture_output=True)
        shutil.rmtree(etc, ignore_errors=True)


def test_a_name_server_that_never_answers_is_bounded_by_the_deadline(
    silent_resolver_namespace,
):
    """A fetch of 1.5 s gives up on a silent name server within its deadline
    (the resolver alone would wait 10 s and more), says why, and lookups left
    waiting are bounded: past LOOKUPS_AT_ONCE of them the next fetch waits
    for one within its own deadline instead of leaving another thread."""
    seen = run_child(CHILD, ["ip", "netns", "exec", silent_resolver_namespace])
    assert seen["asked"] >= 1, "the lookup never reached the silent name server"
    first = seen["first"]
    assert "no answer before the deadline" in first["error"], first
    assert first["took"] < 5, first  # the resolver alone: 10 s and more
    assert len(seen["many"]) == seen["most"] + 2
    for each in seen["many"]:
        assert each["error"].startswith("cannot resolve"), each
        assert each["took"] < 2, each
    assert any("earlier lookups still wait" in e["error"] for e in seen["many"])
    assert seen["left"] <= seen["most"]


NO_THREADS = textwrap.dedent(
    """
    import json, resource, threading, time
    import django
    django.setup()
    from newsroom.ingest import fetch as f

    # No thread can start: each asks for a stack larger than the address
    # space it may still take ("can't start new thread", as when a process
    # has used up its threads).
    used = int(open("/proc/self/statm").read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (used + (256 << 20), resource.RLIM_INFINITY))
    threading.stack_size(1 << 30)
    errors = []
    for _ in range(f.LOOKUPS_AT_ONCE + 2):
        try:
            f._lookup("localhost", 80, time.monotonic() + 0.5)
            errors.append("")
        except f.FetchError as exc:
            errors.append(str(exc))
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
    threading.stack_size(0)
    resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY,) * 2)
    start = time.monotonic()
    try:
        infos = f._lookup("localhost", 80, time.monotonic() + 2)
        after = "resolved" if infos else "empty"
    except Exception as exc:
        after = f"{type(exc).__name__}: {exc}"
    print(json.dumps({"errors": errors, "after": after,
                      "took": time.monotonic() - start}))
    """
)


def test_a_lookup_that_cannot_start_its_thread_gives_its_place_back():
    """When no thread can start, a lookup fails as a fetch error (the import
    goes on to the next picture) and gives back its place among the
    LOOKUPS_AT_ONCE: once threads start again, lookups resolve. (The place
    was kept for good and the error was the thread's RuntimeError: after
    eight such failures every later lookup of the process waited out its
    deadline and failed.)"""
    seen = run_child(NO_THREADS)
    for error in seen["errors"]:
        assert error.startswith("cannot resolve 'localhost'"), seen
    assert seen["after"] == "resolved", seen
