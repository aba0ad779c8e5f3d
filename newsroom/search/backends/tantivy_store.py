"""The tantivy index on disk: schema, generations, the writer lock, commits.

Layout under ``OPTIONS["PATH"]``::

    current -> gen-20250101T120000-1234   symlink, swapped atomically (rename)
    gen-.../                              one tantivy index per generation
    gen-.../newsroom.json                 written once its fill has committed
    .build-gen-....lock                   flock held while a fill runs
    pending                               a generation waiting to be adopted
    writer.lock                           flock: exactly one writer at a time

A generation becomes live or pending only after its fill committed and it
was sealed (``newsroom.json``). One that is neither, and whose build
lock nobody holds, was left by a crash: the indexer discards it on start.

The last outbox id applied lives in a metadata document (id 0) written in the
same commit as the changes, because tantivy-py's commit takes no payload: a
commit is all or nothing, so the index and its watermark cannot disagree.
The same document's ``ts`` says up to when scheduled articles that came due
were added (``Writer.due``).
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

import tantivy

from .. import analysis
from .base import IndexDocument, Writer, WriterBusy

# 2: tokens are runs of letters and digits (tantivy's simple tokenizer), no
# longer a regex keeping "U.S." and "2,500" whole (newsroom/search/analysis.py).
# 3: only articles public now; scheduled ones are added when due, and the
# metadata document records up to when that was done (an index of version 2
# holds scheduled articles, whose words suggest and spelling would offer).
# 4: facet codes (``fc0``...): the best hits' facets are read from them.
# An index of version 3 is still read (its own schema) until it is rebuilt.
SCHEMA_VERSION = 4
META_ID = 0  # article ids start at 1
SEAL = "newsroom.json"  # in a generation's directory: its fill completed

log = logging.getLogger(__name__)
TEXT_FIELDS = ("headline", "standfirst", "body", "meta")


def build_schema(codes: bool = True) -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("id", stored=True, indexed=True, fast=True)
    for name in ("headline", "standfirst", "body"):
        sb.add_text_field(name, stored=True, tokenizer_name=analysis.STEMMED)
    # Section, tag and author names: searchable, boosted below the body.
    sb.add_text_field("meta", tokenizer_name=analysis.STEMMED)
    sb.add_text_field("alt", tokenizer_name=analysis.STEMMED, index_option="freq")
    # Unstemmed words of headlines and names: the "did you mean" and
    # autocomplete vocabulary (real words, not stems like "citi").
    sb.add_text_field("spell", tokenizer_name=analysis.FOLDED, index_option="basic")
    for name in ("section", "tags", "authors"):
        sb.add_text_field(name, fast=True, tokenizer_name="raw", index_option="basic")
    sb.add_integer_field("ts", stored=True, indexed=True, fast=True)
    sb.add_integer_field("ym", indexed=True, fast=True)  # 202403: month facet
    sb.add_bytes_field("display", stored=True)
    sb.add_integer_field("outbox", stored=True)  # metadata document only
    sb.add_integer_field("schema", stored=True)
    # Last, so that every field before keeps its number in an index of
    # version 3 (queries built with this schema read one).
    if codes:
        for name in CODE_FIELDS:
            sb.add_integer_field(name, fast=True)
    return sb.build()


# Facet codes: a document's section, tag and author slugs as integers in
# fast fields ``fc0``..``fc11``, read for the best hits' addresses
# (``Searcher.fast_field_values`` reads the first value of a field, so one
# field per value). A document with more values holds ``MORE`` in ``fc0``
# alone: its facets are aggregated. ``tantivy_codes.CodeBook`` maps codes
# back to slugs from the fields' term dictionaries. Twelve: a section, two
# authors and nine tags (a field a document does not fill costs it nothing,
# and is read only for the hits that filled the one before).
FACET_CODES = 12
CODE_FIELDS = tuple(f"fc{n}" for n in range(FACET_CODES))
CODE_KINDS = {"section": 1, "tags": 2, "authors": 3}
MORE = -1


@functools.lru_cache(maxsize=65_536)  # slugs repeat: ~3 us a document less
def facet_code(field: str, slug: str) -> int:
    """The code of ``slug`` in the facet field ``field``: its kind above
    32 bits of the slug's BLAKE2b (two slugs may share them; the code book
    marks those and their hits are aggregated; a CRC-32 would make such
    pairs rare among slugs of one length only by its linearity)."""
    digest = hashlib.blake2b(slug.encode(), digest_size=4).digest()
    return CODE_KINDS[field] << 32 | int.from_bytes(digest, "big")


def has_codes(path: Path | str) -> bool:
    """Whether the index at ``path`` was built with facet codes (version 4
    on: an older one is read until its rebuild is live)."""
    with open(os.path.join(path, "meta.json"), encoding="utf-8") as fh:
        fields = {f["name"] for f in json.load(fh)["schema"]}
    return CODE_FIELDS[0] in fields


def to_tantivy(doc: IndexDocument) -> tantivy.Document:
    when = doc.published_at.astimezone(UTC)
    names = [doc.section[1], *(n for _, n in doc.tags), *(n for _, n in doc.authors)]
    names_text = "\n".join(n for n in names if n)
    out = tantivy.Document()
    out.add_integer("id", doc.id)
    out.add_text("headline", doc.headline)
    out.add_text("standfirst", doc.standfirst)
    out.add_text("body", doc.body)
    out.add_text("meta", names_text)
    alt = analysis.alternate_forms(f"{doc.headline}\n{doc.standfirst}\n{doc.body}")
    if alt:
        out.add_text("alt", alt)
    out.add_text(
        "spell",
        analysis.vocabulary_text(f"{doc.headline}\n{doc.standfirst}\n{names_text}"),
    )
    if doc.section[0]:
        out.add_text("section", doc.section[0])
    for slug, _ in doc.tags:
        out.add_text("tags", slug)
    for slug, _ in doc.authors:
        out.add_text("authors", slug)
    out.add_integer("ts", int(when.timestamp()))
    out.add_integer("ym", when.year * 100 + when.month)
    codes = [
        facet_code(field, slug)
        for field, slugs in (
            ("section", (doc.section[0],) if doc.section[0] else ()),
            ("tags", [s for s, _ in doc.tags]),
            ("authors", [s for s, _ in doc.authors]),
        )
        for slug in slugs
    ]
    if len(codes) > FACET_CODES:
        codes = [MORE]
    for name, code in zip(CODE_FIELDS, codes, strict=False):  # codes may be fewer
        out.add_integer(name, code)
    display = {
        "slug": doc.slug,
        "section": list(doc.section),
        "authors": [list(a) for a in doc.authors],
    }
    out.add_bytes("display", json.dumps(display, separators=(",", ":")).encode())
    return out


def open_index(path: Path) -> tantivy.Index:
    return open_checked(path)[0]


def open_checked(path: Path) -> tuple[tantivy.Index, bool]:
    """(the index at ``path``, a new one of today's schema where there is
    none; whether its fields are another schema's). One of another schema
    (version 3, without facet codes) opens with its own, which tantivy
    requires: its writer finds it stale, whatever its metadata says, and
    has it rebuilt (fields it lacks are left out of what it is given
    meanwhile)."""
    foreign = False
    try:
        index = tantivy.Index(build_schema(), path=str(path), reuse=True)
    except ValueError as error:
        if "schema does not match" not in str(error):
            raise
        index, foreign = tantivy.Index.open(str(path)), True
    analysis.register(index)
    return index, foreign


def read_meta(searcher: tantivy.Searcher, schema: tantivy.Schema) -> dict:
    hits = searcher.search(tantivy.Query.term_query(schema, "id", META_ID), 1).hits
    if not hits:
        return {"outbox": 0, "schema": SCHEMA_VERSION, "due": None}
    doc = searcher.doc(hits[0][1])
    due = doc.get_first("ts")
    return {
        "outbox": doc.get_first("outbox") or 0,
        "schema": doc.get_first("schema"),
        "due": None if due is None else datetime.fromtimestamp(due, tz=UTC),
    }


class Store:
    """The directory of generations and the pointer to the live one."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._current = str(self.root / "current")  # read on every search

    @property
    def current(self) -> Path:
        return self.root / "current"

    def live_generation(self) -> str | None:
        try:
            return os.readlink(self._current)
        except FileNotFoundError:
            return None

    def path(self, generation: str) -> Path:
        return self.root / generation

    def new_generation(self) -> str:
        self.root.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        name = f"gen-{stamp}-{os.getpid()}"
        self.path(name).mkdir()
        return name

    def point_to(self, generation: str) -> None:
        """Swap the live pointer: a new symlink renamed over the old one."""
        tmp = self.root / f".current-{os.getpid()}"
        tmp.unlink(missing_ok=True)
        os.symlink(generation, tmp)
        os.replace(tmp, self.current)  # atomic on POSIX: readers see old or new
        self._fsync_dir()

    def prune(self, keep: int = 2) -> None:
        """Delete old generations, keeping the live one and the one before it.

        A process still reading a deleted generation keeps its open files
        (POSIX) until it notices the pointer moved and reopens.
        """
        live = self.live_generation()
        pending = self.pending_generation()
        gens = sorted(
            (p for p in self.root.glob("gen-*") if p.is_dir()),
            key=lambda p: p.stat().st_mtime,
        )
        old = [
            p for p in gens if p.name not in (live, pending) and self.is_sealed(p.name)
        ]
        for p in old[: max(0, len(old) - (keep - 1))]:
            shutil.rmtree(p, ignore_errors=True)
            self.build_lock(p.name).path.unlink(missing_ok=True)

    def build_lock(self, generation: str) -> FileLock:
        """Held by whoever fills ``generation`` until it is sealed."""
        return FileLock(self.root / f".build-{generation}.lock")

    def seal(self, generation: str, documents: int, epoch: str = "") -> None:
        """Mark a generation complete: its fill has committed."""
        path = self.path(generation)
        tmp = path / f".{SEAL}.tmp"
        data = {
            "schema": SCHEMA_VERSION,
            "documents": documents,
            "epoch": epoch,
            "sealed_at": datetime.now(UTC).isoformat(),
        }
        with open(tmp, "w") as handle:
            json.dump(data, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path / SEAL)
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def is_sealed(self, generation: str) -> bool:
        return (self.path(generation) / SEAL).exists()

    def sealed_epoch(self, generation: str) -> str:
        """The database epoch the generation was filled from ("" before any
        restore, or for a generation older than seals)."""
        try:
            return json.loads((self.path(generation) / SEAL).read_text())["epoch"]
        except (FileNotFoundError, KeyError, ValueError):
            return ""

    def discard_unfinished(self) -> list[str]:
        """Delete generations whose fill never completed (a crash or a kill
        mid-fill): not live, not pending, not sealed, and not being filled."""
        live, pending = self.live_generation(), self.pending_generation()
        gone = []
        for p in sorted(self.root.glob("gen-*")):
            if not p.is_dir() or p.name in (live, pending) or self.is_sealed(p.name):
                continue
            lock = self.build_lock(p.name)
            try:
                lock.acquire(wait=0)
            except WriterBusy:
                continue  # a rebuild is filling it right now
            try:
                shutil.rmtree(p, ignore_errors=True)
            finally:
                lock.release()
                lock.path.unlink(missing_ok=True)
            log.warning("discarded search index %s: its fill never completed", p.name)
            gone.append(p.name)
        return gone

    def pending_generation(self) -> str | None:
        try:
            name = (self.root / "pending").read_text().strip()
        except FileNotFoundError:
            return None
        return name if name and self.path(name).is_dir() else None

    def request_swap(self, generation: str) -> None:
        tmp = self.root / f".pending-{os.getpid()}"
        tmp.write_text(generation)
        os.replace(tmp, self.root / "pending")

    def clear_pending(self) -> None:
        (self.root / "pending").unlink(missing_ok=True)

    def node_id(self) -> str:
        """This directory's own id (``node-id``), made on first use: two
        machines reporting under one node name are told apart by it, and a
        restart or a rebuild of the directory keeps it."""
        path = self.root / "node-id"
        try:
            return path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            pass
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".node-id-{os.getpid()}"
        tmp.write_text(uuid.uuid4().hex + "\n", encoding="ascii")
        try:
            os.link(tmp, path)  # the first process to get here names it
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
        self._fsync_dir()
        return path.read_text(encoding="ascii").strip()

    def _fsync_dir(self) -> None:
        fd = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class FileLock:
    """An exclusive flock on ``writer.lock``; the kernel frees it if we die."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def acquire(
        self, wait: float | None, stop: Callable[[], bool] | None = None
    ) -> None:
        """Wait up to ``wait`` s (None: forever, or until ``stop()`` is true)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = None if wait is None else time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                late = deadline is not None and time.monotonic() >= deadline
                if late or (stop is not None and stop()):
                    os.close(fd)
                    raise WriterBusy(f"another process holds {self.path}") from None
                time.sleep(0.05)
        self.fd = fd

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


class TantivyWriter(Writer):
    def __init__(
        self,
        store: Store,
        generation: str,
        lock: FileLock | None,
        heap_size: int,
        threads: int,
        *,
        fresh: bool = False,
        bulk: tuple[int, int] | None = None,
        build_lock: FileLock | None = None,
    ) -> None:
        self.store = store
        self.lock = lock
        self.build_lock = build_lock
        self.heap_size = heap_size
        self.threads = threads
        # A brand-new generation holds no article until its first commit:
        # upserts need no delete (each queued delete is applied at commit).
        # ``bulk``: the heap and threads for filling it, larger than the
        # running indexer's.
        self.fresh = fresh
        self.fresh_heap = bulk is not None
        self._open(generation, *(bulk or (heap_size, threads)))

    def _open(
        self, generation: str, heap_size: int | None = None, threads: int | None = None
    ) -> None:
        self.generation = generation
        self.index, foreign = open_checked(self.store.path(generation))
        self.schema = self.index.schema
        self._writer = self.index.writer(
            heap_size or self.heap_size, threads or self.threads
        )
        self.index.config_reader("manual", 0)
        self.index.reload()
        meta = read_meta(self.index.searcher(), self.schema)
        self._last = meta["outbox"]
        self.due = meta["due"]
        self.stale = foreign or meta["schema"] != SCHEMA_VERSION
        self.epoch = self.store.sealed_epoch(generation)

    def upsert(self, docs: Iterable[IndexDocument]) -> None:
        add, delete = self._writer.add_document, self._writer.delete_documents_by_term
        for doc in docs:
            if not self.fresh:
                delete("id", doc.id)
            add(to_tantivy(doc))

    def delete(self, ids: Iterable[int]) -> None:
        for pk in ids:
            self._writer.delete_documents_by_term("id", int(pk))

    def commit(
        self, last_outbox_id: int | None = None, due: datetime | None = None
    ) -> None:
        if last_outbox_id is not None:
            self._last = int(last_outbox_id)
        if due is not None:
            self.due = due
        self._writer.delete_documents_by_term("id", META_ID)
        meta = tantivy.Document()
        meta.add_integer("id", META_ID)
        meta.add_integer("outbox", self._last)
        meta.add_integer("schema", SCHEMA_VERSION)
        if self.due is not None:
            # Whole seconds, rounded down: a second swept twice is harmless.
            meta.add_integer("ts", int(self.due.timestamp()))
        self._writer.add_document(meta)
        self._writer.commit()
        self.fresh = False  # committed documents exist now: upserts must replace

    def rollback(self) -> None:
        self._writer.rollback()

    def last_outbox_id(self) -> int:
        return self._last

    def switch_to(self, generation: str) -> None:
        self._close_writer()
        self.fresh = self.fresh_heap = False
        self._open(generation)

    def seal(self, documents: int, epoch: str = "") -> None:
        self.store.seal(self.generation, documents, epoch)
        self.epoch = epoch
        self._release_build_lock()
        if self.fresh_heap:
            # Filled with the bulk heap and threads: follow the outbox with
            # the running indexer's smaller ones.
            self.switch_to(self.generation)

    def _release_build_lock(self) -> None:
        if self.build_lock is not None:
            self.build_lock.release()
            if self.store.is_sealed(self.generation):
                self.build_lock.path.unlink(missing_ok=True)
            self.build_lock = None

    def make_live(self) -> None:
        if not self.store.is_sealed(self.generation):
            raise RuntimeError(f"{self.generation} is not sealed: its fill is not done")
        self.store.point_to(self.generation)
        if self.store.pending_generation() == self.generation:
            self.store.clear_pending()
        self.store.prune()

    def _close_writer(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            # Let merges finish so the next writer starts from a tidy index.
            writer.wait_merging_threads()

    def close(self) -> None:
        try:
            self._close_writer()
        finally:
            self._release_build_lock()
            if self.lock is not None:
                self.lock.release()
                self.lock = None
