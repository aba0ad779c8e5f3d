"""The posters of bench/comments.py: browsers' requests from one asyncio thread.

Each poster does what a reader's browser does on the accessible path: GET
the article page once (the form, its CSRF token and the ``csrftoken``
cookie), then for every comment GET a proof-of-work challenge, solve it
(``proof.solve``, the ``altcha`` package, as the widget's worker would) and
POST the form with the cookie, the token, a fill-time stamp and the solution,
on one kept-alive HTTP/1.1 connection.

Why asyncio and hand-written HTTP/1.1: the client runs on the same two cores
as the server, and 32 ``http.client`` threads cost about 1.0 ms of CPU per
post (GIL hand-offs, header parsing), a sixth of the server's. One event
loop over 32 connections does the same requests for less (the run prints the
client's CPU per post).
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import secrets
import time
import urllib.parse
from collections import Counter

USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) bench-comments/1.0"


def tampered(payload: str) -> str:
    """A solution whose derived key is wrong (the server must refuse it)."""
    data = json.loads(base64.b64decode(payload))
    key = data["solution"]["derivedKey"]
    data["solution"]["derivedKey"] = ("0" if key[0] != "0" else "1") + key[1:]
    return base64.b64encode(json.dumps(data).encode()).decode()


class Connection:
    """One kept-alive HTTP/1.1 connection to 127.0.0.1 (reopened when closed)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: tuple = ()
    ) -> tuple[int, dict[str, list[str]], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(
                "127.0.0.1", self.port
            )
        assert self.reader is not None
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: 127.0.0.1:{self.port}",
            f"User-Agent: {USER_AGENT}",
            *headers,
        ]
        if method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        status_line, *header_lines = head[:-4].split("\r\n")
        got: dict[str, list[str]] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            got.setdefault(name.strip().lower(), []).append(value.strip())
        if "chunked" in got.get("transfer-encoding", [""])[0].lower():
            data = await self._chunked()
        else:
            data = await self.reader.readexactly(
                int(got.get("content-length", ["0"])[0])
            )
        if got.get("connection", [""])[0].lower() == "close":
            self.close()
        return int(status_line.split()[1]), got, data

    async def _chunked(self) -> bytes:
        assert self.reader is not None
        out = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n"))[:-2].split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return b"".join(out)
            out.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class Results:
    def __init__(self) -> None:
        self.statuses: Counter = Counter()
        self.refusals: Counter = Counter()
        self.post_ms: list[float] = []
        self.code_ms: list[float] = []
        self.errors = 0
        self.sent = 0


async def poster(
    n: int, port: int, article, stamps: list[str], ready, start, results: Results
) -> None:
    from newsroom.comments.confirmation import proof

    conn = Connection(port)
    _, headers, html = await conn.request("GET", article.get_absolute_url())
    cookie = next(
        c.split(";")[0] for c in headers["set-cookie"] if c.startswith("csrftoken=")
    )
    csrf = re.search(
        r'name="csrfmiddlewaretoken" value="([^"]+)"', html.decode()
    ).group(1)
    ready.set_result(None) if not ready.done() else None
    stop = await start
    seq = 0
    while time.time() < stop:
        seq += 1
        try:
            t0 = time.perf_counter()
            status, _, data = await conn.request(
                "GET", f"/comments/challenge/{article.pk}/"
            )
            results.code_ms.append((time.perf_counter() - t0) * 1000)
            solved = proof.solve(json.loads(data))  # the browser's worker, here
            if seq % 20 == 0:
                solved = tampered(solved)
            body = urllib.parse.urlencode(
                {
                    "csrfmiddlewaretoken": csrf,
                    "stamp": stamps.pop(),
                    "token": "",
                    "code": "",
                    "altcha": solved,
                    "name": f"Poster {n}",
                    "email": "",
                    "body": f"Comment {seq} by {n}: {secrets.token_hex(8)}",
                    "parent": "",
                    "homepage": "",
                }
            ).encode()
            t0 = time.perf_counter()
            results.sent += 1
            status, headers, _ = await conn.request(
                "POST",
                f"/comments/post/{article.pk}/",
                body,
                (
                    "Content-Type: application/x-www-form-urlencoded",
                    f"Cookie: {cookie}",
                ),
            )
            results.post_ms.append((time.perf_counter() - t0) * 1000)
            results.statuses[status] += 1
            if 400 <= status < 500:
                reason = headers.get("x-comment-refusal", ["none"])[0]
                results.refusals[reason] += 1
        except (OSError, asyncio.IncompleteReadError, ValueError, KeyError):
            results.errors += 1
            conn.close()
    conn.close()  # a server's graceful stop waits for open connections


async def run_posters(
    count: int,
    port: int,
    article,
    stamps: list[list[str]],
    start_in,
    seconds: float,
    on_start=lambda: None,
) -> tuple[Results, float, float]:
    """Start ``count`` posters; once every form is loaded, post for ``seconds``.

    ``start_in()`` gives the seconds to wait before the clock starts (the
    form's minimum fill time); ``on_start()`` is called as it starts. Returns
    the results, the clock's start and the client's CPU seconds while posting.
    """
    loop = asyncio.get_running_loop()
    results = Results()
    readies = [loop.create_future() for _ in range(count)]
    start = loop.create_future()
    tasks = [
        asyncio.create_task(
            poster(i, port, article, stamps[i], readies[i], start, results)
        )
        for i in range(count)
    ]
    await asyncio.gather(*readies)
    begin = time.time() + start_in()
    await asyncio.sleep(max(0.0, begin - time.time()))
    on_start()
    cpu0 = time.process_time()
    start.set_result(begin + seconds)
    await asyncio.gather(*tasks)
    return results, begin, time.process_time() - cpu0
