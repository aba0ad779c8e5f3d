"""Opening a source (file, gzip, directory, URL) and telling its format."""

from __future__ import annotations

import gzip
import io
import re
import urllib.request
from pathlib import Path
from typing import BinaryIO

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


class Opened:
    """A binary stream over a source's bytes, gunzipped when needed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.size = path.stat().st_size
        self.counter = Counted(path.open("rb"))
        buffered = io.BufferedReader(self.counter, buffer_size=1 << 20)
        if buffered.peek(2)[:2] == GZIP_MAGIC:
            self.stream: BinaryIO = gzip.GzipFile(fileobj=buffered, mode="rb")
        else:
            self.stream = buffered

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


def read_bytes(path: Path) -> bytes:
    with Opened(path) as opened:
        return opened.stream.read()


def fetch_url(url: str, timeout: float = 30) -> bytes:
    """The body at ``url`` (a feed or a page), gunzipped when needed."""
    request = urllib.request.Request(url, headers={"User-Agent": "newsroom-import/1"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            data = response.read()
    except (OSError, ValueError) as exc:
        raise SourceError(f"cannot fetch {url}: {exc}") from exc
    return gzip.decompress(data) if data[:2] == GZIP_MAGIC else data


def list_files(source: Path) -> list[Path]:
    if source.is_dir():
        return sorted(
            p for p in source.rglob("*") if p.is_file() and not p.name.startswith(".")
        )
    if not source.exists():
        raise SourceError(f"{source}: no such file or directory")
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
