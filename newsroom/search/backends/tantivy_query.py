"""Our query AST -> tantivy queries. Reader text never reaches tantivy's parser.

Every word is analysed with the index's own analyzer, then becomes a term,
phrase, prefix or fuzzy query on each text field with that field's boost;
the clauses are summed (BM25 per field, boosted), which is what tantivy's
own query parser does across fields.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time

import tantivy
from tantivy import Occur, Query

from .. import analysis
from ..query import Atom, Phrase, SearchQuery, Word
from .base import Filters
from .tantivy_store import META_ID

DEFAULT_BOOSTS = {
    # 1.0, not more: BM25 per field already favours a match in a short
    # headline (higher idf, short length); 2.0 lost on every test collection
    # with titles (docs/search.md, "Evaluation").
    "headline": 1.0,
    "standfirst": 1.5,
    "body": 1.0,
    "meta": 0.5,  # tags, section and author names
    "alt": 0.5,  # "US" for "U.S.", "2500" for "2,500"
}
# An AND of this many words or more is chained, rarest first (``_and_chain``):
# measured on long questions only; two or three words gained nothing.
CHAIN_MIN_WORDS = 4
PHRASE_FIELDS = ("headline", "standfirst", "body", "meta")
# Where a phrase of very common words (``tantivy_cost.costly_phrases``) is
# read only within the newest months: at 1M sixteen such phrases OR-joined
# cost ~285 ms a page with every standfirst read, ~80 with the window's.
WINDOWED = ("body", "standfirst")
FUZZY_FIELDS = ("headline", "standfirst", "body")
# Alias terms that are English function words ("IS" in ISIS | ISIL | IS)
# would match nearly every article; they are used only when typed.
STOPWORDS = frozenset(
    "a an and are as at be but by for from had has have he her his i if in into "
    "is it its no not of on or our she so that the their them then there these "
    "they this to was we were what when which who will with you us".split()
)


@dataclass
class Compiled:
    query: Query  # what to search (text, public filter, filters)
    text: Query | None  # text part only: highlighting and "matched directly"
    base: Query | None  # text part without aliases (None when no alias used)
    alias_groups: list[str] = field(default_factory=list)
    # What ranks the top-k: the text alone when there are no filters (flat
    # when it can be); the caller drops hits dated after ``now``.
    rank: Query | None = None
    count: Query | None = None  # ``query`` in the form cheapest to count
    # ``rank`` for one word, with its article-text clause optional (see
    # ``Compiler.pruned``), and that clause's (field, token, boost).
    pruned: Query | None = None
    optional: tuple[str, str, float] | None = None
    # The months whose bodies the narrowed phrases were looked for in.
    window: tuple[int, ...] = ()


def _plain_tokens(clause) -> list[str] | None:
    """The terms of a clause of one plain word (no phrase, prefix or OR),
    else None."""
    if len(clause.atoms) != 1:
        return None
    atom = clause.atoms[0]
    if not isinstance(atom, Word) or atom.prefix:
        return None
    return analysis.analyze_word(atom.text)


def _single_token(clause) -> str | None:
    """The one term of a clause of one plain word, else None."""
    found = _plain_tokens(clause)
    return found[0] if found and len(found) == 1 else None


def _boolean(parts: list[tuple[Occur, Query]]) -> Query:
    return (
        parts[0][1]
        if len(parts) == 1 and parts[0][0] != Occur.MustNot
        else (Query.boolean_query(parts))
    )


class Compiler:
    def __init__(
        self,
        schema: tantivy.Schema,
        boosts: dict[str, float] | None = None,
        proximity: tuple[int, float] = (0, 0.0),
    ) -> None:
        self.schema = schema
        self.boosts = {**DEFAULT_BOOSTS, **(boosts or {})}
        # Term proximity (an experiment, off by default): each pair of
        # neighbouring query words found within ``slop`` positions of each
        # other adds ``weight`` x its phrase score (a sequential-dependence
        # model's ordered windows). docs/search.md, "Ranking experiments".
        self.proximity_slop, self.proximity_weight = proximity
        self._alias_map: tuple[tuple, dict[str, tuple[str, ...]]] = ((), {})

    # Atoms
    def atom(
        self,
        atom: Atom,
        fuzzy: bool = False,
        narrow: frozenset = frozenset(),
        window: tuple[int, ...] = (),
    ) -> Query | None:
        """``narrow``: phrases, and phrases ending in a prefix, looked for
        in bodies and standfirsts only within ``window`` (months, ``ym``;
        none: not there), and one-word prefixes not looked for in bodies."""
        if isinstance(atom, Phrase):
            tokens = analysis.analyze(" ".join(atom.words))
            if atom in narrow:
                return self.tokens(tokens, skip=WINDOWED, window=window)
            return self.tokens(tokens)
        if atom.prefix:
            tokens = analysis.analyze(atom.text, analysis.FOLDED)
            # A costly prefix (``tantivy_cost.costly_prefixes``): not in
            # bodies at all, a window would not spare its postings (tantivy
            # reads them all into a bit set first). A phrase ending in one
            # (``said'th*``) is seeked where the window's documents lead.
            if atom in narrow and len(tokens) > 1:
                return self.tokens(tokens, prefix=True, skip=WINDOWED, window=window)
            skip = ("body",) if atom in narrow else ()
            return self.tokens(tokens, prefix=True, skip=skip)
        tokens = analysis.analyze_word(atom.text)
        if atom in narrow:  # a word the analyzer splits: a costly phrase
            return self.tokens(tokens, skip=WINDOWED, window=window)
        return self.tokens(tokens, fuzzy=fuzzy)

    def tokens(
        self,
        tokens: list[str],
        prefix: bool = False,
        fuzzy: bool = False,
        skip: tuple[str, ...] = (),
        window: tuple[int, ...] = (),
    ) -> Query | None:
        """``skip``: fields not asked, but for a phrase in a skipped body or
        standfirst (``WINDOWED``) within ``window`` (months, ``ym``): there
        the window's documents lead, so only their positions are read."""
        if not tokens:
            return None
        parts = []
        for name, boost in self.boosts.items():
            if name in skip:
                if name in WINDOWED and window and len(tokens) > 1 and boost > 0:
                    phrase = self._field(name, tokens, prefix, False)
                    inside = Query.boolean_query(
                        [
                            (Occur.Must, self.months(window)),
                            (Occur.Must, phrase),
                        ]
                    )
                    parts.append((Occur.Should, Query.boost_query(inside, boost)))
                continue
            q = self._field(name, tokens, prefix, fuzzy)
            if q is not None and boost > 0:
                parts.append((Occur.Should, Query.boost_query(q, boost)))
        return Query.boolean_query(parts) if parts else None

    def _field(
        self, name: str, tokens: list[str], prefix: bool, fuzzy: bool
    ) -> Query | None:
        s = self.schema
        if prefix:
            if name not in PHRASE_FIELDS:
                return None
            return Query.phrase_prefix_query(s, name, tokens)
        if len(tokens) > 1:
            if name not in PHRASE_FIELDS:
                return None
            return Query.phrase_query(s, name, tokens)
        if fuzzy and name in FUZZY_FIELDS and len(tokens[0]) >= 4:
            dist = 1 if len(tokens[0]) < 7 else 2
            return Query.fuzzy_term_query(s, name, tokens[0], distance=dist)
        return Query.term_query(s, name, tokens[0])

    # Aliases
    @staticmethod
    def _key(text: str) -> str:
        return " ".join(analysis.analyze(text, analysis.FOLDED))

    def alias_map(self, groups) -> dict[str, tuple[str, ...]]:
        """Each alias term's key -> its group. The last groups' map is kept
        (read only): a page asks two or three times for the same groups, and
        50 groups cost ~80 us a map."""
        if not groups:
            return {}
        held, found = self._alias_map
        if held is groups or held == groups:
            return found
        out: dict[str, tuple[str, ...]] = {}
        for group in groups:
            for term in group:
                out.setdefault(self._key(term), tuple(group))
        self._alias_map = (tuple(groups), out)  # one tuple: no torn reads
        return out

    def expands(self, q: SearchQuery, aliases: dict[str, tuple[str, ...]]) -> bool:
        """Whether an alias group adds words to ``q`` (``text_query`` names
        it in its groups)."""
        if not aliases:
            return False
        for atom in q.atoms():
            expanded, label = self.expand(atom, aliases)
            if label and len(expanded) > 1:
                return True
        return False

    def expand(
        self, atom: Atom, aliases: dict[str, tuple[str, ...]]
    ) -> tuple[list[Atom], str | None]:
        if not isinstance(atom, Word) or atom.prefix:
            return [atom], None
        key = self._key(atom.text)
        group = aliases.get(key)
        if not group:
            return [atom], None
        atoms: list[Atom] = [atom]
        for term in group:
            k = self._key(term)
            if not k or k == key or k in STOPWORDS:
                continue
            words = tuple(term.split())
            atoms.append(Word(words[0]) if len(words) == 1 else Phrase(words))
        return atoms, " | ".join(group)

    # The whole query
    def text_query(
        self,
        q: SearchQuery,
        aliases: dict,
        fuzzy: bool,
        narrow: frozenset = frozenset(),
        order: Callable[[str, str], int] | None = None,
        window: tuple[int, ...] = (),
    ) -> tuple[Query | None, list[str], bool]:
        """(query, alias groups used, has positive part). ``order(field,
        token)``: a word's document frequency, to chain a long AND (see
        ``_and_chain``)."""
        parts: list[tuple[Occur, Query]] = []
        groups: list[str] = []
        tokens: list[str | None] = []
        for clause in q.must:
            options = []
            for atom in clause.atoms:
                expanded, label = self.expand(atom, aliases)
                if label and len(expanded) > 1:
                    groups.append(label)
                options += [
                    c for a in expanded if (c := self.atom(a, fuzzy, narrow, window))
                ]
            if options:
                parts.append(
                    (Occur.Must, _boolean([(Occur.Should, o) for o in options]))
                )
                tokens.append(_single_token(clause) if len(options) == 1 else None)
        if order is not None:
            parts = self._and_chain(parts, tokens, order)
        positive = bool(parts)
        if positive and self.proximity_weight > 0:
            parts += self._proximity(q)
        for atom in q.exclude:
            c = self.atom(atom, narrow=narrow, window=window)
            if c is not None:
                parts.append((Occur.MustNot, c))
        if not parts:
            return None, groups, False
        if not positive:  # only exclusions: everything but those
            parts.append((Occur.Must, Query.all_query()))
        return Query.boolean_query(parts), groups, positive

    def _and_chain(
        self,
        parts: list[tuple[Occur, Query]],
        tokens: list[str | None],
        order: Callable[[str, str], int],
    ) -> list[tuple[Occur, Query]]:
        """An AND of at least ``CHAIN_MIN_WORDS`` words, each one term (in
        every field), as a chain nested to the right, the word fewest
        article texts have outermost: w1 AND (w2 AND (...)). The same
        matches and BM25 sum. tantivy's flat intersection of a long
        question's eight five-field unions cost 6.21, 5.75 and 3.60 ms for
        the bench's three questions that take this path at 1M; chained,
        5.57, 3.71 and 3.58, the same top 200 (medians, three alternating
        rounds)."""
        if (
            len(parts) < CHAIN_MIN_WORDS
            or self.proximity_weight > 0
            or any(t is None for t in tokens)
        ):
            return parts
        ranked = sorted(
            zip(tokens, parts, strict=True),
            key=lambda tp: (order("body", tp[0] or ""), tp[0] or ""),
        )
        chain = ranked[-1][1][1]
        for _, (_, query) in reversed(ranked[:-1]):
            chain = Query.boolean_query([(Occur.Must, query), (Occur.Must, chain)])
        return [(Occur.Must, chain)]

    def _proximity(self, q: SearchQuery) -> list[tuple[Occur, Query]]:
        words = [
            t
            for clause in q.must
            for atom in clause.atoms
            if isinstance(atom, Word) and not atom.prefix
            for t in analysis.analyze_word(atom.text)
            if t not in STOPWORDS
        ]
        out = []
        for first, second in list(zip(words, words[1:], strict=False))[:16]:
            for name in ("headline", "body"):
                near = Query.phrase_query(
                    self.schema, name, [first, second], slop=self.proximity_slop
                )
                out.append(
                    (Occur.Should, Query.boost_query(near, self.proximity_weight))
                )
        return out

    def flat(self, q: SearchQuery) -> Query | None:
        """The same BM25 sum as ``text_query`` for one clause of single-term
        words (one word, an OR, a relaxed question), as one flat disjunction
        of term queries: the shape tantivy's block-max WAND can prune (which
        tantivy-py's collector does not let it do: ``pruned``). None for
        other shapes."""
        if len(q.must) != 1 or q.exclude or self.proximity_weight > 0:
            return None
        parts = []
        for atom in q.must[0].atoms:
            if not isinstance(atom, Word) or atom.prefix:
                return None
            tokens = analysis.analyze_word(atom.text)
            if len(tokens) > 1:
                return None
            for name, boost in self.boosts.items():
                if tokens and boost > 0:
                    term = Query.term_query(self.schema, name, tokens[0])
                    parts.append((Occur.Should, Query.boost_query(term, boost)))
        return Query.boolean_query(parts) if parts else None

    def pruned(
        self, q: SearchQuery, flat: Query | None = None
    ) -> tuple[Query, tuple[str, str, float]] | None:
        """One word's ``flat`` sum with its body clause optional: only
        articles with the word in a headline, standfirst or name are
        visited, and the body's BM25 is added to theirs.

        tantivy-py collects every match (it gives no threshold to prune
        with), so a word in most article texts costs a visit of most of the
        index; its other fields hold a fraction of that. The best k of this
        query are the best k of the whole sum when the k-th score is above
        the most the body clause alone can score (``bm25_ceiling``): an
        article with the word in its text only scores no more than that.
        The caller checks this and asks the whole sum when it fails.
        None where it does not apply (not one single-term word)."""
        if len(q.must) != 1 or len(q.must[0].atoms) != 1:
            return None
        flat = flat or self.flat(q)
        boost = self.boosts.get("body", 0)
        if flat is None or boost <= 0:
            return None
        (atom,) = q.must[0].atoms
        token = analysis.analyze_word(atom.text)[0]
        others = [
            (Occur.Should, Query.boost_query(self._term(n, token), b))
            for n, b in self.boosts.items()
            if n != "body" and b > 0
        ]
        if not others:
            return None
        body = Query.boost_query(Query.term_query(self.schema, "body", token), boost)
        query = Query.boolean_query(
            [(Occur.Must, Query.boolean_query(others)), (Occur.Should, body)]
        )
        return query, ("body", token, boost)

    def chain(self, q: SearchQuery, freq: Callable[[str, str], int]) -> Query | None:
        """An AND of three or more plain words, each one term of the one field
        this compiler reads (the long-question probe's body), as a chain of
        pairs nested to the right, the rarest word outermost (``freq(field,
        token)``): t1 AND (t2 AND (t3 AND ...)).

        The same matches as the flat AND ``text_query`` builds, scored
        differently (only the probe uses it: it counts). tantivy's flat
        intersection of many terms costs about three times as much: at
        1,000,000 articles the 40 bench questions' eight words cost 1.31 ms
        flat, 0.45 chained (median). None where it does not apply: other
        compilers, phrases, prefixes, OR groups, exclusions, a word that
        analyses to more than one term."""
        fields = [name for name, boost in self.boosts.items() if boost > 0]
        if len(fields) != 1 or q.exclude or self.proximity_weight > 0:
            return None
        tokens: set[str] = set()
        for clause in q.must:
            found = _plain_tokens(clause)
            if found is None or len(found) > 1:
                return None
            tokens.update(found)  # none: a word that analyses to nothing
        if len(tokens) < 3:
            return None
        field = fields[0]
        ordered = sorted(tokens, key=lambda token: (freq(field, token), token))
        query = self._term(field, ordered[-1])
        for token in reversed(ordered[:-1]):
            query = Query.boolean_query(
                [(Occur.Must, self._term(field, token)), (Occur.Must, query)]
            )
        return query

    def _term(self, name: str, token: str) -> Query:
        return Query.term_query(self.schema, name, token)

    def months(self, window: tuple[int, ...]) -> Query:
        """Articles of these months (``ym``), scoring nothing."""
        found = Query.term_set_query(self.schema, "ym", list(window))
        return Query.const_score_query(found, 0.0)

    def public(self, now: datetime) -> Query:
        """Articles out by ``now`` (scheduled ones have a later ``ts``)."""
        return Query.range_query(
            self.schema, "ts", tantivy.FieldType.Integer, None, int(now.timestamp())
        )

    def future(self, now: datetime) -> Query:
        """Scheduled articles not yet out: what the public filter excludes."""
        return Query.range_query(
            self.schema, "ts", tantivy.FieldType.Integer, int(now.timestamp()) + 1, None
        )

    def filters(self, f: Filters, now: datetime) -> list[Query]:
        """The reader's filters (all required). The public rule is not here:
        ``compile`` excludes the future instead of requiring the past."""
        s = self.schema
        out = []
        if f.date_from or f.date_to:
            upper = int(now.timestamp())
            if f.date_to:
                end = datetime.combine(f.date_to, time.max, tzinfo=UTC)
                upper = min(upper, int(end.timestamp()))
            lower = None
            if f.date_from:
                lower = int(
                    datetime.combine(f.date_from, time.min, tzinfo=UTC).timestamp()
                )
            out.append(
                Query.range_query(s, "ts", tantivy.FieldType.Integer, lower, upper)
            )
        if f.section:
            out.append(Query.term_query(s, "section", f.section))
        if f.tag:
            out.append(Query.term_query(s, "tags", f.tag))
        if f.author:
            out.append(Query.term_query(s, "authors", f.author))
        if f.year and f.month:
            out.append(Query.term_query(s, "ym", f.year * 100 + f.month))
        elif f.year:
            out.append(
                Query.range_query(
                    s, "ym", tantivy.FieldType.Integer, f.year * 100, f.year * 100 + 99
                )
            )
        return out

    def compile(
        self,
        q: SearchQuery,
        f: Filters,
        now: datetime,
        groups=(),
        fuzzy: bool = False,
        narrow: frozenset = frozenset(),
        order: Callable[[str, str], int] | None = None,
        window: tuple[int, ...] = (),
    ) -> Compiled:
        """``narrow``: phrases looked for in bodies within ``window`` only
        (months; see ``tantivy_cost.costly_phrases``); ``order``: document
        frequencies, to chain a long AND (``_and_chain``)."""
        aliases = self.alias_map(groups)
        # One clause of single-term words and no alias in it: the flat sum
        # is the text query too (the same matches, terms and BM25 sum), so
        # its term queries are built once, not twice (~45 us for a long
        # question's five fields).
        flat = None if fuzzy or self.expands(q, aliases) else self.flat(q)
        if flat is not None:
            text, used, positive = flat, [], True
        else:
            text, used, positive = self.text_query(
                q, aliases, fuzzy, narrow, order, window
            )
        base = self.text_query(q, {}, fuzzy, narrow, window=window)[0] if used else None
        parts = [
            (Occur.Must, Query.const_score_query(x, 0.0)) for x in self.filters(f, now)
        ]
        if text is not None:
            parts.append((Occur.Must, text))
        elif not q.is_empty:  # words that analyse to nothing (emoji only)
            parts.append((Occur.Must, Query.empty_query()))
        if not parts:  # no words, no filters: every public article
            parts.append((Occur.Must, Query.all_query()))
        # The public rule as an exclusion of what is scheduled, not a range
        # every match must pass: at 1,000,000 articles the range cost more
        # than the words (a common word counted in 6.3 ms with it, 2.6
        # without), while the scheduled articles are few.
        parts.append((Occur.MustNot, self.future(now)))
        parts.append((Occur.MustNot, Query.term_query(self.schema, "id", META_ID)))
        rank = None
        if positive and not f.active:
            rank = flat or text
        guards = parts[-2:]  # the public rule and the metadata document
        pruned = self.pruned(q, flat) if rank is not None and flat is not None else None
        return Compiled(
            query=Query.boolean_query(parts),
            text=text if positive else None,
            base=base,
            alias_groups=used,
            rank=rank,
            # Counting the flat form within a window of the newest articles
            # seeks half as much as the nested one (2.3 against 5.5 ms for a
            # long question at 1M).
            count=Query.boolean_query([(Occur.Must, rank), *guards])
            if rank is not None
            else None,
            pruned=pruned[0] if pruned else None,
            optional=pruned[1] if pruned else None,
            window=window if narrow else (),
        )
