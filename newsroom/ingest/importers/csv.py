"""CSV with a header row in the shared-data shape (id, title, body, ...)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from ..records import BadRecord, Record, RecordProblem
from ..sources import Opened
from . import ReadContext
from .jsonl import _stem, from_mapping


def read(path: Path, ctx: ReadContext) -> Iterator[Record | BadRecord]:
    csv.field_size_limit(1 << 28)
    with ctx.track(Opened(path)) as opened:
        # surrogateescape keeps undecodable bytes visible per field, so one
        # badly encoded row is reported instead of aborting the whole file.
        text = io.TextIOWrapper(
            opened.stream, encoding="utf-8-sig", errors="surrogateescape", newline=""
        )
        reader = csv.DictReader(text)
        if not reader.fieldnames or "title" not in reader.fieldnames:
            yield BadRecord(f"{path.name}:1", "no header row with a 'title' column")
            return
        while True:
            line = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                yield BadRecord(f"{path.name}:{line}", f"broken CSV: {exc}")
                continue
            position = f"{path.name}:{line}"
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
