"""JSON Lines in the shared-data shape: one article object per line.

Keys: id, title, body, published, category, author, url, source. The body is
Markdown (plain blank-line paragraphs are Markdown already).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from ..records import BadRecord, Record, RecordProblem, parse_date, split_names
from ..sources import Opened, bounded_lines, max_record_bytes
from . import ReadContext


def read(path: Path, ctx: ReadContext) -> Iterator[Record | BadRecord]:
    cap = max_record_bytes()
    name = ctx.name(path)
    with ctx.track(Opened(path)) as opened:
        number = 0
        for raw in bounded_lines(opened.stream, cap, blank_runs=True):
            first, number = number + 1, number + (1 if raw is None else 0)
            if raw is not None:
                if not raw.strip():  # a run of blank lines: counted, skipped
                    number += max(1, raw.count(b"\n"))
                    continue
                number += 1
            position = f"{name}:{first}"
            if raw is None:
                yield BadRecord(
                    position,
                    f"record over {cap:,} bytes (NEWSROOM_IMPORT_MAX_RECORD_BYTES)",
                )
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield BadRecord(
                    position,
                    f"invalid encoding (not UTF-8): {exc.reason} at byte {exc.start}",
                )
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                yield BadRecord(position, f"not JSON: {exc.msg}")
                continue
            except (ValueError, RecursionError) as exc:
                # 5,000 nested arrays, a 5,000-digit number.
                yield BadRecord(position, f"not JSON we accept: {str(exc)[:120]}")
                continue
            if not isinstance(obj, dict):
                yield BadRecord(position, "not a JSON object")
                continue
            try:
                yield from_mapping(obj, position, default_source=_stem(path), ctx=ctx)
            except RecordProblem as exc:
                yield BadRecord(position, str(exc))


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".jsonl", ".ndjson", ".json", ".csv"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name


# Keys whose value must be one piece of text (or a number); "author" and
# "tags" may be lists, other keys are ignored.
SCALAR_KEYS = (
    "id",
    "title",
    "body",
    "published",
    "category",
    "url",
    "source",
    "status",
    "standfirst",
    "summary",
    "dateline",
)


def from_mapping(
    obj: dict, position: str, *, default_source: str, ctx: ReadContext
) -> Record:
    """A record from the shared-data keys (shared by the JSONL and CSV readers)."""
    for key in SCALAR_KEYS:
        if isinstance(obj.get(key), dict | list):
            raise RecordProblem(f"{key!r} is not text or a number")
    title = " ".join(str(obj.get("title") or "").split())
    if not title:
        raise RecordProblem("missing title")
    body = str(obj.get("body") or "").replace("\r\n", "\n").strip()
    published = parse_date(obj.get("published"))
    status = str(obj.get("status") or "published").strip().lower()
    if status not in {"published", "scheduled", "draft"}:
        raise RecordProblem(f"unknown status {status!r}")
    tags = obj.get("tags") or []
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",")]
    if not isinstance(tags, list) or any(isinstance(t, dict | list) for t in tags):
        raise RecordProblem("tags: expected a list of names or comma-separated text")
    return Record(
        position=position,
        headline=title,  # cut after cleaning (validate.line)
        body=body,
        source=str(obj.get("source") or default_source)[:200],
        source_id=str(obj.get("id") or ""),  # fitted by validate
        url=str(obj.get("url") or ""),
        standfirst=str(obj.get("standfirst") or obj.get("summary") or ""),
        published_at=published,
        status=status,
        section=ctx.section or str(obj.get("category") or ""),
        tags=[str(t) for t in tags if str(t).strip()],
        authors=split_names(obj.get("author")),
        dateline=str(obj.get("dateline") or ""),  # cut after cleaning
    )
