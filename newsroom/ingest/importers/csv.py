"""CSV with a header row in the shared-data shape (id, title, body, ...)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from ..records import BadRecord, Record, RecordProblem
from ..sources import Opened, bounded_lines, max_record_bytes
from . import ReadContext
from .jsonl import _stem, from_mapping

# Stands in for a line over the record cap; no decoded text can contain it
# (a lone surrogate that surrogateescape never produces).
_OVERLONG = "\ud800overlong"


def _lines(stream, cap: int) -> Iterator[str]:
    """Decoded lines, each at most ``cap`` bytes (longer ones replaced)."""
    first = True
    for raw in bounded_lines(stream, cap):
        if raw is None:
            yield _OVERLONG + "\n"
            continue
        if first and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        first = False
        # surrogateescape keeps undecodable bytes visible per field, so one
        # badly encoded row is reported instead of aborting the whole file.
        yield raw.decode("utf-8", "surrogateescape")


def read(path: Path, ctx: ReadContext) -> Iterator[Record | BadRecord]:
    cap = max_record_bytes()
    csv.field_size_limit(cap)
    name = ctx.name(path)
    with ctx.track(Opened(path)) as opened:
        reader = csv.DictReader(_lines(opened.stream, cap))
        if not reader.fieldnames or "title" not in reader.fieldnames:
            yield BadRecord(f"{name}:1", "no header row with a 'title' column")
            return
        while True:
            line = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                yield BadRecord(f"{name}:{line}", f"broken CSV: {exc}")
                continue
            position = f"{name}:{line}"
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
