"""The import run: read records, render them, write them in batches.

Reading happens in this process; rendering Markdown (the costly part of the
bulk path) can go to worker processes; writing happens here, one transaction
per batch. Bad records are reported one line each and counted; they never
stop the run.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import tempfile
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TextIO

from django.db import DatabaseError, connections

from newsroom.db.bulk import sqlite_bulk_writes

from .claims import Claims
from .conf import conf
from .fastrender import render
from .importers import ReadContext, reader_for
from .pictures import Pictures
from .progress import make_progress
from .records import BadRecord, Record, RecordProblem, content_hash
from .sources import (
    SourceError,
    detect_format,
    fetch_url,
    is_url,
    list_files,
)
from .validate import check
from .writer import BatchResult, Writer


@dataclass
class Options:
    source: str
    fmt: str = ""
    section: str = ""
    dry_run: bool = False
    limit: int | None = None
    batch_size: int = 0  # 0: the NEWSROOM_IMPORT_BATCH_SIZE setting
    workers: int = 0  # 0: the NEWSROOM_IMPORT_WORKERS setting
    progress: str = "auto"  # auto / bar / lines / none
    comments: bool = True
    undated: datetime | None = None  # None: records with no date become drafts
    skip_withheld: bool = False  # skip protected/private posts instead of drafts
    overwrite: bool = False  # replace articles the desk edited since the import
    source_name: str = ""  # --source: every record's source, claimed or not
    encoding: str = ""  # --encoding: a CSV's (else UTF-8, or UTF-16 by its BOM)


@dataclass
class Summary:
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    bad: int = 0
    comments: int = 0
    undated: int = 0
    pictures: int = 0
    pictures_failed: int = 0
    withheld: int = 0  # password-protected or private posts (drafts or skipped)
    kept: int = 0  # edited by the desk since the import: left as they are
    seconds: float = 0.0
    bad_records: list[BadRecord] = field(default_factory=list)

    def add(self, result: BatchResult) -> None:
        self.created += result.created
        self.updated += result.updated
        self.unchanged += result.unchanged
        self.duplicates += result.duplicates
        self.comments += result.comments
        self.undated += len(result.undated)
        self.kept += len(result.kept)

    @property
    def rate(self) -> float:
        return self.read / self.seconds if self.seconds else 0.0

    def line(self, dry_run: bool = False, skip_withheld: bool = False) -> str:
        head = "dry run, nothing written: " if dry_run else ""
        held = ""
        if self.withheld:
            what = "skipped" if skip_withheld else "kept as drafts"
            held = f", {self.withheld} protected or private {what}"
        if self.kept:
            held += f", {self.kept} kept (edited since imported)"
        return (
            f"{head}{self.read} read, {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.duplicates} duplicates, "
            f"{self.bad} bad, {self.comments} comments, {self.undated} undated"
            + (
                f", {self.pictures} pictures ({self.pictures_failed} failed)"
                if self.pictures or self.pictures_failed
                else ""
            )
            + f"{held} in {self.seconds:.1f}s ({self.rate:.0f} records/s)"
        )


def prepare(records: list[Record]) -> list[Record]:
    """Render and hash (runs in a worker process on the bulk path)."""
    for r in records:
        r.body_html = render(r.body)
        r.content_hash = content_hash(r.headline, r.body)
    return records


def run_import(options: Options, *, err: TextIO | None = None) -> Summary:
    """Import ``options.source``; bad records go to ``err`` one line each."""
    err = err or sys.stderr
    batch_size = options.batch_size or conf.NEWSROOM_IMPORT_BATCH_SIZE
    workers = options.workers or conf.NEWSROOM_IMPORT_WORKERS
    default_section = options.section or conf.NEWSROOM_IMPORT_DEFAULT_SECTION
    summary = Summary()
    started = time.monotonic()
    cache_mb = conf.NEWSROOM_IMPORT_SQLITE_CACHE_MB
    with (
        sqlite_bulk_writes(cache_mb),
        _materialise(options.source) as (
            files,
            url,
            root,
        ),
    ):
        total_bytes = sum(p.stat().st_size for p in files)
        progress = make_progress(options.progress, err, total_bytes)
        writer = Writer(
            default_section=default_section,
            dry_run=options.dry_run,
            comment_writer=_comment_writer(options),
            undated=options.undated,
            overwrite=options.overwrite,
        )
        claims = Claims(
            origin=url or str(Path(options.source).resolve()),
            forced=options.source_name,
            dry_run=options.dry_run,
        )
        pictures = Pictures()
        records = _records(files, options, url, root, summary, err, progress, pictures)
        records = _claimed(records, claims, summary, err)
        try:
            for batch in _prepared(_batches(records, batch_size), workers):
                _write(writer, batch, summary, err)
                progress.update(summary.read, None)
            if not options.dry_run:
                pictures.attach(err)
                summary.pictures = pictures.added
                summary.pictures_failed = pictures.failed
        finally:
            summary.seconds = time.monotonic() - started
            progress.close(summary)
    return summary


class _materialise:
    """Files to read: the path itself, a directory's files, or a fetched URL."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.tmp: str | None = None

    def __enter__(self) -> tuple[list[Path], str, Path | None]:
        if is_url(self.source):
            data = fetch_url(self.source)
            fd, self.tmp = tempfile.mkstemp(prefix="newsroom-import-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            return [Path(self.tmp)], self.source, None
        path = Path(self.source)
        root = path.resolve() if path.is_dir() else None
        return list_files(path), "", root

    def __exit__(self, *exc) -> None:
        if self.tmp:
            os.unlink(self.tmp)


def _records(
    files,
    options: Options,
    url: str,
    root,
    summary: Summary,
    err: TextIO,
    progress,
    pictures: Pictures | None = None,
) -> Iterator[Record]:
    done = 0
    for path in files:
        ctx = ReadContext(
            section=options.section, url=url, root=root, encoding=options.encoding
        )
        try:
            fmt = options.fmt or detect_format(path)
            for item in reader_for(fmt)(path, ctx):
                if options.limit is not None and summary.read >= options.limit:
                    return
                summary.read += 1
                if isinstance(item, BadRecord):
                    _bad(summary, item, err)
                else:
                    try:
                        record = check(item)
                    except RecordProblem as exc:
                        _bad(summary, BadRecord(item.position, str(exc)), err)
                        continue
                    if record.withheld:
                        summary.withheld += 1
                        done_with = "skipped" if options.skip_withheld else "a draft"
                        err.write(
                            f"withheld {record.position}: {record.withheld} post, "
                            f"{done_with}\n"
                        )
                        if options.skip_withheld:
                            continue
                    if pictures is not None:
                        pictures.note(record, ctx, path)
                    yield record
                if summary.read % 200 == 0:
                    progress.update(summary.read, done + ctx.bytes_done())
        except (OSError, SourceError, ValueError) as exc:
            # The file as a whole is unreadable: one line, then the next file.
            summary.read += 1
            _bad(summary, BadRecord(ctx.name(path), f"cannot read: {exc}"), err)
        done += path.stat().st_size
        progress.update(summary.read, done)


def _bad(summary: Summary, bad: BadRecord, err: TextIO) -> None:
    summary.bad += 1
    if len(summary.bad_records) < 10_000:
        summary.bad_records.append(bad)
    err.write(f"bad record {bad}\n")


def _batches(records: Iterator[Record], size: int) -> Iterator[list[Record]]:
    batch: list[Record] = []
    for record in records:
        batch.append(record)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _prepared(batches: Iterator[list[Record]], workers: int) -> Iterator[list[Record]]:
    if workers <= 1:
        for batch in batches:
            yield prepare(batch)
        return
    # Children never touch the database; close connections so none is shared.
    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers) as pool:
        pending: deque = deque()
        for batch in batches:
            pending.append(pool.apply_async(prepare, (batch,)))
            # A bounded window keeps memory flat however big the file is.
            while len(pending) > workers * 2:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def _write(writer: Writer, batch: list[Record], summary: Summary, err: TextIO):
    try:
        _done(summary, writer.write(batch), err)
        return
    except DatabaseError:
        pass
    # One record spoils a batch, or another import wrote the same story at
    # the same moment (its row is seen now, even for a batch of one): write
    # them one by one.
    for record in batch:
        try:
            _done(summary, writer.write([record]), err)
        except DatabaseError as exc:
            if len(batch) == 1:
                raise
            _bad(summary, BadRecord(record.position, f"not written: {exc}"), err)


def _done(summary: Summary, result: BatchResult, err: TextIO) -> None:
    summary.add(result)
    for note in result.notes:
        err.write(f"duplicate {note}\n")
    for note in result.undated:
        err.write(f"undated {note}\n")
    for note in result.kept:
        err.write(f"kept {note}\n")


def _claimed(records: Iterator[Record], claims, summary: Summary, err: TextIO):
    """Records whose source this import may write to (see claims.py)."""
    for record in records:
        try:
            claims.check(record)
        except RecordProblem as exc:
            _bad(summary, BadRecord(record.position, str(exc)), err)
            continue
        yield record


def _comment_writer(options: Options):
    if not options.comments:
        return None
    from .comments import CommentWriter

    return CommentWriter.if_available()
