"""The server passes of ``bench/abuse.py``: readers alone, then beside six
attackers, straight to the app server or as deployed, with Debian's nginx and
the shipped site file in front and the attackers in a network namespace
whose one address is theirs (``--nginx``). Both are made here and removed at the end
(the namespace needs root and ``ip``). nginx is the one of the two-node test
(``tests/nginx.py``): the shipped ``deploy/nginx/newsroom.conf`` with this
machine's addresses, unprivileged, from a temporary prefix.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import statistics
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("tests_nginx", ROOT / "tests/nginx.py")
nginx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nginx)
_spec = importlib.util.spec_from_file_location("bench_search", ROOT / "bench/search.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)
PLAIN_LUA = bench.LUA

HOST_ADDR, PEER_ADDR = "10.203.77.1", "10.203.77.2"
# The attackers' load generator runs at this niceness: on one machine it would
# otherwise take the server's CPU, which real attackers' machines don't (0: off).
ATTACK_NICE = 19

# The bench's readers all come from 127.0.0.1 and stand for many readers on
# many networks (each far below nginx's 10 a second), so their address is left
# out of the per-address burst guard; every other address is counted as shipped.
READERS_EXEMPT = """geo $nr_bench_reader {
    default 0;
    127.0.0.1/32 1;
}
map $nr_bench_reader $nr_bench_limit_key {
    0 $binary_remote_addr;
    1 "";
}
"""


@contextmanager
def attacker_namespace() -> Iterator[list[str]]:
    """A namespace joined to this host by a veth pair; yields the command
    prefix that runs a program inside it (its address is ``PEER_ADDR``)."""
    tag = str(os.getpid() % 100000)
    name, host_if, peer_if = f"nrabuse{tag}", f"nrh{tag}", f"nrp{tag}"

    def ip(*args: str) -> None:
        subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)

    ip("netns", "add", name)
    try:
        ip("link", "add", host_if, "type", "veth", "peer", "name", peer_if)
        ip("link", "set", peer_if, "netns", name)
        ip("addr", "add", f"{HOST_ADDR}/30", "dev", host_if)
        ip("link", "set", host_if, "up")
        inside = ["ip", "netns", "exec", name]
        ip(
            "netns",
            "exec",
            name,
            "ip",
            "addr",
            "add",
            f"{PEER_ADDR}/30",
            "dev",
            peer_if,
        )
        ip("netns", "exec", name, "ip", "link", "set", peer_if, "up")
        ip("netns", "exec", name, "ip", "link", "set", "lo", "up")
        yield inside
    finally:
        subprocess.run(["ip", "link", "del", host_if], capture_output=True)
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


@contextmanager
def nginx_in_front(upstream_port: int, port: int, var: Path) -> Iterator[None]:
    """The shipped site file on 127.0.0.1:port and HOST_ADDR:port, proxying to
    the app server on 127.0.0.1:upstream_port."""
    prefix = var / "bench-nginx"
    shutil.rmtree(prefix, ignore_errors=True)
    site = nginx.render_site(
        prefix,
        [f"127.0.0.1:{upstream_port}"],
        f"127.0.0.1:{port}; listen {HOST_ADDR}:{port}",
        var,
    )
    text = site.read_text()
    assert text.count("limit_req_zone $binary_remote_addr") == 2, "site file changed"
    text = text.replace(
        "limit_req_zone $binary_remote_addr", "limit_req_zone $nr_bench_limit_key"
    )
    site.write_text(READERS_EXEMPT + text)
    main = nginx.prefix_with(site, prefix)
    proc = subprocess.Popen(
        [nginx.nginx_binary(), "-p", str(prefix), "-c", str(main)],
        stdout=subprocess.DEVNULL,
        stderr=(prefix / "stderr.log").open("wb"),
        start_new_session=True,
    )
    try:
        yield
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGQUIT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


READERS_LUA = """
local paths = {%s}
local n = 0
request = function()
  n = n + 1
  local a, b = n %% 250, math.floor(n / 250) %% 250
  wrk.headers["X-Forwarded-For"] = "10." .. a .. "." .. b .. ".1"
  return wrk.format("GET", paths[(n %% #paths) + 1])
end
"""
ATTACK_LUA = """
local paths = {%s}
local n = 0
request = function()
  n = n + 1
  wrk.headers["X-Forwarded-For"] = "203.0.113.9"
  return wrk.format("GET", paths[(n %% #paths) + 1])
end
"""


def _nice() -> list[str]:
    return ["nice", "-n", str(ATTACK_NICE)] if ATTACK_NICE else []


def _one_pair(
    base: str,
    readers: list[str],
    worst: str,
    seconds: int,
    var: Path,
    limited: bool,
    attack_base: str = "",
    attack_prefix: list[str] | tuple[str, ...] = (),
) -> dict:
    """Readers alone, then readers beside six attackers; one pass each."""
    reader_lua = READERS_LUA if limited else PLAIN_LUA
    # Attackers named by a header, unless they come from an address of their own.
    attack_lua = ATTACK_LUA if limited and not attack_prefix else PLAIN_LUA
    bench.LUA = reader_lua
    alone = bench.wrk(base, readers, seconds, 2, var / "readers.lua")
    print(
        f"  readers alone:  {alone['rps']:6.0f} req/s  p50 {alone['p50']:7.2f}"
        f" ms  p99 {alone['p99']:7.2f} ms  failed {alone['failed']}",
        flush=True,
    )
    abuse: dict = {}

    def attack() -> None:
        bench.LUA = attack_lua
        abuse.update(
            bench.wrk(
                attack_base or base,
                ["/search/?" + urllib.parse.urlencode({"q": worst})],
                seconds + 4,
                6,
                var / "abuse.lua",
                prefix=[*attack_prefix, *_nice()],
            )
        )

    attacker = threading.Thread(target=attack)
    attacker.start()
    time.sleep(2)  # the attack is running before the readers start
    bench.LUA = reader_lua
    loaded = bench.wrk(base, readers, seconds, 2, var / "readers.lua")
    attacker.join()
    print(
        f"  readers loaded: {loaded['rps']:6.0f} req/s  p50 {loaded['p50']:7.2f}"
        f" ms  p99 {loaded['p99']:7.2f} ms  failed {loaded['failed']}",
        flush=True,
    )
    print(
        f"  attackers (6 connections, worst query): {abuse['rps']:6.0f} req/s"
        f"  p50 {abuse['p50']:7.2f} ms  p99 {abuse['p99']:7.2f} ms"
        f"  non-2xx/timeouts {abuse['failed']}",
        flush=True,
    )
    return {"alone": alone, "loaded": loaded, "abuse": abuse}


def under_load(
    env: dict,
    var: Path,
    readers: list[str],
    worst: str,
    seconds: int,
    limited: bool = False,
    pairs: int = 1,
    edge: bool = False,
) -> dict:
    """``edge``: through the shipped nginx site, the attackers in a network
    namespace of their own (``bench/edge.py``); implies ``limited``."""
    port = bench.free_port()
    limited = limited or edge
    if limited:
        env = {**env, "DJANGO_SETTINGS_MODULE": "bench_abuse_limited"}
    server = bench.start_server(env, port, var / "bench-abuse-server.log", "gthread")
    with ExitStack() as stack:
        stack.callback(bench.stop, server)
        bench.wait_for_port(port, server)
        base = f"http://127.0.0.1:{port}"
        attack_base, attack_prefix = "", []
        if edge:
            front = bench.free_port()
            # The namespace first: nginx listens on its host-side address.
            attack_prefix = stack.enter_context(attacker_namespace())
            stack.enter_context(nginx_in_front(port, front, var))
            base = f"http://127.0.0.1:{front}"
            attack_base = f"http://{HOST_ADDR}:{front}"
            bench.wait_for_port(front, server)
        return _measure(
            base,
            readers,
            worst,
            seconds,
            var,
            limited,
            pairs,
            attack_base,
            attack_prefix,
        )


def _measure(
    base: str,
    readers: list[str],
    worst: str,
    seconds: int,
    var: Path,
    limited: bool,
    pairs: int,
    attack_base: str,
    attack_prefix: list[str],
) -> dict:
    try:
        warm = readers + ["/search/?" + urllib.parse.urlencode({"q": worst})]
        for n, path in enumerate(warm):
            # A network per request: the limits are not what is warmed up.
            ask = urllib.request.Request(
                base + path, headers={"X-Forwarded-For": f"198.18.{n % 250}.1"}
            )
            with urllib.request.urlopen(ask, timeout=60) as r:
                assert r.status == 200
        passes: list[dict] = []
        for _ in range(pairs):
            passes.append(
                _one_pair(
                    base,
                    readers,
                    worst,
                    seconds,
                    var,
                    limited,
                    attack_base,
                    attack_prefix,
                )
            )
        return {
            key: {
                m: statistics.median(p[key][m] for p in passes)
                for m in ("rps", "p50", "p99", "failed")
            }
            for key in ("alone", "loaded", "abuse")
        } | {"passes": passes}
    finally:
        bench.LUA = PLAIN_LUA
