"""The indexer: applies the outbox to the index in id order, in batches.

Each batch is one index commit that also records the outbox watermark (the
last id below which every row has been applied), so a SIGKILL at any moment
loses nothing: on restart the indexer resumes after the watermark it finds in
the index, and re-applying a row is harmless because a row only says "look
at this article again" and the indexer reads the article's current state.

The index holds only what is public now. A row for an article scheduled
for later is applied as "not public" (nothing is indexed) and the article's
time is noted: the indexer wakes at the next due time and adds every
article released since the last such sweep (``Writer.due``, kept in the
index's metadata, so a restart misses none).

On PostgreSQL ids are handed out before commit, so a row with a smaller id
can become visible after a larger one. Such gaps ("holes") hold the
watermark back and are re-checked each batch until filled, or until they
were first seen ``HOLE_GRACE`` seconds ago (a rolled-back transaction) by the
database's clock, the one that also dates its open transactions.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.db import close_old_connections
from django.db.models import Q
from django.utils import timezone

from . import nodes, wake
from .backends import get_backend
from .backends.base import SearchBackend, Writer, WriterBusy
from .documents import all_documents, came_due, documents_for, next_due
from .models import IndexChange
from .outbox import database_now, discard, fill_watermark, oldest_open_writer

log = logging.getLogger(__name__)

BATCH_SIZE = 500
# A backlog (a bulk import, a mass edit) is applied in growing batches, up to
# this many rows a commit: each commit writes a segment, and thousands of
# small segments cost more to merge than to index. Back to BATCH_SIZE as
# soon as a batch comes back short, so a single edit is still seen at once.
MAX_BATCH_SIZE = 8000
HOLE_GRACE = 30.0  # seconds
# Holes are kept one id at a time up to this width; a wider gap (a bulk
# transaction of thousands of rows still open, or a sequence jump) is kept
# as one range, re-read each batch like the holes and dropped by the same rule.
MAX_HOLES = 1000
# A generation whose metadata says nothing about due articles (None) sweeps
# from here: every public article, once.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Stopped(Exception):
    """The indexer was asked to stop (SIGTERM) while waiting or filling."""


class Indexer:
    def __init__(
        self,
        backend: SearchBackend | None = None,
        batch_size: int = BATCH_SIZE,
        stop: Callable[[], bool] = lambda: False,
    ) -> None:
        self.backend = backend or get_backend()
        self.batch_size = batch_size
        self.batch = batch_size  # grows while a backlog lasts
        self.writer: Writer | None = None
        self.applied = 0
        self.holes: dict[int, object] = {}  # id -> database time first seen
        # Wider gaps as ranges: (first, last, database time first seen).
        self.gaps: list[tuple[int, int, object]] = []
        self.stop = stop
        self.started = timezone.now()
        self.reported = 0.0  # monotonic time of the last heartbeat
        self.checked = 0.0  # and of the last look at the outbox's reach
        self.clash_said = -math.inf  # and of the last log of a name clash
        self.next_due: datetime | None = None  # the next scheduled release

    def open(self, wait: float | None = None) -> None:
        """Take the writer lock (waiting up to ``wait`` s; None: forever, or
        until ``stop()``), then make sure a complete, reachable index is live."""
        try:
            self.writer = self.backend.writer(wait=wait, stop=self.stop)
        except WriterBusy:
            if self.stop():
                raise Stopped from None
            raise
        for name in self.backend.discard_unfinished():
            log.warning("search index %s was left half filled; deleted it", name)
        writer = self.writer
        if writer.created:
            # No index on this machine yet: fill it from the database (the
            # outbox may not go back to the first article), then make it live.
            log.warning(
                "no search index here yet: filling %s from the database; "
                "searches answer 503 until it is live",
                writer.generation,
            )
            self.report(nodes.SearchNode.State.REBUILDING)
            self._fill(writer, fill_watermark())
            writer.make_live()
        else:
            reason = self._rebuild_reason()
            if reason:
                pending = self.backend.pending_generation()
                if pending and pending != writer.generation:
                    self.adopt(pending)  # rebuild_search_index has just built one
                else:
                    self._rebuild(reason)
        self._reset()
        self.report()

    def _rebuild_reason(self) -> str:
        writer = self.writer
        if writer.stale:
            return "it was built by an older schema"
        if writer.unfinished:
            return "it is the empty leftover of a fill that never completed"
        pruned, epoch = nodes.outbox_state()
        if writer.epoch != epoch:
            return "the database was restored from a backup since it was built"
        if writer.last_outbox_id() < pruned:
            return (
                f"its outbox position #{writer.last_outbox_id()} is below what "
                f"the outbox still holds (pruned through #{pruned})"
            )
        return ""

    def _rebuild(self, reason: str) -> None:
        """Build a new generation from the database and adopt it. Searches
        read the old one meanwhile."""
        log.warning(
            "search index %s: %s; rebuilding it from the database",
            self.writer.generation,
            reason,
        )
        self.report(nodes.SearchNode.State.REBUILDING)
        builder = self.backend.create_generation()
        try:
            self._fill(builder, fill_watermark())
        except BaseException:
            discard(self.backend, builder)
            raise
        finally:
            builder.close()
        self.adopt(builder.generation)
        log.warning("search index rebuilt: %s is live", builder.generation)

    def _reset(self) -> None:
        self.applied = self.writer.last_outbox_id()
        self.holes = {}
        self.gaps = []
        self.next_due = next_due(self.writer.due or _EPOCH)

    def report(self, state: str = "", force: bool = True) -> None:
        """Tell the database where this node stands (a heartbeat)."""
        now = time.monotonic()
        if not force and now - self.reported < nodes.HEARTBEAT_SECONDS:
            return
        self.reported = now
        generation = self.backend.live_generation()
        applied = self.writer.last_outbox_id() if self.writer else 0
        if generation != getattr(self.writer, "generation", None):
            applied = self.backend.last_outbox_id()
        try:
            nodes.report(
                generation,
                applied,
                state or nodes.SearchNode.State.FOLLOWING,
                started=self.started,
                instance=self.backend.node_id(),
            )
        except nodes.NameTaken as exc:
            # The index is still kept up to date; the clash is said once a
            # minute, and this node's /readyz names it.
            if now - self.clash_said >= nodes.CLAIM_SECONDS:
                self.clash_said = now
                log.error("%s", exc)
        else:
            self.clash_said = -math.inf

    def check_reach(self) -> None:
        """Rebuild when the outbox was pruned past this index's position
        (this node was silent longer than NEWSROOM_SEARCH_NODE_TIMEOUT) or
        the database was restored. Looks at most every heartbeat."""
        now = time.monotonic()
        if now - self.checked < nodes.HEARTBEAT_SECONDS:
            return
        self.checked = now
        pruned, epoch = nodes.outbox_state()
        if self.watermark() < pruned or self.writer.epoch != epoch:
            self._rebuild(self._rebuild_reason() or "the outbox was pruned past it")
            self._reset()
            self.report()

    def close(self, state: str = "") -> None:
        if self.writer is None:
            return
        try:
            if state:
                self.report(state)
        except Exception:  # noqa: BLE001 - the database may be what failed
            log.exception("search indexer could not report its state")
        finally:
            self.writer.close()
            self.writer = None

    def step(self, adopt_pending: bool = True) -> int:
        """Apply one batch and commit; returns the number of rows applied."""
        pending = self.backend.pending_generation() if adopt_pending else None
        if pending and pending != self.writer.generation:
            self.adopt(pending)
        rows = list(
            IndexChange.objects.filter(id__gt=self.applied)
            .order_by("id")
            .values_list("id", "article_id", "created_at")[: self.batch]
        )
        full = len(rows) == self.batch
        if self.holes:
            filled = list(
                IndexChange.objects.filter(id__in=list(self.holes)).values_list(
                    "id", "article_id", "created_at"
                )
            )
            for row in filled:
                self.holes.pop(row[0], None)
            rows += filled
        if self.gaps:
            rows += self._fill_gaps()
        rows += self._note_holes(rows)
        now = timezone.now()
        sweep = self.next_due is not None and self.next_due <= now
        due = came_due(self.writer.due or _EPOCH, now) if sweep else []
        if not rows and not sweep:
            return 0
        try:
            started = time.monotonic()
            self._apply({article_id for _, article_id, _ in rows} | set(due), now)
            if rows:
                self.applied = max(self.applied, max(r[0] for r in rows))
            applied = time.monotonic()
            self.writer.commit(self.watermark(), due=now)
            log.debug(
                "applied %d outbox rows to %d (%d held back): read %.0f ms, "
                "commit %.0f ms",
                len(rows),
                self.watermark(),
                self.applied - self.watermark(),
                (applied - started) * 1000,
                (time.monotonic() - applied) * 1000,
            )
        except Exception:
            self.writer.rollback()
            self.batch = self.batch_size
            raise
        self.batch = (
            min(self.batch * 2, max(MAX_BATCH_SIZE, self.batch_size))
            if full
            else self.batch_size
        )
        if sweep:
            self.next_due = next_due(now)
        return len(rows) + len(due)

    def watermark(self) -> int:
        lows = [g[0] for g in self.gaps]
        if self.holes:
            lows.append(min(self.holes))
        return min(lows) - 1 if lows else self.applied

    def _fill_gaps(self) -> list[tuple]:
        """Rows that appeared in the wide gaps (a bulk transaction committed);
        what is still missing of each stays a gap, or holes when narrow."""
        found, gaps = [], []
        for first, last, created in self.gaps:
            rows = list(
                IndexChange.objects.filter(id__gte=first, id__lte=last)
                .order_by("id")
                .values_list("id", "article_id", "created_at")[: self.batch]
            )
            found += rows
            # Read through ``top``: beyond it (a full read) it is still a gap.
            top = rows[-1][0] if len(rows) == self.batch else last
            expected = first
            for pk in [r[0] for r in rows] + [top + 1]:
                if pk > expected:
                    self._add_gap(expected, pk - 1, created, gaps)
                expected = pk + 1
            if top < last:
                gaps.append((top + 1, last, created))
        self.gaps = gaps
        return found

    def _add_gap(self, first: int, last: int, created, gaps: list) -> None:
        if last - first + 1 <= MAX_HOLES:
            for hole in range(first, last + 1):
                self.holes.setdefault(hole, created)
        else:
            gaps.append((first, last, created))

    def _note_holes(self, rows) -> list[tuple]:
        """Note the gaps among ``rows`` and drop holes and gaps past the
        grace; returns the rows of dropped ones that committed meanwhile, to
        apply too."""
        # Dated by the database's clock when first seen, not by the created_at
        # of the row after the hole: that is the clock of whichever app server
        # wrote the row, and one a minute slow made a hole of a transaction
        # still open look past the grace at once.
        now = None
        expected = self.applied + 1
        for pk, _, _ in sorted(r for r in rows if r[0] > self.applied):
            if pk > expected:
                now = now or database_now()
                self._add_gap(expected, pk - 1, now, self.gaps)
            expected = pk + 1
        if not self.holes and not self.gaps:
            return []
        cutoff = (now or database_now()) - timedelta(seconds=HOLE_GRACE)
        created = [*self.holes.values(), *(g[2] for g in self.gaps)]
        if any(c <= cutoff for c in created):
            # Past the grace a hole is a rolled-back transaction, unless a
            # writing transaction that began before it was seen is still open:
            # a bulk action of thousands of saves runs for longer than the
            # grace, and its first rows were dropped as holes before it
            # committed.
            oldest = oldest_open_writer()
            if oldest is not None:
                cutoff = min(cutoff, oldest)
        dropped = [h for h, c in self.holes.items() if c <= cutoff]
        ranges = [g for g in self.gaps if g[2] <= cutoff]
        if not dropped and not ranges:
            return []
        self.holes = {h: c for h, c in self.holes.items() if c > cutoff}
        self.gaps = [g for g in self.gaps if g[2] > cutoff]
        # The outbox was read before pg_stat_activity: a transaction that
        # committed in between is no longer open, yet its rows were not
        # read. Read once more, after it: what is still missing is gone.
        late = Q(id__in=dropped)
        for first, last, _ in ranges:
            late |= Q(id__gte=first, id__lte=last)
        return list(
            IndexChange.objects.filter(late).values_list(
                "id", "article_id", "created_at"
            )
        )

    def _apply(self, article_ids: set[int], now: datetime) -> None:
        """Index what is public ``now``; remove the rest. A row for an
        article scheduled later moves the next wake-up to its time."""
        docs = documents_for(sorted(article_ids), now)
        gone = [pk for pk in article_ids if pk not in docs]
        self.writer.delete(gone)
        self.writer.upsert(docs.values())
        if gone:
            later = next_due(now, among=gone)
            if later and (self.next_due is None or later < self.next_due):
                self.next_due = later

    def catch_up(self) -> int:
        total = 0
        while n := self.step():
            total += n
        return total

    def adopt(self, generation: str) -> None:
        """Switch to a rebuilt generation, bring it up to date, make it live."""
        log.info("adopting rebuilt search index %s", generation)
        self.writer.switch_to(generation)
        self._reset()
        while self.step(adopt_pending=False):
            pass
        self.writer.make_live()

    def _fill(
        self,
        writer: Writer,
        watermark: int,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Write every public article into a new generation, commit, seal.

        Stops (``Stopped``) between batches when asked: the generation stays
        unsealed, is never made live, and the next start discards it.
        """
        count, batch = 0, []
        epoch = nodes.outbox_state()[1]
        now = timezone.now()  # articles released later are swept when due
        for doc in all_documents(now=now):
            batch.append(doc)
            if len(batch) >= 1000:
                if self.stop():
                    writer.rollback()
                    raise Stopped
                writer.upsert(batch)
                count += len(batch)
                batch = []
                if progress:
                    progress(count)
                if self.writer is not None:
                    # A fill of a million articles takes minutes: still a
                    # heartbeat, so the node is not taken for a silent one.
                    self.report(nodes.SearchNode.State.REBUILDING, force=False)
        writer.upsert(batch)
        count += len(batch)
        writer.commit(watermark, due=now)
        writer.seal(count, epoch)
        if progress:
            progress(count)
        return count


def drain(
    backend: SearchBackend | None = None,
    wait: float | None = 30.0,
    batch_size: int = BATCH_SIZE,
) -> int:
    """Apply everything in the outbox now (tests, scripts); returns rows applied."""
    indexer = Indexer(backend, batch_size)
    indexer.open(wait=wait)
    try:
        applied = indexer.catch_up()
        indexer.report()
        return applied
    finally:
        indexer.close()


def run(
    backend: SearchBackend | None = None,
    poll: float = 0.2,
    stop: Callable[[], bool] = lambda: False,
    wait: float | None = None,
    batch_size: int = BATCH_SIZE,
) -> None:
    """The indexer loop of ``manage.py run_indexer``: wait, apply, commit.

    It waits at most ``poll`` seconds between looks at an idle outbox, and
    on PostgreSQL wakes as soon as a transaction that wrote outbox rows
    commits (``wake``). ``stop()`` is checked while waiting for the writer
    lock, between fill batches and between outbox batches, so a SIGTERM ends
    it within a batch (a commit is never interrupted) and a standby indexer
    at once.
    """
    indexer = Indexer(backend, batch_size, stop=stop)
    try:
        indexer.open(wait=wait)
    except Stopped:
        log.warning("search indexer stopped before it took over")
        indexer.close()
        return
    log.info("search indexer holds the writer lock")
    state = nodes.SearchNode.State.STOPPED
    waiter = wake.Waiter()
    try:
        while not stop():
            try:
                indexer.report(force=False)
                indexer.check_reach()
                if indexer.step():
                    continue
            except Stopped:
                break
            except Exception:
                log.exception("search indexer batch failed; retrying")
                close_old_connections()
                _sleep(1.0, stop)
                continue
            close_old_connections()
            waiter.wait(poll, stop)
    finally:
        waiter.close()
        indexer.close(state)


def _sleep(seconds: float, stop: Callable[[], bool]) -> None:
    end = time.monotonic() + seconds
    while not stop() and (left := end - time.monotonic()) > 0:
        time.sleep(min(left, 0.1))


def rebuild(
    backend: SearchBackend | None = None,
    wait: float = 120.0,
    progress: Callable[[int], None] | None = None,
) -> tuple[str, int]:
    """Build a fresh generation from the database and swap it in atomically.

    Searches keep reading the old generation until the swap. When an indexer
    holds the writer lock, it is asked to adopt the new generation (it
    applies the outbox written meanwhile, then swaps); otherwise this
    process does that itself. Returns (generation, documents).
    """
    backend = backend or get_backend()
    if not backend.supports_generations:
        raise NotImplementedError(f"{backend.alias} cannot rebuild into a new index")
    watermark = fill_watermark()
    builder = backend.create_generation()
    generation = builder.generation
    try:
        count = Indexer(backend)._fill(builder, watermark, progress)
    except BaseException:
        discard(backend, builder)
        raise
    finally:
        builder.close()
    # Offered to whichever writer comes next: a running indexer adopts it;
    # with none, the writer opened below does (with no index yet, instead of
    # creating an empty one; with a stale one, instead of building another).
    backend.request_swap(generation)
    indexer = Indexer(backend)
    try:
        indexer.open(wait=0)
    except WriterBusy:
        backend.request_swap(generation)
        deadline = time.monotonic() + wait
        while backend.live_generation() != generation:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"the running indexer did not adopt {generation} in {wait:.0f} s"
                ) from None
            time.sleep(0.1)
        return generation, count
    try:
        indexer.adopt(generation)
        indexer.catch_up()
    finally:
        indexer.close()
    return generation, count
