"""Help for readers from the tantivy index: suggestions as a reader types,
respelled words, related stories (docs/search.md, "Help when nothing
matches" and "Related").

``ReaderHelp`` is a part of ``TantivyBackend`` (tantivy.py), which holds the
reader and the compiler these methods use."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

import tantivy
from django.utils import timezone
from tantivy import Occur, Query

from .. import analysis, spelling
from .base import Suggestions
from .tantivy_query import Compiler
from .tantivy_spelling import near_words

_MLT_STOPWORDS = frozenset(
    "the and for that with was were are from this have has "
    "had but not its his her their they said says will would "
    "been which who after than also into more over about when what there them".split()
)


class ReaderHelp:
    """Suggestions, spelling and related stories."""

    # Held by TantivyBackend.
    schema: tantivy.Schema
    compiler: Compiler
    related_terms: int
    searcher: Callable[[], tantivy.Searcher | None]

    # Help for readers
    def suggest(self, text: str, limit: int = 5, now=None) -> Suggestions:
        searcher = self.searcher()
        words = text.split()
        if searcher is None or not words:
            return Suggestions([], [])
        head, last = words[:-1], words[-1]
        stem = analysis.analyze(last, analysis.FOLDED)
        terms: list[str] = []
        if stem:
            found = searcher.terms_with_prefix("spell", stem[-1], limit=300)
            found.sort(key=lambda t: (-t[1], t[0]))
            lead = " ".join(head)
            terms = [f"{lead} {t}".strip() for t, _ in found[:limit]]
        parts = [
            (
                Occur.Must,
                Query.const_score_query(
                    self.compiler.public(now or timezone.now()), 0.0
                ),
            )
        ]
        for word in head:
            tokens = analysis.analyze(word)
            if tokens:
                parts.append((Occur.Must, self._head_query(tokens, False)))
        if stem:
            parts.append((Occur.Must, self._head_query(stem, True)))
        headlines = []
        if len(parts) > 1:
            for _, addr in searcher.search(Query.boolean_query(parts), limit).hits:
                doc = searcher.doc(addr)
                slug = json.loads(doc.get_first("display") or b"{}").get("slug", "")
                headlines.append((doc.get_first("headline") or "", slug))
        return Suggestions(terms=terms, headlines=headlines)

    def _head_query(self, tokens: list[str], prefix: bool) -> Query:
        if prefix:
            return Query.phrase_prefix_query(self.schema, "headline", [*tokens])
        if len(tokens) == 1:
            return Query.term_query(self.schema, "headline", tokens[0])
        return Query.phrase_query(self.schema, "headline", [*tokens])

    def spelling(self, words: Iterable[str]) -> dict[str, str]:
        searcher = self.searcher()
        if searcher is None:
            return {}
        folded = {}
        for word in words:
            tokens = analysis.analyze(word, analysis.FOLDED)
            if len(tokens) == 1 and tokens[0].isalpha():
                folded[tokens[0]] = word
        fixes = spelling.respell(
            folded,
            freq=lambda w: searcher.doc_freq("spell", w),
            near=lambda w, d: near_words(searcher, self.schema, w, d),
        )
        return {folded[w]: fix for w, fix in fixes.items()}

    def more_like_this(self, article_id: int, limit: int = 5, now=None) -> list[int]:
        searcher = self.searcher()
        if searcher is None:
            return []
        found = searcher.search(
            Query.term_query(self.schema, "id", int(article_id)), 1
        ).hits
        if not found:
            return []
        docs = max(1, searcher.num_docs)
        like = Query.more_like_this_query(
            found[0][1],
            min_doc_frequency=1,
            max_doc_frequency=max(10, docs // 5),
            min_term_frequency=1,
            max_query_terms=self.related_terms,
            min_word_length=3,
            stop_words=sorted(_MLT_STOPWORDS),
        )
        public = self.compiler.public(now or timezone.now())
        q = Query.boolean_query(
            [
                (Occur.Must, like),
                (Occur.Must, Query.const_score_query(public, 0.0)),
                (Occur.MustNot, Query.term_query(self.schema, "id", int(article_id))),
            ]
        )
        res = searcher.search(q, limit, count=False)
        values = searcher.fast_field_values("id", [a for _, a in res.hits])
        return [int(v) for v in values if v]
