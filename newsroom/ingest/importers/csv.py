"""CSV with a header row in the shared-data shape (id, title, body, ...)."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

from ..records import BadRecord, Record, RecordProblem
from ..sources import BLANK_RUN_MAX, Opened, max_record_bytes
from . import ReadContext
from .jsonl import _stem, from_mapping

# Stands in for a record over the record cap; no decoded text can contain it
# (a lone surrogate that surrogateescape never produces).
_OVERLONG = "\ud800overlong"
_BOM = b"\xef\xbb\xbf"
_NEWLINES = b"\r\n"
_SKIP_CHUNK = 1 << 20

# Where a CSV reader is after some bytes (the excel dialect the reader uses:
# "," between fields, '"' around them, "" for a quote, strict off):
# outside quotes (at a field's start or in an unquoted field), inside them,
# or just past a quote inside them (a second quote escapes it).
START, FIELD, QUOTED, CLOSING = range(4)
_OPENS = re.compile(rb'[,\r\n]"')  # a field opening with a quote


def _scan(chunk: bytes, state: int) -> int:
    """The state after ``chunk``, read from ``state``: it tells whether a
    line ends its record (not inside quotes) without parsing the fields.
    Only quotes are stepped through (a doubled quote is text); unquoted
    text is searched in C."""
    i, n = 0, len(chunk)
    while i < n:
        if state == QUOTED:
            j = chunk.find(b'"', i)
            if j < 0:
                return QUOTED
            state, i = CLOSING, j + 1
        elif state == CLOSING:
            c = chunk[i]
            state = QUOTED if c == 0x22 else START if c in b",\r\n" else FIELD
            i += 1
        elif state == START and chunk[i] == 0x22:
            state, i = QUOTED, i + 1
        else:  # outside quotes: a quote is data until the next field opens
            m = _OPENS.search(chunk, i)
            if m is None:
                return START if chunk[-1] in b",\r\n" else FIELD
            state, i = QUOTED, m.end()
    return state


class _Records:
    """A CSV file's lines, decoded, a whole record at a time: a record over
    ``cap`` bytes (one line or many, a quoted field's newlines included) is
    skipped to its true end and stands as one ``_OVERLONG`` line, so the
    rows after it are read from where it ends. Runs of blank lines between
    records are skipped a buffer at a time. ``start``: the line the record
    last handed on starts on."""

    def __init__(self, stream, cap: int) -> None:
        self.stream, self.cap, self.start = stream, cap, 1

    def __iter__(self) -> Iterator[str]:
        stream, cap = self.stream, self.cap
        peek = getattr(stream, "peek", None)
        number, first = 0, True  # lines read whole
        while True:
            raw = stream.readline(cap + 1)
            if not raw:
                return
            if first and raw.startswith(_BOM):
                raw = raw[3:]
            first = False
            if not raw.strip(_NEWLINES):  # blank lines: no record, skipped
                while peek is not None and len(raw) < BLANK_RUN_MAX:
                    ahead = peek(1 << 16)
                    run = len(ahead) - len(ahead.lstrip(_NEWLINES))
                    if not run:
                        break
                    raw += stream.read(run)
                number += raw.count(b"\n")
                continue
            self.start = number + 1
            lines: list[bytes] = []
            size, state = 0, START
            while True:
                size += len(raw)
                state = _scan(raw, state)
                number += raw.count(b"\n")
                if size > cap:
                    break
                lines.append(raw)
                if state != QUOTED or not raw.endswith(b"\n"):
                    break  # the record's end, or the file's
                raw = stream.readline(cap + 1 - size)
                if not raw:
                    break
            if size <= cap:
                # surrogateescape keeps undecodable bytes visible per field, so
                # one badly encoded row is reported instead of aborting the file.
                for line in lines:
                    yield line.decode("utf-8", "surrogateescape")
                continue
            # Over the cap: read on to where the record ends, a chunk at a time.
            while (state == QUOTED or not raw.endswith(b"\n")) and raw:
                raw = stream.readline(_SKIP_CHUNK)
                state = _scan(raw, state) if raw else state
                number += raw.count(b"\n")
            yield _OVERLONG + "\n"


class _NotInEncoding(ValueError):
    pass


class _AsUtf8(io.RawIOBase):
    """A byte stream in another encoding, read as UTF-8: decoded by Python's
    codec a chunk at a time (the record splitter looks for ASCII quotes,
    commas and newlines, which UTF-16 does not write as single bytes).
    ``_NotInEncoding`` at bytes the encoding does not have."""

    def __init__(self, raw, encoding: str) -> None:
        self.raw, self.encoding = raw, encoding
        self.decoder = codecs.getincrementaldecoder(encoding)("strict")
        self.pending, self.read_bytes, self.done = b"", 0, False
        self.failed = ""  # said once the text before the bad bytes is read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self.pending and not self.done:
            if self.failed:
                raise _NotInEncoding(self.failed)
            chunk = self.raw.read(_SKIP_CHUNK // 16)
            self.done = not chunk
            try:
                text = self.decoder.decode(chunk, final=self.done)
            except UnicodeDecodeError as exc:
                seen = self.read_bytes + len(chunk) - len(exc.object)
                self.failed = (
                    f"not {self.encoding} text ({exc.reason}) at byte "
                    f"{seen + exc.start:,}"
                )
                # The rows before the bad bytes are read first.
                text = exc.object[: exc.start].decode(self.encoding, "replace")
                self.done = False
            self.read_bytes += len(chunk)
            self.pending = text.encode("utf-8", "surrogateescape")
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size


def _decoded(stream, encoding: str):
    """The stream as UTF-8: as it is, or read through ``encoding`` (a UTF-16
    BOM names UTF-16 when no encoding is given)."""
    if not encoding and stream.peek(2)[:2] in (b"\xff\xfe", b"\xfe\xff"):
        encoding = "utf-16"
    if not encoding or codecs.lookup(encoding).name in ("utf-8", "utf-8-sig"):
        return stream  # the record reader skips a UTF-8 BOM itself
    return io.BufferedReader(_AsUtf8(stream, encoding), 1 << 16)


def read(path: Path, ctx: ReadContext) -> Iterator[Record | BadRecord]:
    cap = max_record_bytes()
    csv.field_size_limit(cap)
    name = ctx.name(path)
    with ctx.track(Opened(path)) as opened:
        lines = _Records(_decoded(opened.stream, ctx.encoding), cap)
        reader = csv.DictReader(lines)
        try:
            header = reader.fieldnames
        except _NotInEncoding as exc:
            yield BadRecord(f"{name}:1", str(exc))
            return
        except csv.Error as exc:  # no header, no rows: the file is one line
            yield BadRecord(f"{name}:1", f"broken CSV header: {exc}")
            return
        if not header or "title" not in header:
            yield BadRecord(f"{name}:1", "no header row with a 'title' column")
            return
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except _NotInEncoding as exc:  # the rest cannot be read
                yield BadRecord(f"{name}:{lines.start}", str(exc))
                return
            except csv.Error as exc:
                yield BadRecord(f"{name}:{lines.start}", f"broken CSV: {exc}")
                continue
            position = f"{name}:{lines.start}"
            values = [v for v in row.values() if isinstance(v, str)]
            if any(v.startswith(_OVERLONG) for v in values):
                yield BadRecord(position, f"record over {cap:,} bytes")
                continue
            if any(_has_surrogates(v) for v in row.values() if isinstance(v, str)):
                yield BadRecord(position, "invalid encoding (not UTF-8)")
                continue
            try:
                yield from_mapping(row, position, default_source=_stem(path), ctx=ctx)
            except RecordProblem as exc:
                yield BadRecord(position, str(exc))


def _has_surrogates(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
