"""Ranking for the tantivy backend: the best hits by BM25 and the recency
blend, one common word ranked without visiting every text, and the facets
and totals a recency page takes from its best hits (issue 16;
docs/search.md, "Ranking" and "The results page, cheaply").

``Ranking`` is a part of ``TantivyBackend`` (tantivy.py), which holds the
reader, the options and the counts these methods use."""

from __future__ import annotations

import json
import math
from collections import Counter as Tally
from operator import itemgetter

import tantivy
from tantivy import Occur, Query

from .base import Sort
from .tantivy_codes import CodeBook
from .tantivy_cost import freq
from .tantivy_counts import (
    FACET_SIZE,
    Counter,
    Counts,
    Ranked,
    ranked,
    round_down,
    round_estimate,
)


def bm25_constants(explanation) -> tuple[int, float] | None:
    """(N, k1) from a tantivy explanation with a term query in it."""
    found: dict[str, float] = {}

    def walk(node: dict) -> None:
        text = node.get("description", "")
        if text.startswith("N, total number of docs"):
            found["n"] = node["value"]
        elif text.startswith("k1,"):
            found["k1"] = node["value"]
        for child in node.get("details") or ():
            walk(child)

    walk(json.loads(explanation.to_json()))
    if "n" not in found or "k1" not in found:
        return None
    return int(found["n"]), float(found["k1"])


class Ranking:
    """The best hits of a search and what a recency page counts from them."""

    # Held by TantivyBackend.
    schema: tantivy.Schema
    counter: Counter
    codes: CodeBook
    window: int
    recency_weight: float
    half_life: float
    prune_min_share: float
    _bm25: tuple
    _coded: bool
    _stamp: tuple | None

    def _ranked(self, searcher, compiled, sort, request, now, count: bool = False):
        """(the exact total if every match was seen, else None; how many
        matches were seen; the page's scored hits; ``Ranked``: the best
        hits by BM25, and what the top-k counted).
        ``count``: count the matches in the top-k's own pass (tantivy-py
        visits every match either way: ~0-0.4 ms more at 1M), unless the
        pruned one-word query answered."""
        offset, limit = max(0, request.offset), max(1, request.limit)
        if sort in (Sort.NEWEST, Sort.OLDEST):
            order = tantivy.Order.Desc if sort == Sort.NEWEST else tantivy.Order.Asc
            res = searcher.search(
                compiled.query,
                limit,
                count=True,
                order_by_field="ts",
                offset=offset,
                order=order,
            )
            return res.count, res.count, [(0.0, addr) for _, addr in res.hits], None
        # The best hits by BM25, tantivy's own score, without a count
        # (tantivy-py visits every match either way: one common word goes
        # through ``_top``'s pruned query). The ranking query has no public
        # rule: hits dated after now are dropped here (the index holds public
        # articles; this is the second guard).
        query = compiled.rank or compiled.query
        now_ts = now.timestamp()
        recent = sort == Sort.RECENT and offset + limit <= self.window
        wanted = self.window if recent else limit
        res, pruned = self._top(
            searcher, compiled, query, wanted, 0 if recent else offset, count
        )
        top = res.hits  # tantivy-py builds this list anew on each read (~15 us)
        stamps = searcher.fast_field_values("ts", [addr for _, addr in top])
        hits = [
            (score, addr, ts or 0)
            for (score, addr), ts in zip(top, stamps, strict=True)
            if (ts or 0) <= now_ts
        ]
        seen = len(hits) + (0 if recent else offset)
        known = None
        if len(top) < wanted and (recent or offset == 0 or top):
            known = seen
        ranked = Ranked(
            [addr for _, addr, _ in hits],
            None if pruned or not count else res.count,
            len(top) - len(hits),
        )
        if not recent:
            return known, seen, [(score, addr) for score, addr, _ in hits], ranked
        # Recency-aware relevance: rescore the best ``window`` BM25 hits with
        # score * (1 + weight * 0.5 ** (age_days / half_life)).
        # One comprehension, the same arithmetic as a loop (~30 us less for
        # 200 hits); reverse=True keeps ties in BM25 order, as -score did.
        weight, half, pow_ = self.recency_weight, self.half_life, math.pow
        blended = (
            [
                (
                    score
                    * (1 + weight * pow_(0.5, max(0.0, (now_ts - ts) / 86400) / half)),
                    addr,
                )
                for score, addr, ts in hits
            ]
            if half
            else [(score, addr) for score, addr, _ in hits]
        )
        blended.sort(key=itemgetter(0), reverse=True)
        return known, seen, blended[offset : offset + limit], ranked

    def _best_counts(
        self,
        searcher,
        compiled,
        request,
        ranked,
        known,
        seen,
        high,
        now,
        union=None,
        widest=None,
    ) -> Counts:
        """Total and facets of a recency page inside the rescore window,
        without the newest months' window (its intersection with a many-word
        query cost ~2-4 ms of CPU a page at 1M, docs/search.md):

        * the total is exact when the top-k saw every match or counted them
          in its own pass (a match dated after now would be counted too:
          then it is an estimate, that count, which bounds it; for the
          pruned one-word query, the word's document frequency; for a
          union not counted, ``union``, its ``union_estimate``: each within
          [low, high], ``low`` the hits seen or, for those two, the widest
          word's matches, ``widest`` less the deleted documents: ``_floor``);
        * facets count the best ``len(ranked.addrs)`` matches by BM25 (the
          hits the page's recency blend chose from), looked up by id: one
          term query per hit (a term set on ``id`` reads the whole column:
          2.2 ms at 1M, against 0.8). Labelled ``by="relevance"``."""
        addrs = ranked.addrs
        if known is None and ranked.counted is not None and not ranked.later:
            # With filters the top-k asked the whole query, public rule
            # included; else its count is public if nothing indexed is
            # dated after now.
            if (
                compiled.rank is None
                or self.counter.due(searcher, self._stamp, now.timestamp()) == math.inf
            ):
                known = ranked.counted
        facets: dict = {}
        over = None
        if request.facets and addrs:
            over, facets = self._facets_of(searcher, addrs)
            if known is not None and over >= known:
                over = None  # every match is among them: exact facets
        if known is not None:
            return Counts(
                known, low=known, high=known, facets=facets, over=over, by="relevance"
            )
        low = max(seen, len(addrs))
        if widest is not None and ranked.counted is None and addrs:
            floor = round_down(self._floor(searcher, compiled, addrs, widest, now))
            low = max(low, min(high, floor))
        estimate = low
        if ranked.counted is not None:
            # The top-k counted every match, a few dated after now among
            # them: at least the public count, so the bound and the figure.
            high = max(low, min(high, ranked.counted))
            estimate = ranked.counted
        elif compiled.pruned is not None:
            field, token, _ = compiled.optional
            estimate = freq(searcher, field, token)
        elif union is not None:
            estimate = union
        return Counts(
            min(high, max(low, round_estimate(estimate))),
            exact=False,
            low=low,
            high=high,
            facets=facets,
            over=over,
            by="relevance",
        )

    def _facets_of(self, searcher, addrs: list) -> tuple[int, dict]:
        """(how many documents, their facets) of the documents at ``addrs``,
        from their facet codes (``CodeBook``: ~0.5 ms for 200 hits at 1M).
        Those the codes cannot tell, and every one in an index built before
        the codes, are looked up by id, one term query each (a term set on
        ``id`` reads the whole column: 2.2 ms at 1M, against 0.8), and
        aggregated (``Counter.best``: ~1.2 ms for 200)."""
        tallies: dict[str, Tally] = {}
        rest = addrs
        if self._coded:
            try:
                tallies, rest = self.codes.count(searcher, addrs)
            except ValueError:  # a searcher of the generation before, uncoded
                pass
        over = len(addrs) - len(rest)
        if rest:
            ids = [int(i) for i in searcher.fast_field_values("id", rest) if i]
            only = Query.boolean_query(
                [(Occur.Should, Query.term_query(self.schema, "id", i)) for i in ids]
            )
            n, found = self.counter.best(searcher, only)
            if not tallies:
                return n, found
            over += n
            for name, values in found.items():
                tallies[name].update({v.key: v.count for v in values})
        return over, {
            name: ranked(tally.items(), None if name == "month" else FACET_SIZE)
            for name, tally in tallies.items()
        }

    def _top(self, searcher, compiled, query, wanted: int, offset: int, count=False):
        """(tantivy's best ``wanted`` after ``offset`` by ``query``, whether
        they came through ``compiled.pruned``: one common word, its text
        clause optional, used when that gives the same hits). ``count``:
        the full query's search counts its matches too."""
        if compiled.pruned is not None:
            field, token, boost = compiled.optional
            df = freq(searcher, field, token)
            if df >= self.prune_min_share * searcher.num_docs:
                res = searcher.search(
                    compiled.pruned, wanted, count=False, offset=offset
                )
                top = res.hits  # a new list on each read
                if len(top) == wanted:
                    ceiling = self._bm25_ceiling(searcher, compiled, res, df, boost)
                    # An article with the word in its text alone scores at
                    # most ``ceiling``: below the last hit, it is not missed.
                    if ceiling is not None and top[-1][0] > ceiling:
                        return res, True
        return searcher.search(query, wanted, count=count, offset=offset), False

    def _bm25_ceiling(self, searcher, compiled, res, df: int, boost: float):
        """The most one term query scores: boost x idf x (k1 + 1), tantivy's
        BM25 as tf grows without bound. None if no explanation names N."""
        found = self._bm25_constants(
            searcher, compiled.pruned, [addr for _, addr in res.hits[:3]]
        )
        if found is None:  # no explanation: the whole sum answers
            return None
        n, k1 = found
        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        return boost * idf * (k1 + 1) * (1 + 1e-6)

    def _bm25_constants(self, searcher, query, addrs) -> tuple[int, float] | None:
        """BM25's N and k1 for this reader. N counts the segments' documents,
        deleted ones included, which only an explanation tells (of ``query``,
        which has term queries, at one of ``addrs``, its matches): read once
        per reader."""
        held, n, k1 = self._bm25
        if held is searcher:
            return n, k1
        for addr in addrs[:3]:
            try:
                found = bm25_constants(query.explain(searcher, addr))
            except ValueError:
                found = None
            if found:
                self._bm25 = (searcher, *found)  # one tuple: no torn reads
                return found
        return None

    def _floor(self, searcher, compiled, addrs, widest: int, now) -> int:
        """At least this many public articles match a union of words whose
        largest document frequency in one field is ``widest``
        (``largest_freq``): that frequency less the documents deleted and
        not merged away yet (N less the live documents), which it may
        count. 0 when that cannot be told, or when an indexed article is
        dated after ``now`` (it matches but is not public yet)."""
        if self.counter.due(searcher, self._stamp, now.timestamp()) != math.inf:
            return 0
        # The ranking query matches the hits either way (the pruned query's
        # matches are some of its).
        found = self._bm25_constants(searcher, compiled.rank, addrs)
        if found is None:
            return 0
        return max(0, widest - (found[0] - searcher.num_docs))
