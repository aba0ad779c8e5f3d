"""The tantivy backend's index generations: the writer over the live one, a
new one filled beside it (rebuild, first run) and the swap (docs/search.md,
"Layout on disk"; tantivy_store.py keeps the files).

``Generations`` is a part of ``TantivyBackend`` (tantivy.py), which holds the
store, the reader and the writer's options."""

from __future__ import annotations

from collections.abc import Callable

import tantivy
from tantivy import Query

from .base import Writer
from .tantivy_store import (
    META_ID,
    FileLock,
    Store,
    TantivyWriter,
    open_index,
    read_meta,
)


class Generations:
    """What the indexer and the operator commands ask of the index."""

    # Held by TantivyBackend.
    schema: tantivy.Schema
    store: Store
    heap_size: int
    threads: int
    bulk: tuple[int, int]
    _usable: bool
    _node_id: str | None
    searcher: Callable[[], tantivy.Searcher | None]

    # Inspection
    def document_ids(self) -> set[int]:
        searcher = self.searcher()
        if searcher is None or searcher.num_docs == 0:
            return set()
        res = searcher.search(Query.all_query(), searcher.num_docs, count=False)
        values = searcher.fast_field_values("id", [a for _, a in res.hits])
        return {int(v) for v in values if v is not None and v != META_ID}

    def last_outbox_id(self) -> int:
        searcher = self.searcher()
        if searcher is None:
            return 0
        return read_meta(searcher, self.schema)["outbox"]

    # Writing
    def writer(
        self, wait: float | None = None, stop: Callable[[], bool] | None = None
    ) -> Writer:
        lock = FileLock(self.store.root / "writer.lock")
        lock.acquire(wait, stop)
        try:
            generation = self.store.live_generation()
            pending = self.store.pending_generation()
            if generation is None and pending is not None:
                # First run after a rebuild: its generation is complete (and
                # holds its watermark), so it becomes the live one as it is.
                self.store.point_to(pending)
                self.store.clear_pending()
                generation = pending
            if generation is None:
                # First run: a new generation the indexer fills from the
                # database. It becomes live only once sealed, so a crash
                # mid-fill leaves no live index (searches answer 503), never
                # an empty one that looks complete.
                writer = self._new_generation_writer(lock)
                writer.created = True
                return writer
            writer = TantivyWriter(
                self.store, generation, lock, self.heap_size, self.threads
            )
            if not self.store.is_sealed(generation) and not self._legacy_ok(
                writer.last_outbox_id(), writer.index.searcher().num_docs
            ):
                writer.unfinished = True
            return writer
        except BaseException:
            lock.release()
            raise

    @staticmethod
    def _legacy_ok(applied: int, num_docs: int) -> bool:
        """A generation from before seals existed: usable unless it is the
        empty one a crashed first fill left (watermark 0, only metadata)."""
        return applied > 0 or num_docs > 1

    def usable(self) -> bool:
        """A complete generation is live (checked once per index change)."""
        return self.searcher() is not None and self._usable

    def _new_generation_writer(self, lock: FileLock | None) -> TantivyWriter:
        generation = self.store.new_generation()
        building = self.store.build_lock(generation)
        building.acquire(wait=0)
        try:
            open_index(self.store.path(generation))
            return TantivyWriter(
                self.store,
                generation,
                lock,
                self.heap_size,
                self.threads,
                fresh=True,
                bulk=self.bulk,
                build_lock=building,
            )
        except BaseException:
            building.release()
            raise

    def create_generation(self) -> Writer:
        return self._new_generation_writer(None)

    def discard_unfinished(self) -> list[str]:
        return self.store.discard_unfinished()

    def request_swap(self, generation: str) -> None:
        self.store.request_swap(generation)

    def pending_generation(self) -> str | None:
        return self.store.pending_generation()

    def live_generation(self) -> str | None:
        return self.store.live_generation()

    def node_id(self) -> str:
        if self._node_id is None:
            self._node_id = self.store.node_id()
        return self._node_id

    def live_epoch(self) -> str | None:
        generation = self.store.live_generation()
        return None if generation is None else self.store.sealed_epoch(generation)
