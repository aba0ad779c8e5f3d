"""Opening a source (file, gzip, directory, URL) and telling its format."""

from __future__ import annotations

import gzip
import io
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from .conf import conf

FORMATS = ("jsonl", "csv", "rss", "wxr", "html", "textpage")
GZIP_MAGIC = b"\x1f\x8b"


class SourceError(Exception):
    """The source as a whole cannot be read (missing file, unknown format)."""


def is_url(source: str) -> bool:
    return bool(re.match(r"^https?://", source, re.I))


class Counted(io.RawIOBase):
    """Counts the bytes read from the underlying (compressed) file.

    The progress bar's ETA comes from how far into the file the reader is,
    which for a gzip file is the compressed offset, not the record count.
    """

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.done = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.raw.readinto(buffer)
        self.done += n or 0
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


def max_bytes() -> int:
    """Bytes read from one file, after gunzipping (a gzip bomb stops here)."""
    return conf.NEWSROOM_IMPORT_MAX_BYTES


def max_record_bytes() -> int:
    """Bytes of one record: a JSON line, a CSV row, one page."""
    return conf.NEWSROOM_IMPORT_MAX_RECORD_BYTES


def max_document_bytes() -> int:
    """Bytes of a file parsed whole (a feed), and of a fetched URL."""
    return conf.NEWSROOM_IMPORT_MAX_DOCUMENT_BYTES


class Capped(io.RawIOBase):
    """A stream that refuses to deliver more than ``cap`` bytes."""

    def __init__(self, raw: BinaryIO, cap: int) -> None:
        self.raw = raw
        self.cap = cap
        self.delivered = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        view = memoryview(buffer)
        want = min(len(view), self.cap - self.delivered + 1)
        n = self.raw.readinto(view[:want]) or 0
        self.delivered += n
        if self.delivered > self.cap:
            raise SourceError(
                f"more than {self.cap:,} bytes after decompression "
                "(NEWSROOM_IMPORT_MAX_BYTES)"
            )
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


class Opened:
    """A binary stream over a source's bytes, gunzipped when needed, capped."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.size = path.stat().st_size
        self.counter = Counted(path.open("rb"))
        buffered = io.BufferedReader(self.counter, buffer_size=1 << 20)
        if buffered.peek(2)[:2] == GZIP_MAGIC:
            inner: BinaryIO = gzip.GzipFile(fileobj=buffered, mode="rb")
        else:
            inner = buffered
        self.stream: BinaryIO = io.BufferedReader(
            Capped(inner, max_bytes()), buffer_size=1 << 16
        )

    def read_whole(self, cap: int, what: str = "page") -> bytes:
        """The whole (decompressed) content, refusing more than ``cap`` bytes."""
        data = self.stream.read(cap + 1)
        if len(data) > cap:
            raise SourceError(f"{what} over {cap:,} bytes")
        return data

    @property
    def done(self) -> int:
        return self.counter.done

    def close(self) -> None:
        self.stream.close()
        self.counter.close()

    def __enter__(self) -> Opened:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


BLANK = b" \t\r\n"
BLANK_RUN_MAX = 1 << 20  # bytes of blank lines handed on as one item at most


def bounded_lines(
    stream: BinaryIO, cap: int, blank_runs: bool = False
) -> Iterator[bytes | None]:
    """The stream's lines; None in place of a line longer than ``cap`` bytes.

    An over-long line is skipped to its end in chunks, so one 8 GB line costs
    no more memory than a short one. ``blank_runs``: consecutive blank lines
    come as one item (up to ``BLANK_RUN_MAX`` bytes, its newlines counted by
    the caller for positions), taken a buffer at a time: one by one, a gzip
    of 100 MB of newlines took 30 s to read nothing.
    """
    peek = getattr(stream, "peek", None) if blank_runs else None
    while True:
        line = stream.readline(cap + 1)
        if not line:
            return
        if peek is not None and not line.strip(BLANK):
            while len(line) < BLANK_RUN_MAX:
                ahead = peek(1 << 16)
                run = len(ahead) - len(ahead.lstrip(BLANK))
                if not run:
                    break
                line += stream.read(run)
            yield line
            continue
        if len(line) <= cap or line.endswith(b"\n") and len(line) == cap + 1:
            yield line
            continue
        while line and not line.endswith(b"\n"):
            line = stream.readline(1 << 20)
        yield None


def read_bytes(path: Path) -> bytes:
    with Opened(path) as opened:
        return opened.read_whole(max_document_bytes(), "file")


def fetch_url(url: str) -> bytes:
    """The body at ``url`` (a feed or a page), bounded (see newsroom.ingest.fetch)."""
    from .fetch import FetchError, fetch

    try:
        return fetch(
            url,
            max_bytes=max_document_bytes(),
            seconds=float(conf.NEWSROOM_IMPORT_FETCH_SECONDS),
            max_redirects=conf.NEWSROOM_IMPORT_FETCH_REDIRECTS,
        ).body
    except FetchError as exc:
        raise SourceError(f"cannot fetch {url[:200]}: {exc}") from exc


def shown(path: Path | str) -> str:
    """A file name as printed: control and other invisible characters escaped."""
    text = str(path)
    if text.isprintable():
        return text
    return text.encode("unicode_escape", "backslashreplace").decode("ascii")


def list_files(source: Path) -> list[Path]:
    """The files to import: the file itself, or a directory's files.

    In a directory, nothing outside it is read: symbolic links (to files or
    directories) are skipped, as are hidden files.
    """
    if source.is_dir():
        root = source.resolve()
        found = []
        for folder, dirs, files in os.walk(root, followlinks=False):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in files:
                path = Path(folder) / name
                if name.startswith(".") or path.is_symlink() or not path.is_file():
                    continue
                if not path.resolve().is_relative_to(root):
                    continue
                found.append(path)
        return sorted(found)
    if not source.exists():
        raise SourceError(f"{shown(source)}: no such file or directory")
    return [source]


def _strip_gz(name: str) -> str:
    return name[:-3] if name.lower().endswith(".gz") else name


def detect_format(path: Path | None = None, head: bytes = b"") -> str:
    """The format from the file name, else from the first bytes."""
    if path is not None:
        name = _strip_gz(path.name).lower()
        suffix = name.rsplit(".", 1)[-1] if "." in name else ""
        by_suffix = {
            "jsonl": "jsonl",
            "ndjson": "jsonl",
            "json": "jsonl",
            "csv": "csv",
            "wxr": "wxr",
            "rss": "rss",
            "atom": "rss",
            "html": "html",
            "htm": "html",
            "txt": "textpage",
            "text": "textpage",
        }
        if suffix in by_suffix:
            return by_suffix[suffix]
        if not head:
            with Opened(path) as opened:
                head = opened.stream.read(4096)
    return sniff(head)


def sniff(head: bytes) -> str:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"wordpress.org/export/" in head.lower():
        return "wxr"
    if text.startswith(b"{"):
        return "jsonl"
    if (
        text.startswith(b"<?xml")
        or text.startswith(b"<rss")
        or text.startswith(b"<feed")
    ):
        return "rss"
    if b"<html" in text or text.startswith(b"<!doctype html"):
        return "html"
    first = text.split(b"\n", 1)[0]
    if b"," in first and b"title" in first:
        return "csv"
    return "textpage"
