"""What a query may cost at 1,000,000 articles, told from its words' document
frequencies before the engine runs it, and the rules that ask less of a dear
query (issue 16; docs/search.md, "Limits").

* ``freq`` and ``prefix_postings``: document frequencies and a prefix's
  postings, remembered per index reader (a page asks ~50 times).
* ``strip_common``: a long any-word question without the words most
  articles have.
* ``trim_chains``: an AND of OR chains without its commonest alternatives.
* ``costly_phrases`` and ``costly_prefixes``: phrases of common words and
  short prefixes, looked for outside article texts (or in the newest
  months' texts only); ``cap_costly`` bounds how many a query keeps.
"""

from __future__ import annotations

from dataclasses import replace

import tantivy

from .. import analysis
from ..query import Phrase, SearchQuery, Word
from .base import MAX_COSTLY_PHRASES

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
