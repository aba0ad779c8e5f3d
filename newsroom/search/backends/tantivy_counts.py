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
from collections import Counter as Tally
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from operator import itemgetter

import tantivy
from tantivy import Occur, Query

from .. import analysis
from ..query import Phrase, SearchQuery, Word
from .base import MAX_COSTLY_PHRASES, FacetValue
from .tantivy_store import CODE_FIELDS, CODE_KINDS, META_ID, MORE, facet_code

EXACT_MAX = 5_000  # matches counted (and faceted) exactly
FACET_SIZE = 30
CACHE_SIZE = 256
ARCHIVE_SECONDS = 30.0  # months of the archive re-read at most this often
# Long questions: a word in more than COMMON_SHARE of the articles, and in
# more than COMMON_MIN_DOCS of them, says little (BM25 idf ~1) but its
# postings are the longest to walk; the engine leaves it out of any-word
# queries of at least LONG_MIN_WORDS words when at least LONG_KEEP of the
# others are left. Only past COMMON_MIN_DOCS: on the six test collections
# (at most 11,429 documents) leaving such words out cost MAP (share 0.2:
# adi -7.5 %, cran -5.2 %; 0.5: lisa -1.3 %), and below that the words
# cost little time.
COMMON_SHARE = 0.2
COMMON_MIN_DOCS = 50_000
PHRASE_BODY_MAX_DOCS = 50_000  # see costly_phrases
# Such phrases are still looked for in the texts of the newest articles:
# whole months, newest first, holding at least this many (see
# ``costly_phrases``).
PHRASE_BODY_WINDOW = 10_000
# An AND of OR chains: each chain is a union the AND seeks at every match
# of the clause leading it, so it reads about each alternative's postings,
# at most as many as the smallest clause has matches. Past this many (body
# document frequencies so capped, summed over every clause) the commonest
# alternatives are left out (see ``trim_chains``).
CHAIN_MAX_POSTINGS = 3_000_000
# A one-word prefix (``ab*``) stands for its first PREFIX_EXPANSIONS terms
# in byte order (tantivy's expansion); past PREFIX_BODY_MAX_POSTINGS of
# their postings in article texts it is looked for in headlines,
# standfirsts and names only (see ``costly_prefixes``).
PREFIX_EXPANSIONS = 50
PREFIX_BODY_MAX_POSTINGS = 1_000_000
LONG_MIN_WORDS = 4
LONG_KEEP = 2
HAS = ("headline", "body")
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


def atom_tokens(atom) -> list[str] | None:
    """The terms an atom searches for (None: a prefix, which expands)."""
    if isinstance(atom, Phrase):
        return analysis.analyze(" ".join(atom.words))
    if atom.prefix:
        return None
    return analysis.analyze_word(atom.text)


_FREQS: tuple = (None, {})  # (the searcher, its (field, term) -> doc_freq)
FREQS_MAX = 20_000


def freq(searcher: tantivy.Searcher, field: str, term: str | int) -> int:
    """``searcher.doc_freq(field, term)``, remembered for this searcher (a
    page asks ~50 times, the same few words: upper bounds, common words,
    the long-question probe). A new searcher (the index changed) starts
    afresh; one tuple swapped whole, so threads never mix two searchers'."""
    global _FREQS
    held = _FREQS
    if held[0] is not searcher:
        held = _FREQS = (searcher, {})
    known = held[1]
    key = (field, term)
    found = known.get(key)
    if found is None:
        if len(known) >= FREQS_MAX:
            known.clear()
        found = known[key] = searcher.doc_freq(field, term)
    return found


def prefix_postings(searcher: tantivy.Searcher, field: str, prefix: str) -> int:
    """The postings tantivy reads for ``prefix*`` in ``field``: those of its
    first ``PREFIX_EXPANSIONS`` terms in byte order. Remembered with
    ``freq``'s figures (a term has no ``*``)."""
    global _FREQS
    held = _FREQS
    if held[0] is not searcher:
        held = _FREQS = (searcher, {})
    known = held[1]
    key = (field, prefix + "*")
    found = known.get(key)
    if found is None:
        if len(known) >= FREQS_MAX:
            known.clear()
        terms = sorted(searcher.terms_with_prefix(field, prefix))
        found = known[key] = sum(n for _, n in terms[:PREFIX_EXPANSIONS])
    return found


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


def strip_common(
    searcher: tantivy.Searcher, query: SearchQuery, min_docs: int = COMMON_MIN_DOCS
) -> SearchQuery:
    """A long any-word query without its words found in most articles.

    Only plain words are left out; a phrase, a prefix or a word the
    analyzer splits is kept, and counts as found (before the fourteenth
    session one such atom kept every common word in: at 1M fifteen common
    words, ``said-the`` and ``th*`` cost 120 ms a page)."""
    if len(query.must) != 1 or query.exclude:
        return query
    atoms = query.must[0].atoms
    if len(atoms) < LONG_MIN_WORDS:
        return query
    limit = max(min_docs, COMMON_SHARE * searcher.num_docs)
    kept, found = [], 0
    for atom in atoms:
        tokens = atom_tokens(atom)
        if not isinstance(atom, Word) or tokens is None or len(tokens) > 1:
            kept.append(atom)
            found += 1
        elif all(freq(searcher, "body", t) <= limit for t in tokens):
            kept.append(atom)
            # A word no article has (in headline or body) does not count.
            found += any(freq(searcher, n, t) for n in HAS for t in tokens)
    if found < LONG_KEEP or len(kept) == len(atoms):
        return query
    return SearchQuery(must=(type(query.must[0])(tuple(kept)),), raw=query.raw)


def trim_chains(
    searcher: tantivy.Searcher, query: SearchQuery, max_postings: int
) -> tuple[SearchQuery, tuple]:
    """(``query`` with its commonest OR alternatives left out, those left out).

    An AND of OR chains of common words is the dearest query a visitor can
    send: at 1,000,000 articles four chains of 16 cost ~210 ms a page, eight
    of 8 ~230, two of 8 ~67 (bench/abuse.py, "chains"), where one chain of
    16 costs ~22. Its cost is about the postings it reads: each
    alternative's body document frequency, at most the number of matches of
    the smallest clause (which leads the intersection; a union holds at most
    the sum of its words'), summed over every clause. While that passes
    ``max_postings`` the alternative reading most is left out (the most
    common word, of the larger chain on a tie); a chain keeps its last, a
    prefix is never left out (``MAX_PREFIXES`` bounds those), and one chain
    alone (a union, not sought) is left as it is."""
    clauses = [list(c.atoms) for c in query.must]
    if len(clauses) < 2 or all(len(c) < 2 for c in clauses):
        return query, ()
    n = searcher.num_docs
    sizes: dict = {}
    for atom in (a for c in clauses for a in c):
        tokens = atom_tokens(atom)
        sizes[atom] = (
            None  # a prefix: its terms are not known here
            if tokens is None
            else min((freq(searcher, "body", t) for t in tokens), default=0)
        )

    def matches(clause) -> int:
        if any(sizes[a] is None for a in clause):
            return n
        return min(n, sum(sizes[a] for a in clause))

    left_out = []
    while True:
        lead = min(matches(c) for c in clauses)
        read = sum(min(sizes[a] or 0, lead) for c in clauses for a in c)
        if read <= max_postings:
            break
        choices = [
            # The most read, the most common, the larger chain, the first.
            ((min(sizes[a], lead), sizes[a], len(c), -i, -j), i, j)
            for i, c in enumerate(clauses)
            if len(c) > 1
            for j, a in enumerate(c)
            if sizes[a] is not None
        ]
        if not choices:
            break
        _, i, j = max(choices)
        left_out.append(clauses[i].pop(j))
    if not left_out:
        return query, ()
    kept = tuple(
        type(c)(tuple(atoms)) for c, atoms in zip(query.must, clauses, strict=True)
    )
    order = [a for a in query.atoms() if a in left_out]
    return replace(query, must=kept), tuple(dict.fromkeys(order))


def costly_phrases(
    searcher: tantivy.Searcher, query: SearchQuery, max_docs: int
) -> frozenset:
    """Phrases whose every word is in more than ``max_docs`` bodies.

    A phrase is checked by reading the positions of its words in every body
    that has them all; at 1,000,000 articles a phrase like "the budget"
    cost 100-400 ms that way (bench/search.py, "phrase"), the rest of a page
    ~10. Such phrases are looked for in headlines and names, and in the
    bodies and standfirsts of the newest months only (``PHRASE_BODY_WINDOW``
    articles: 1-5 ms at 1M, docs/search.md), and the page says so. So
    are excluded ones: at 1M each ``-"the government"`` cost ~55 ms a page
    checked in every body (eight of them 420 ms)."""
    found = set()
    for atom in (*query.atoms(), *query.exclude):  # an exclusion reads them too
        # A word the analyzer splits (``said-the``, ``of'the``) is a phrase
        # too: at 1M four such OR-joined cost 639 ms a page in every body.
        if isinstance(atom, Phrase) or not atom.prefix:
            tokens = atom_tokens(atom) or []
            if len(tokens) > 1 and all(
                freq(searcher, "body", t) > max_docs for t in tokens
            ):
                found.add(atom)
    return frozenset(found)


def costly_prefixes(
    searcher: tantivy.Searcher,
    query: SearchQuery,
    max_postings: int,
    phrase_max_docs: int = PHRASE_BODY_MAX_DOCS,
) -> frozenset:
    """Prefixes, searched or excluded, too dear to look for in article
    texts: a one-word prefix whose expansion reads more than
    ``max_postings`` postings there (``prefix_postings``); a phrase ending
    in a prefix (``said'th*``) whose words are each in more than
    ``phrase_max_docs`` bodies and whose prefix's terms hold more than that
    many postings (at 1M ``said'th*`` cost 465 ms a page: every position of
    "said" and of 50 ``th`` terms read, as for a phrase of common words).

    A short prefix's first 50 terms hold words nearly every article has
    (``th*``: 4.4 million postings at 1,000,000 articles): four such
    prefixes OR-joined cost ~80 ms a page at 1M, with 12 common words ~120
    (docs/search.md). Such prefixes are looked for in headlines,
    standfirsts and names only, and the page says so. (A window of the
    newest bodies would not help: tantivy reads every posting of a
    prefix's terms before it intersects.) Such a phrase ending in a prefix
    is narrowed as a costly phrase by the backend (``_compile``): it is
    seeked, and the window's standfirsts and texts are read. A reader's
    prefix reads far less: ``inter*`` ~840,000, ``econom*`` ~470,000."""
    found = set()
    for atom in (*query.atoms(), *query.exclude):
        if isinstance(atom, Word) and atom.prefix:
            tokens = analysis.analyze(atom.text, analysis.FOLDED)
            if not tokens:
                continue
            *words, last = tokens
            if (
                prefix_postings(searcher, "body", last) > max_postings
                if not words
                else all(freq(searcher, "body", t) > phrase_max_docs for t in words)
                # One letter (``said'a*``): its 50 terms are common whatever
                # they are, and its walk would read a whole letter's terms.
                and (
                    len(last) < 2
                    or prefix_postings(searcher, "body", last) > phrase_max_docs
                )
            ):
                found.add(atom)
    return frozenset(found)


def cap_costly(
    query: SearchQuery, costly: frozenset, limit: int = MAX_COSTLY_PHRASES
) -> tuple[SearchQuery, tuple]:
    """(``query`` with at most ``limit`` of its ``costly`` phrases searched
    and as many excluded, the first ones; those left out, as the reader
    wrote them, an exclusion with its ``-``). A clause left
    with nothing is dropped; the parser's caps count quoted excluded
    phrases, not words the analyzer splits (``-said-the``), which are
    phrases too."""
    kept = set(list(dict.fromkeys(a for a in query.atoms() if a in costly))[:limit])
    kept |= set([a for a in query.exclude if a in costly][:limit])
    if not any(a in costly and a not in kept for a in (*query.atoms(), *query.exclude)):
        return query, ()
    left = [a for a in query.atoms() if a in costly and a not in kept]
    must = tuple(
        type(c)(atoms)
        for c in query.must
        if (atoms := tuple(a for a in c.atoms if a not in costly or a in kept))
    )
    exclude = tuple(a for a in query.exclude if a not in costly or a in kept)
    gone = [a for a in query.exclude if a in costly and a not in kept]
    texts = [a.to_text() for a in dict.fromkeys(left)]
    texts += [f"-{a.to_text()}" for a in gone]
    return replace(query, must=must, exclude=exclude), tuple(texts)


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


# Facet groups by field: (the page's name, the index's field, how many shown).
CODED = (("section", "section"), ("tag", "tags"), ("author", "authors"))


# The code book walks the term dictionaries again at most this often (s),
# and holds at most LEARN_MAX values a field, the most frequent (~4.5 MB for
# all three full, 60,000 codes and their slugs; a hit with a rarer value is
# aggregated).
LEARN_EVERY = 60.0
LEARN_MAX = 20_000


class CodeBook:
    """Facet codes (``tantivy_store.facet_code``) back to slugs, for the
    best hits' facets (``count``). Learnt from the section, tags and authors
    fields' term dictionaries (~1 us a term, 2 ms for the bench's 1,000 at
    1M, 0.2 s for an archive of 100,000 tags), again when a hit carries a
    code not known yet, at most once per searcher and once a ``LEARN_EVERY``
    per process (a new tag's first articles come with each commit), and only
    the ``limit`` most frequent values of a field (tantivy ranks them; its
    walk of a field's terms costs ~0.5 us a term, the codes ~1 us each). A
    code not known, or that two slugs share (known as ``None``), leaves its
    hits to the aggregation, as do hits with more values than their codes
    hold."""

    def __init__(self, limit: int = LEARN_MAX) -> None:
        self.limit = limit
        self._slugs: dict[int, str | None] = {}
        self._learnt_from = None  # the searcher last read
        self.learnt_at = -math.inf  # time.monotonic()
        self._lock = threading.Lock()

    def known(self, field: str, slug: str) -> bool:
        return self._slugs.get(facet_code(field, slug)) == slug

    def _learn(self, searcher) -> dict[int, str | None]:
        with self._lock:
            now = time.monotonic()
            if (
                self._learnt_from is not searcher
                and now - self.learnt_at >= LEARN_EVERY
            ):
                self._slugs = self._walk(searcher)
                self._learnt_from, self.learnt_at = searcher, now
            return self._slugs

    def _walk(self, searcher) -> dict[int, str | None]:
        slugs: dict[int, str | None] = {}
        for name in CODE_KINDS:
            for term, _ in searcher.terms_with_prefix(name, "", limit=self.limit):
                code = facet_code(name, term)
                slugs[code] = term if slugs.get(code, term) == term else None
        return slugs

    def count(self, searcher, addrs: list) -> tuple[dict[str, Tally], list]:
        """(per facet group, key -> how many of the documents at ``addrs``
        have it, for those whose codes tell; the addresses left: more values
        than codes, or a code two slugs share). The usual case is one tally
        of every code read (~0.3 ms for 200 hits at 1M, 0.1 of it the nine
        reads; a loop over each hit's own codes cost 0.6)."""
        read = searcher.fast_field_values
        months = read("ym", addrs)
        first = read(CODE_FIELDS[0], addrs)
        rest = [i for i, c in enumerate(first) if c == MORE] if MORE in first else []
        codes = [c for c in first if c is not None and c != MORE]
        # The next field only for the documents that filled the last one.
        going = [
            a for a, c in zip(addrs, first, strict=True) if c is not None and c != MORE
        ]
        for name in CODE_FIELDS[1:]:
            if not going:
                break
            values = read(name, going)
            codes += [c for c in values if c is not None]
            going = [a for a, c in zip(going, values, strict=True) if c is not None]
        tally = Tally(codes)
        slugs = self._slugs
        if any(c not in slugs for c in tally):
            slugs = self._learn(searcher)
        shared = {c for c in tally if slugs.get(c) is None}
        if shared:
            # The documents holding such a code are left to the aggregation.
            columns = [first] + [read(name, addrs) for name in CODE_FIELDS[1:]]
            for i in range(len(addrs)):
                row = [col[i] for col in columns if col[i] is not None]
                if MORE not in row and not shared.isdisjoint(row):
                    rest.append(i)
                    tally.subtract(row)
        month = Tally(months)  # keys made strings once each, below
        for i in rest:
            month[months[i]] -= 1
        out: dict[str, Tally] = {name: Tally() for name, _ in CODED}
        kinds = {CODE_KINDS[field]: out[name] for name, field in CODED}
        for code, n in tally.items():
            if n > 0:
                kinds[code >> 32][slugs[code]] = n
        out["month"] = Tally({str(ym): n for ym, n in month.items() if n > 0})
        return out, [addrs[i] for i in sorted(rest)]


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
