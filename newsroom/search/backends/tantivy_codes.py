"""Facet codes back to slugs: the best hits' facets read from fast fields
instead of aggregated (issue 16, fifteenth session; docs/search.md, "The
results page, cheaply"). Each document holds its section, tag and author
slugs as integers (``tantivy_store.facet_code``) in the fields
``CODE_FIELDS``; ``CodeBook`` maps them back."""

from __future__ import annotations

import math
import threading
import time
from collections import Counter as Tally

from .tantivy_store import CODE_FIELDS, CODE_KINDS, MORE, facet_code

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
