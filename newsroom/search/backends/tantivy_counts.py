"""Totals and facet counts that do not visit every match (issue 16).

At 1,000,000 articles a common word matches a quarter of them: counting those
cost ~5 ms and their facet counts ~22 ms, where the best 200 by BM25 cost ~3
ms (docs/search-benchmarks.md, "After: 1,000,000 articles"). So:

* An **upper bound** on the matches comes from the words' document
  frequencies (a clause matches at most the sum over its words and fields;
  an AND at most its smallest clause). It is hard: deleted documents that
  are not merged away yet only raise it.
* At most ``EXACT_MAX`` matches (or all of them in hand after the top-k):
  counted exactly, facets over every match.
* More: counted, and faceted, in a **window of the newest articles** (whole
  months, newest first, enough to hold about ``EXACT_MAX`` matches at the
  bound's share). Those are exactly the newest ``M`` matches; the page says
  its facets count them. The window is a set of indexed ``ym`` terms, so its
  documents lead the intersection instead of every match being visited. The
  total is then "about" ``M x articles / articles in the window``, kept in
  ``[M, bound]``, which is the bound the page and the API state.
* A recency page inside the rescore window reads no window (tenth session):
  its top-k counts in its own pass (the total is exact; a union of words
  estimated at ``UNCOUNTED_MIN`` or more is not counted, sixteenth
  session: ``union_estimate``), and the facets
  count its best hits from their facet codes (``CodeBook``, fifteenth
  session; a hit the codes cannot tell is looked up by id and aggregated,
  ``Counter.best``; ``TantivyBackend._best_counts``).
"""

from __future__ import annotations

import heapq
import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from operator import itemgetter

import tantivy
from tantivy import Occur, Query

from .. import analysis
from ..query import SearchQuery, Word
from .base import FacetValue
from .tantivy_cost import atom_tokens, freq
from .tantivy_store import META_ID

EXACT_MAX = 5_000  # matches counted (and faceted) exactly
FACET_SIZE = 30
CACHE_SIZE = 256
ARCHIVE_SECONDS = 30.0  # months of the archive re-read at most this often
COUNT_THREADS = 4  # a process's threads for counts beside the top-k


@dataclass(frozen=True)
class Archive:
    """How many articles each month holds, newest first (per index reader)."""

    num_docs: int
    months: tuple[tuple[int, int], ...]


@dataclass
class Counts:
    total: int
    exact: bool = True
    low: int = 0
    high: int = 0
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    over: int | None = None  # facets counted over ``over`` matches only
    by: str = "newest"  # which: the newest, or the best by "relevance"

    def at_least(self, seen: int) -> Counts:
        """These counts, knowing at least ``seen`` documents match (an
        estimate made before the top-k had seen them is raised to it)."""
        if self.exact or seen <= self.low:
            return self
        return replace(self, low=seen, total=min(self.high, max(self.total, seen)))


@dataclass(frozen=True)
class Ranked:
    """What a ranked top-k saw: its best hits' addresses (dated now or
    before, in BM25 order), how many matches its pass counted (None: not
    counted, or the pruned one-word query answered), and how many of its
    hits were dated after now."""

    addrs: list
    counted: int | None
    later: int


def read_archive(searcher: tantivy.Searcher) -> Archive:
    raw = searcher.aggregate(
        Query.all_query(), {"m": {"terms": {"field": "ym", "size": 100_000}}}
    )
    months = sorted(
        ((int(b["key"]), int(b["doc_count"])) for b in raw["m"]["buckets"]),
        reverse=True,
    )
    return Archive(searcher.num_docs, tuple(months))


def articles(searcher: tantivy.Searcher) -> int:
    """The articles the index holds: its documents less its metadata
    document (id ``META_ID``, rewritten by each commit), which no search
    for words matches. ``num_docs`` counts it: at 1M a page said "between
    200 and 1,000,001"."""
    return max(0, searcher.num_docs - (1 if freq(searcher, "id", META_ID) else 0))


def upper_bound(
    searcher: tantivy.Searcher, query: SearchQuery, fields, expanded: bool
) -> int:
    """At most this many documents match ``query`` (see the module's doc)."""
    n = articles(searcher)
    if expanded or not query.must:  # aliases, typo-tolerance: other terms
        return n
    best = n
    for clause in query.must:
        total = 0
        for atom in clause.atoms:
            tokens = atom_tokens(atom)
            if tokens is None:
                return n
            if tokens:
                total += sum(
                    min(freq(searcher, name, t) for t in tokens) for name in fields
                )
        best = min(best, total)
    return best


def widest_freqs(
    searcher: tantivy.Searcher, query: SearchQuery, fields
) -> list[int] | None:
    """Per word of a one-clause query of plain single-term words (an OR of
    words, a relaxed question), the most documents it is in in one of
    ``fields`` (its largest document frequency there). None for another
    shape (an AND, a phrase, a prefix, an exclusion, a word the analyzer
    splits)."""
    if len(query.must) != 1 or query.exclude:
        return None
    out = []
    for atom in query.must[0].atoms:
        if not isinstance(atom, Word) or atom.prefix:
            return None
        tokens = analysis.analyze_word(atom.text)
        if len(tokens) > 1:
            return None
        if tokens:
            out.append(max(freq(searcher, name, tokens[0]) for name in fields))
    return out


def union_estimate(
    searcher: tantivy.Searcher, query: SearchQuery, fields
) -> int | None:
    """About how many documents hold any word of a one-clause query of plain
    single-term words (an OR of words, a relaxed question) in any of
    ``fields``: N x (1 - the product over words of (1 - df / N)), a word's
    df its largest in one field (a headline's words are mostly in its
    text too), as if the words were independent. None for another shape.

    Against the exact count (estimate / exact - 1, median over each
    collection's questions, docs/search.md): Reuters +2 %, BBC +3 %, AG
    News -10 %, the six IR collections -3 to +15 %; at 1M the bench's
    words, which the generator draws independently of each other and of
    the fields, -9 %. Deleted documents not merged away yet raise it, as
    they raise ``upper_bound``."""
    n = articles(searcher)
    dfs = widest_freqs(searcher, query, fields) if n else None
    if dfs is None:
        return None
    miss = 1.0
    for df in dfs:
        miss *= 1 - min(n, df) / n
    return round(n * (1 - miss))


def largest_freq(searcher: tantivy.Searcher, query: SearchQuery, fields) -> int | None:
    """The most documents one word of a union (``widest_freqs``' shape)
    holds in one field: every one of them matches the union, so the
    matches are at least that many, less the documents deleted but not
    merged away, which the frequency still counts
    (``TantivyBackend._floor``). None for another shape."""
    dfs = widest_freqs(searcher, query, fields)
    return None if dfs is None else max(dfs, default=0)


def month_range(filters) -> tuple[int | None, int | None]:
    """The first and last months (``ym``) the date filters allow (None: no
    bound)."""
    low = high = None
    if filters.year:
        low, high = (
            (filters.year * 100 + filters.month,) * 2
            if filters.month
            else (filters.year * 100 + 1, filters.year * 100 + 12)
        )
    if filters.date_from:
        start = filters.date_from.year * 100 + filters.date_from.month
        low = start if low is None else max(low, start)
    if filters.date_to:
        end = filters.date_to.year * 100 + filters.date_to.month
        high = end if high is None else min(high, end)
    return low, high


def month_span(first: int, last: int) -> list[int]:
    """The months (``ym``) from ``first`` to ``last``, both included."""
    out = []
    y, m = divmod(first, 100)
    while y * 100 + m <= last:
        out.append(y * 100 + m)
        y, m = (y, m + 1) if m < 12 else (y + 1, 1)
    return out


def month_before(ym: int) -> int:
    y, m = divmod(ym, 100)
    return y * 100 + m - 1 if m > 1 else (y - 1) * 100 + 12


def window_months(
    archive: Archive, wanted: float, now: datetime
) -> tuple[list[int], int] | None:
    """The newest whole months holding at least ``wanted`` articles, and how
    many they hold; None: that is the whole archive."""
    held, months = 0, []
    for ym, count in archive.months:
        held += count
        months.append(ym)
        if held >= wanted:
            break
    else:
        return None
    if held >= archive.num_docs:
        return None
    # Months after the newest the archive figures knew of (they are re-read
    # every ARCHIVE_SECONDS): the window must hold every newer article.
    y, m = divmod(months[0], 100)
    last = max(now.year * 100 + now.month, months[0])
    while y * 100 + m < last:
        y, m = (y, m + 1) if m < 12 else (y + 1, 1)
        months.append(y * 100 + m)
    return months, held


class Counter:
    """Totals and facets for a search, with a per-process cache: an entry
    holds while the index reader is the same (it is in the key) and no
    article in it comes due (``due``), at most ``cache_seconds``."""

    def __init__(
        self, schema: tantivy.Schema, cache_seconds: float, exact_max: int = EXACT_MAX
    ) -> None:
        self.schema = schema
        self.cache_seconds = cache_seconds
        self.exact_max = exact_max
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple, tuple[float, tuple, float]] = OrderedDict()
        self._archive: tuple[tuple | None, float, Archive | None] = (None, 0.0, None)
        self._due: tuple[tuple | None, float, float] = (None, 0.0, 0.0)

    def due(self, searcher: tantivy.Searcher, stamp, now: float) -> float:
        """Until when counts made at ``now`` on this reader hold: the time
        of its next article dated after ``now`` (the public rule leaves it
        out until then; inf: none). The reader is in every cache key, so a
        change to the index is a new key; this bounds the rest."""
        seen, made, until = self._due
        if seen == stamp and made <= now < until:
            return until
        later = Query.range_query(
            self.schema, "ts", tantivy.FieldType.Integer, int(now) + 1, None
        )
        res = searcher.search(later, 1, order_by_field="ts", order=tantivy.Order.Asc)
        stamps = searcher.fast_field_values("ts", [a for _, a in res.hits])
        until = float(stamps[0]) if stamps and stamps[0] is not None else math.inf
        self._due = (stamp, float(int(now)), until)
        return until

    def archive(self, searcher: tantivy.Searcher, stamp) -> Archive:
        seen, at, found = self._archive
        now = time.monotonic()
        if found is None or (seen != stamp and now - at > ARCHIVE_SECONDS):
            found = read_archive(searcher)
            self._archive = (stamp, now, found)
        return found

    def counts(
        self,
        searcher: tantivy.Searcher,
        stamp,
        key: tuple,
        query: Query,
        *,
        high: int,
        known: int | None,
        seen: int,
        facets: bool,
        now: datetime,
        cached_only: bool = False,
    ) -> Counts | None:
        """``known``: the exact total when the top-k held every match;
        ``seen``: how many matches the top-k saw (at least that many).
        ``cached_only``: None unless the answer is in the cache (no search)."""
        if known is not None and not facets:
            return Counts(known, low=known, high=known)
        window = None
        # Past the bound the facets count the newest months' matches, also
        # when the top-k counted every match (date sorts): the total is exact.
        if high > self.exact_max and (known is None or known > self.exact_max):
            share = high / max(1, searcher.num_docs)
            window = window_months(
                self.archive(searcher, stamp), self.exact_max / share, now
            )
        months = tuple(window[0]) if window else None
        found = self._aggregate(
            searcher,
            (stamp, months, facets, *key),
            query,
            months,
            facets,
            cached_only,
            lambda: self.due(searcher, stamp, now.timestamp()),
            now.timestamp(),
        )
        if found is None:
            return None
        n, values = found
        if window is None:
            return Counts(n if known is None else known, low=n, high=n, facets=values)
        if known is not None:
            return Counts(known, low=known, high=known, facets=values, over=n)
        low = max(n, seen)
        scaled = round(n * searcher.num_docs / max(1, window[1]))
        estimate = min(high, max(low, round_estimate(scaled)))
        return Counts(estimate, exact=False, low=low, high=high, facets=values, over=n)

    def recall(self, key: tuple, now: float):
        """What ``keep`` put under ``key``, while it holds (None: nothing, or
        it ended). ``now``: the request's time."""
        if self.cache_seconds <= 0:
            return None
        with self._lock:
            found = self._cache.get(key)
        if (
            found
            and time.monotonic() - found[0] < self.cache_seconds
            and now < found[2]
        ):
            return found[1]
        return None

    def keep(self, key: tuple, value, due: Callable[[], float], at: float) -> None:
        """``value`` under ``key``, made at ``at`` (monotonic), until
        ``due()`` (the request's reader's next article dated after now)."""
        if self.cache_seconds <= 0:
            return
        until = due()  # a search at most once per reader: not under the lock
        with self._lock:
            self._cache[key] = (at, value, until)
            self._cache.move_to_end(key)
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)

    def best(self, searcher, query: Query) -> tuple[int, dict]:
        """(how many documents, their facets) for ``query`` (the best hits'
        ids), uncached: the caller keeps the page's counts whole."""
        return self._run(searcher, query, True)

    def _aggregate(
        self, searcher, key, query, months, facets, cached_only, due, now: float
    ):
        """``due()``: until when the counts hold; ``now``: the request's time."""
        at = time.monotonic()
        found = self.recall(key, now)
        if found is not None:
            n, values = found
            return n, dict(values)  # shared lists of frozen values: read only
        if cached_only:
            return None
        if months is not None:
            only = Query.term_set_query(self.schema, "ym", list(months))
            query = Query.boolean_query(
                [(Occur.Must, query), (Occur.Must, Query.const_score_query(only, 0))]
            )
        result = self._run(searcher, query, facets)
        self.keep(key, result, due, at)
        return result[0], dict(result[1])

    @staticmethod
    def _run(searcher, query: Query, facets: bool) -> tuple[int, dict]:
        aggs: dict = {"n": {"value_count": {"field": "ts"}}}
        if facets:
            aggs.update(
                section={"terms": {"field": "section", "size": FACET_SIZE}},
                tag={"terms": {"field": "tags", "size": FACET_SIZE}},
                author={"terms": {"field": "authors", "size": FACET_SIZE}},
                month={"terms": {"field": "ym", "size": 1200}},
            )
        raw = searcher.aggregate(query, aggs)
        values = {
            name: ranked(
                (str(b["key"]), int(b["doc_count"]))
                for b in raw.get(name, {}).get("buckets", [])
            )
            for name in aggs
            if name != "n"
        }
        return int(raw["n"]["value"] or 0), values


def ranked(pairs, size: int | None = None) -> list[FacetValue]:
    """(key, count) pairs as facet values, most frequent first, then by key
    (tantivy's aggregation leaves ties in no stated order), at most
    ``size``. Only the values as frequent as the ``size``-th most are
    sorted (a page's best 200 hits hold ~180 tags, most of them once)."""
    pairs = list(pairs)
    if size is not None and len(pairs) > size:
        if size <= 0:
            return []
        least = heapq.nlargest(size, map(itemgetter(1), pairs))[-1]
        pairs = [p for p in pairs if p[1] >= least]
    # By key, then stably by count (two sorts in C: ~40 us less than one
    # with a Python key for a page's 300 values).
    out = sorted(sorted(pairs), key=itemgetter(1), reverse=True)
    return [FacetValue(k, n) for k, n in out[:size]]


_pool: dict[int, ThreadPoolExecutor] = {}
_pool_lock = threading.Lock()


def counts_pool() -> ThreadPoolExecutor:
    """This process's pool for counts beside the top-k (made after a fork)."""
    pid = os.getpid()
    with _pool_lock:
        if pid not in _pool:
            _pool.clear()
            _pool[pid] = ThreadPoolExecutor(
                max_workers=COUNT_THREADS, thread_name_prefix="search-counts"
            )
        return _pool[pid]


def round_estimate(n: int) -> int:
    """Two significant figures: an estimate shown as 256,028 claims too much."""
    if n < 100:
        return n
    step = 10 ** (len(str(n)) - 2)
    return round(n / step) * step


def round_down(n: int) -> int:
    """A lower bound shown as an estimate is: two significant figures, never
    more than ``n`` (862,632 is "at least 860,000")."""
    if n < 100:
        return max(0, n)
    step = 10 ** (len(str(n)) - 2)
    return n // step * step
