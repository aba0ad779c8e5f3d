"""The default backend: tantivy (Rust, BM25) in-process, one index per machine.

Each process keeps one open index and one searcher; before a search it checks
(one readlink, one stat) whether the live generation or its ``meta.json``
changed and only then reloads. See docs/search.md for the options.
"""

from __future__ import annotations

import functools
import json
import os
import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

import tantivy
from django.utils import timezone
from tantivy import Occur, Query

from .. import analysis, highlight
from .base import (
    Filters,
    Hit,
    IndexUnavailable,
    SearchBackend,
    SearchRequest,
    SearchResults,
    Sort,
)
from .tantivy_codes import CodeBook
from .tantivy_cost import (
    CHAIN_MAX_POSTINGS,
    COMMON_MIN_DOCS,
    PHRASE_BODY_MAX_DOCS,
    PHRASE_BODY_WINDOW,
    PREFIX_BODY_MAX_POSTINGS,
    cap_costly,
    costly_phrases,
    costly_prefixes,
    freq,
    strip_common,
    trim_chains,
)
from .tantivy_counts import (
    EXACT_MAX,
    Archive,
    Counter,
    counts_pool,
    largest_freq,
    month_before,
    month_range,
    month_span,
    union_estimate,
    upper_bound,
    window_months,
)
from .tantivy_generations import Generations
from .tantivy_help import ReaderHelp
from .tantivy_highlight import highlight_hits
from .tantivy_query import Compiler
from .tantivy_rank import Ranking
from .tantivy_store import (
    Store,
    build_schema,
    has_codes,
    read_meta,
)

# Totals and facet counts (tantivy_counts.py) do not depend on sort or page:
# the same query and filters reuse them (paging, re-sorting, popular
# queries). A new index commit changes the reader stamp and so the key, and
# an entry ends when an article in the index comes due (Counter.due): the
# counts are those of a fresh search, and the time only bounds the memory.
FACET_CACHE_SECONDS = 60.0
# A word in at least this share of article texts is ranked with its text
# clause optional (Compiler.pruned): below it the text's postings cost less
# than the detour.
PRUNE_MIN_SHARE = 0.05
# Unions of words (an OR, a relaxed question) estimated to match at least
# this many articles are not counted (``union_estimate``): counting costs ~2
# ns a match in tantivy-py's collector, under 0.1 ms below this.
UNCOUNTED_MIN = 50_000


@dataclass(frozen=True)
class Trimmed:
    """What a query's cost rules asked less of: the OR alternatives left out
    (``trim_chains``), the prefixes not looked for in article texts
    (``costly_prefixes``), the phrases of very common words past
    ``MAX_COSTLY_PHRASES`` (``cap_costly``, as written)."""

    left_out: tuple = ()
    prefixes: frozenset = frozenset()
    phrases: tuple = ()


class TantivyBackend(Ranking, ReaderHelp, Generations, SearchBackend):
    """Search over the live generation's index. Ranking (tantivy_rank.py),
    help for readers (tantivy_help.py) and the generations
    (tantivy_generations.py) are its parts."""

    supports_phrase = True
    supports_prefix = True
    supports_facets = True
    supports_highlight = True
    supports_fuzzy = True
    supports_spelling = True
    supports_aliases = True
    supports_suggest = True
    supports_more_like_this = True
    supports_generations = True

    def __init__(self, alias: str, options) -> None:
        super().__init__(alias, options)
        self.store = Store(self.options["PATH"])
        self._node_id: str | None = None
        self.schema = build_schema()
        self.compiler = Compiler(
            self.schema,
            self.options.get("BOOSTS"),
            proximity=(
                int(self.options.get("PROXIMITY_SLOP", 8)),
                float(self.options.get("PROXIMITY_WEIGHT", 0.0)),
            ),
        )
        # The long-question probe looks in article texts alone: an AND of
        # single terms, ~1.5 ms at 1M against ~8.6 across every field.
        self.probe = Compiler(self.schema, {k: 0 for k in self.compiler.boosts})
        self.probe.boosts["body"] = self.compiler.boosts["body"] or 1.0
        self.heap_size = int(self.options.get("HEAP_SIZE", 64_000_000))
        self.threads = int(self.options.get("THREADS", 1))
        # Filling a new generation (rebuild, first run) is a bulk load: a
        # larger heap means fewer, bigger segments and less merging; tantivy
        # indexes on its own threads while Python reads the next rows.
        self.bulk = (
            int(self.options.get("REBUILD_HEAP_SIZE", 512_000_000)),
            int(self.options.get("REBUILD_THREADS", 2)),
        )
        self.half_life = float(self.options.get("RECENCY_HALF_LIFE_DAYS", 30))
        self.recency_weight = float(self.options.get("RECENCY_WEIGHT", 1.0))
        self.window = int(self.options.get("RESCORE_WINDOW", 200))
        self.prune_min_share = float(
            self.options.get("PRUNE_MIN_SHARE", PRUNE_MIN_SHARE)
        )
        self._bm25: tuple = (None, 0, 0.0)  # (reader, BM25's N and k1)
        # more_like_this: the article's best words by tf-idf. On BBC News
        # (bench/related.py) P@5 in the same section was 0.870 with 25 words,
        # 0.891 with 50 and 0.908 with 100 (docs/search.md, "Related").
        self.related_terms = int(self.options.get("RELATED_QUERY_TERMS", 100))
        self._lock = threading.Lock()
        self._generation: str | None = None
        self._index: tantivy.Index | None = None
        self._searcher: tantivy.Searcher | None = None
        self._stamp: tuple | None = None
        self._meta: tuple[str | None, str] = (None, "")
        self._usable = False
        # The best hits' facets from their codes, where the index has them.
        self._coded = False
        self.codes = CodeBook()
        self.common_min_docs = int(self.options.get("COMMON_MIN_DOCS", COMMON_MIN_DOCS))
        self.phrase_body_max = int(
            self.options.get("PHRASE_BODY_MAX_DOCS", PHRASE_BODY_MAX_DOCS)
        )
        self.prefix_body_max = int(
            self.options.get("PREFIX_BODY_MAX_POSTINGS", PREFIX_BODY_MAX_POSTINGS)
        )
        self.chain_max_postings = int(
            self.options.get("CHAIN_MAX_POSTINGS", CHAIN_MAX_POSTINGS)
        )
        self.phrase_window = int(
            self.options.get("PHRASE_BODY_WINDOW", PHRASE_BODY_WINDOW)
        )
        # Counts and facets beside the top-k, on a small per-process pool.
        self.counts_beside = bool(self.options.get("COUNTS_BESIDE", True))
        # A union of words estimated to match this many or more is not counted.
        self.uncounted_min = int(self.options.get("UNCOUNTED_MIN", UNCOUNTED_MIN))
        self.counter = Counter(
            self.schema,
            float(self.options.get("FACET_CACHE_SECONDS", FACET_CACHE_SECONDS)),
            int(self.options.get("EXACT_COUNT_MAX", EXACT_MAX)),
        )

    # The reader: reload only when something changed on disk
    def searcher(self) -> tantivy.Searcher | None:
        generation = self.store.live_generation()
        if generation is None:
            return None
        # Asked several times a page: the generation's meta.json path is
        # kept as a string (pathlib's joins cost more than the stat).
        held, meta = self._meta
        if held != generation:
            meta = os.path.join(self.store.path(generation), "meta.json")
            self._meta = (generation, meta)
        try:
            st = os.stat(meta)
        except FileNotFoundError:
            return self._searcher if generation == self._generation else None
        stamp = (generation, st.st_ino, st.st_mtime_ns, st.st_size)
        if stamp == self._stamp:
            return self._searcher
        with self._lock:
            if stamp != self._stamp:
                if generation != self._generation:
                    path = self.store.path(generation)
                    index = tantivy.Index.open(str(path))
                    analysis.register(index)
                    index.config_reader("manual", 0)
                    self._index, self._generation = index, generation
                    self._coded = has_codes(path)
                self._index.reload()
                searcher = self._index.searcher()
                self._usable = self.store.is_sealed(generation) or self._legacy_ok(
                    read_meta(searcher, self.schema)["outbox"], searcher.num_docs
                )
                self._searcher = searcher
                self._stamp = stamp
        return self._searcher

    # Search
    def search(self, request: SearchRequest) -> SearchResults:
        if not self.usable():
            raise IndexUnavailable(f"no complete search index under {self.store.root}")
        searcher = self.searcher()
        now = request.now or timezone.now()
        query, narrow, compiled, trimmed = self._compile(searcher, request, now)
        sort = request.sort
        if compiled.text is None and sort in (Sort.RECENT, Sort.RELEVANCE):
            sort = Sort.NEWEST  # nothing to score: browse by date
        fields = [k for k, v in self.compiler.boosts.items() if v > 0]
        high = upper_bound(
            searcher, query, fields, bool(compiled.alias_groups) or request.fuzzy
        )
        asked = (query, request.filters, request.aliases, request.fuzzy, request.now)
        count = functools.partial(
            self.counter.counts,
            searcher,
            self._stamp,
            asked,
            compiled.count or compiled.query,
            high=high,
            facets=request.facets,
            now=now,
        )
        # Many possible matches, a ranked sort, nothing cached: counts and facets
        # run beside the top-k and highlighting (tantivy lets go of the GIL);
        # dropped if the top-k saw every match (then the total is exact).
        beside = sort in (Sort.RECENT, Sort.RELEVANCE) and high > self.counter.exact_max
        # A recency page inside the rescore window: the top-k's own pass
        # counts the matches, and facets count its best hits (``_best_counts``).
        best = (
            beside
            and sort == Sort.RECENT
            and max(0, request.offset) + max(1, request.limit) <= self.window
        )
        early = None
        if (
            beside
            and not best
            and self.counts_beside
            and not count(cached_only=True, known=None, seen=0)
        ):
            early = counts_pool().submit(count, known=None, seen=0)
        # A best-path page's counts are kept whole, under the query (as the
        # window's are): a page that finds them asks the top-k uncounted.
        kept_key = ("best", self._stamp, request.facets, *asked)
        kept = self.counter.recall(kept_key, now.timestamp()) if best else None
        # A union of words (an OR, a relaxed question) estimated to match at
        # least UNCOUNTED_MIN: not counted, "about" the estimate. Counting is
        # a second collector on every match (0.6 ms of a long question's
        # ~4.9 ms top-k at 1M); under the bound it costs little. At the
        # default bound a total the pages reach (1,000 hits) is never
        # estimated: the option is documented not to go below that.
        union = (
            union_estimate(searcher, query, fields)
            if best
            and kept is None
            and compiled.rank is not None
            and compiled.pruned is None
            and not compiled.alias_groups
            and not request.fuzzy
            else None
        )
        if union is not None and union < self.uncounted_min:
            union = None
        # An estimated union's total is at least its widest word's matches.
        widest = (
            largest_freq(searcher, query, fields)
            if best
            and kept is None
            and compiled.rank is not None
            and (union is not None or compiled.pruned is not None)
            else None
        )
        known, seen, scored, ranked = self._ranked(
            searcher,
            compiled,
            sort,
            request,
            now,
            count=best and kept is None and union is None,
        )
        at = time.monotonic()
        hits = [self._hit(searcher, score, addr) for score, addr in scored]
        if hits and compiled.text is not None and request.highlight:
            highlight_hits(
                searcher,
                self.schema,
                compiled.text,
                hits,
                query,
                exact=not compiled.alias_groups and not request.fuzzy,
            )
        self._plain(hits)
        if hits and compiled.base is not None:
            direct = self._ids_matching(searcher, compiled.base, [h.id for h in hits])
            for hit in hits:
                if hit.id not in direct:
                    hit.via_alias = list(compiled.alias_groups)
        if kept is not None:
            # Shared lists of frozen values (read only) in a dict of its own.
            counts = replace(kept.at_least(seen), facets=dict(kept.facets))
        elif best:
            # On this thread, after the highlighting: from facet codes the
            # best hits' facets are Python work that holds the interpreter,
            # and the counts pool's hand-off cost more than it overlapped (at
            # 1M, side by side, 200 pairs: long questions 14.55 -> 13.55 ms
            # of CPU a request, ORs 9.70 -> 8.85; docs/search.md).
            counts = self._best_counts(
                searcher,
                compiled,
                request,
                ranked,
                known,
                seen,
                high,
                now,
                union,
                widest,
            )
            self.counter.keep(
                kept_key,
                counts,
                functools.partial(
                    self.counter.due, searcher, self._stamp, now.timestamp()
                ),
                at,
            )
        elif early is not None and known is None:
            counts = early.result().at_least(seen)
        else:
            counts = count(known=known, seen=seen)
        assert counts is not None  # only cached_only answers None
        return SearchResults(
            total=counts.total,
            hits=hits,
            facets=counts.facets,
            total_exact=counts.exact,
            total_min=counts.low,
            total_max=counts.high,
            facets_over=counts.over,
            facets_by=counts.by,
            narrowed=[p.to_text() for p in query.atoms() if p in narrow]
            + [f"-{p.to_text()}" for p in query.exclude if p in narrow],
            narrowed_from=(
                date(*divmod(min(compiled.window), 100), 1) if narrow else None
            ),
            left_out=[a.to_text() for a in trimmed.left_out],
            phrases_left_out=list(trimmed.phrases),
            not_in_texts=[a.to_text() for a in query.atoms() if a in trimmed.prefixes]
            + [f"-{a.to_text()}" for a in query.exclude if a in trimmed.prefixes],
        )

    def matches_at_least(self, request: SearchRequest, n: int) -> int:
        """Top-``n`` uncounted, no documents read. Plain words are looked
        for in article texts only (a lower bound on the matches, see
        ``self.probe``); with an exclusion every field is asked, or a word
        excluded but only in headlines would be counted.

        Plain words with no filter are asked as one chain, rarest word
        first (``_probe``): the common words are seeked only where the rarer
        ones all match. Asking the rarer words first, then all of them, was
        worth it before the chain (1.9 ms at 1M for the bench's long
        questions, 0.7 without the common words); chained, it cost a second
        search for the 11 of 40 questions where the rarer words matched
        ten or more (bench/search_ab.py, long: -0.20, +0.00 and -0.13 ms
        median paired without it)."""
        if not self.usable():
            raise IndexUnavailable(f"no complete search index under {self.store.root}")
        searcher = self.searcher()
        now = request.now or timezone.now()
        q = request.query
        plain = q.plain_words() == len(q.must) and not q.exclude
        if not plain or request.fuzzy:
            return self._probe(searcher, request, now, n, self.compiler)
        return self._probe(searcher, request, now, n)

    def _probe(self, searcher, request, now, n: int, compiler=None) -> int:
        # Plain words in article texts, no filters, no alias groups: their
        # AND chained, rarest first (``Compiler.chain``), and nothing else
        # compiled unless a match is dated after now (~50 us a probe).
        chained = (
            self.probe.chain(request.query, functools.partial(freq, searcher))
            if compiler is None
            and not request.filters.active
            and not request.fuzzy
            and not self.probe.expands(
                request.query, self.probe.alias_map(request.aliases)
            )
            else None
        )
        compiled, asked = None, chained
        if asked is None:
            compiled = self._compile(searcher, request, now, compiler or self.probe)[2]
            asked = compiled.rank or compiled.query
        res = searcher.search(asked, n, count=False)
        stamps = searcher.fast_field_values("ts", [addr for _, addr in res.hits])
        if all((ts or 0) <= now.timestamp() for ts in stamps):
            return len(res.hits)
        # Some are dated after now: ask again with the public rule.
        if compiled is None:
            compiled = self._compile(searcher, request, now, self.probe)[2]
        return len(searcher.search(compiled.query, n, count=False).hits)

    def _compile(self, searcher, request: SearchRequest, now, compiler=None):
        """(the query as searched, its phrases narrowed to headlines and
        names, the compiled tantivy queries, what else was asked less:
        ``Trimmed``)."""
        query = strip_common(searcher, request.query, self.common_min_docs)
        query, left_out = trim_chains(searcher, query, self.chain_max_postings)
        narrow = costly_phrases(searcher, query, self.phrase_body_max)
        query, phrases = cap_costly(query, narrow)
        prefixes = costly_prefixes(
            searcher, query, self.prefix_body_max, self.phrase_body_max
        )
        # A phrase ending in such a prefix (``said'th*``) is a costly phrase:
        # its standfirsts and texts within the window (every standfirst cost
        # ~4x as much at 1M: docs/search-benchmarks.md, fifteenth session).
        joined = frozenset(
            a for a in prefixes if len(analysis.analyze(a.text, analysis.FOLDED)) > 1
        )
        narrow, prefixes = narrow | joined, prefixes - joined
        found = self._phrase_window(searcher, now, request.filters) if narrow else None
        if found is None:  # no such phrase, or every body is in the window
            narrow, window, whole = frozenset(), (), False
        else:
            window, whole = found
        compiled = (compiler or self.compiler).compile(
            query,
            request.filters,
            now,
            request.aliases,
            request.fuzzy,
            narrow | prefixes,
            functools.partial(freq, searcher),
            window,
        )
        # Every month the filters allow is read: nothing to say.
        said = frozenset() if whole else narrow
        return query, said, compiled, Trimmed(left_out, prefixes, phrases)

    def _phrase_window(
        self, searcher, now, filters: Filters | None = None
    ) -> tuple[tuple[int, ...], bool] | None:
        """(the months, ``ym``, whose bodies a costly phrase is looked for
        in; whether they are every month the date filters allow).

        Of the months the filters allow, the newest holding
        ``PHRASE_BODY_WINDOW`` articles, and any after them up to ``now`` or
        the filters' last month (``window_months``). When those are all the
        filters allow, they are still the window: the phrase is read through
        their articles, not seeked from the date filter (at 1M a month of
        2016 cost 55-69 ms a page that way, ~10 through its articles). None
        without date filters when that is the whole archive (small: every
        body is asked)."""
        archive = self.counter.archive(searcher, self._stamp)
        low, high = month_range(filters) if filters else (None, None)
        if low is None and high is None:
            found = window_months(archive, self.phrase_window, now)
            return (tuple(found[0]), False) if found else None
        months = tuple(
            (ym, n)
            for ym, n in archive.months
            if (low is None or ym >= low) and (high is None or ym <= high)
        )
        last = now.year * 100 + now.month
        if high is not None and high < last:
            last, now = high, datetime(high // 100, high % 100, 1, tzinfo=UTC)
        found = window_months(
            Archive(sum(n for _, n in months), months), self.phrase_window, now
        )
        if found:
            return tuple(found[0]), False
        # Every month allowed: those the archive figures know, and any after
        # them up to the last allowed (they are re-read every 30 s: only the
        # newest months can be missing from them).
        known = [ym for ym, _ in months]
        start = known[0] if known else max(low or 0, month_before(last))
        return tuple(
            known + [m for m in month_span(start, last) if m not in known]
        ), True

    def _hit(self, searcher, score: float, addr) -> Hit:
        doc = searcher.doc(addr)
        display = json.loads(doc.get_first("display") or b"{}")
        headline = doc.get_first("headline") or ""
        hit = Hit(
            id=doc.get_first("id"),
            score=score,
            headline=headline,
            slug=display.get("slug", ""),
            published_at=datetime.fromtimestamp(doc.get_first("ts") or 0, tz=UTC),
            section=tuple(display.get("section") or ("", "")),
            authors=[tuple(a) for a in display.get("authors", [])],
        )
        hit._doc = doc  # read by highlighting and ``_plain``, dropped there
        return hit

    @staticmethod
    def _plain(hits: list[Hit]) -> None:
        """The plain (escaped, unmarked) headline and snippet of each hit that
        highlighting did not mark: a page's ten were built before it and
        mostly replaced. Drops each hit's document."""
        for hit in hits:
            doc = hit.__dict__.pop("_doc")
            if not hit.headline_html:
                hit.headline_html = highlight.plain(hit.headline, 1000)
            if not hit.snippet_html:
                hit.snippet_html = highlight.plain(
                    doc.get_first("standfirst") or doc.get_first("body") or ""
                )

    def _ids_matching(self, searcher, query, ids: list[int]) -> set[int]:
        only = Query.term_set_query(self.schema, "id", ids)
        q = Query.boolean_query([(Occur.Must, query), (Occur.Must, only)])
        res = searcher.search(q, len(ids), count=False)
        values = searcher.fast_field_values("id", [a for _, a in res.hits])
        return {int(v) for v in values if v is not None}
