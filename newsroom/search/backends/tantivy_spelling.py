"""Vocabulary words near a misspelt one, from tantivy's term dictionary.

A fuzzy term query on the ``spell`` field runs a Levenshtein automaton over
the term dictionary (in Rust): the articles it matches hold the words within
the distance. tantivy does not say which term matched, so the words are read
back from a few of those articles (stored headline, standfirst and names,
analysed as ``spell`` is) and checked: a few hundred short comparisons at
most, where comparing the word with every vocabulary term sharing its first
letters cost up to a second for a long query.
"""

from __future__ import annotations

import json

import tantivy
from tantivy import Occur, Query

from .. import analysis, spelling
from .tantivy_store import META_ID

NEAR_DOCS = 20  # articles read back per word and distance


def near_words(
    searcher: tantivy.Searcher, schema: tantivy.Schema, word: str, d: int
) -> set[str]:
    """Words of the ``spell`` vocabulary within ``d`` edits of ``word``."""
    fuzzy = Query.fuzzy_term_query(
        schema, "spell", word, distance=d, transposition_cost_one=True
    )
    query = Query.boolean_query(
        [
            (Occur.Must, fuzzy),
            (Occur.MustNot, Query.term_query(schema, "id", META_ID)),
        ]
    )
    tokens: set[str] = set()
    for _, addr in searcher.search(query, NEAR_DOCS, count=False).hits:
        doc = searcher.doc(addr)
        display = json.loads(doc.get_first("display") or b"{}")
        names = [display.get("section", ["", ""])[1]]
        names += [name for _, name in display.get("authors", [])]
        text = "\n".join(
            [doc.get_first("headline") or "", doc.get_first("standfirst") or ""]
            + [n for n in names if n]
        )
        tokens.update(analysis.analyze(analysis.vocabulary_text(text), analysis.FOLDED))
    size = len(word)
    return {
        token
        for token in tokens
        if token != word
        and abs(len(token) - size) <= d
        and spelling.distance(word, token, d) <= d
    }
