"""Reader search text -> a small query AST. Never raises, never trusts input.

The language, all of it:

* ``word word``      every word is required (AND by default)
* ``"exact phrase"`` the words next to each other, in this order
* ``-word``, ``-"a phrase"``, ``NOT word``   excluded
* ``a OR b``         either (OR binds tighter than the implicit AND:
  ``flood OR fire city`` means ``(flood OR fire) AND city``)
* ``pref*``          any word starting with ``pref`` (at least 2 letters)

At most ``MAX_TERMS`` words in all, ``MAX_PREFIXES`` of them prefixes,
``MAX_EXCLUDED_PHRASES`` excluded phrases and ``MAX_ALTERNATIVES`` in one
OR chain (``SearchQuery.dropped`` counts the rest).

Anything else is text: a lone ``-``, ``OR`` at either end, an unbalanced
quote (the phrase runs to the end), brackets, control characters, emoji. The
AST keeps the reader's words verbatim; each backend analyses them with its own
analyzer, so user text is never handed to an engine's query parser.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# Room for a pasted question or paragraph (the relaxed retry in service.py
# ranks such queries by any of their words); past this, text is cut.
MAX_QUERY_CHARS = 2000
MAX_CLAUSES = 128
# Words a query may use in all (each word of a phrase, of an OR chain and of
# an exclusion counts): the engine's cost grows with them, a reader's
# question rarely has more. The rest are dropped and the page says so.
MAX_TERMS = 64
# Prefix searches (``pref*``) a query may use: each expands to up to 50 terms
# in four fields, so 64 of them cost ~0.4 s at 100,000 articles
# (bench/abuse.py). Past this they are left out like words past MAX_TERMS.
MAX_PREFIXES = 4
# Alternatives in one OR chain: each is a scorer on every field over a union
# of their matches, so 64 common words OR-joined cost ~2x a plain search at
# 100,000 articles (bench/abuse.py, "or"); a reader's chain of synonyms is
# far shorter. Past this they are left out like words past MAX_TERMS.
MAX_ALTERNATIVES = 16
# Excluded phrases a query may use: each is checked against every match. At
# 1,000,000 articles 31 excluded phrases of common words cost 0.85-1.07 s a
# page checked in every body, 88-143 ms checked where a searched phrase of
# common words is (costly_phrases), and 8 of them ~26 ms (bench/abuse.py,
# "exclusions"). Past this they are left out like words past MAX_TERMS.
MAX_EXCLUDED_PHRASES = 8
MIN_PREFIX = 2
# English function words: left out of a relaxed (any-word) query, where they
# would match nearly every article and only add noise to the ranking.
FUNCTION_WORDS = frozenset(
    "a an and are as at be but by for from had has have he her his i if in into "
    "is it its no not of on or our she so that the their them then there these "
    "they this to was we were what when which who whom how will with you".split()
)
_PUNCT = ".,;:!?'\"’“”"
_SPACE = re.compile(r"\s+")
_PIECE = re.compile(r"[^\W_]+")
# Characters that never carry meaning in a query: operators are handled by
# the tokenizer below, everything else becomes a word boundary.
_JUNK = re.compile(r"[()\[\]{}<>^~\\|+=]")


@dataclass(frozen=True)
class Word:
    text: str
    prefix: bool = False

    def to_text(self) -> str:
        if self.prefix:
            return f"{self.text}*"
        # A quoted "OR" is the word, not the operator: keep it quoted.
        return f'"{self.text}"' if self.text in ("OR", "AND", "NOT") else self.text


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]

    def to_text(self) -> str:
        return '"' + " ".join(self.words) + '"'


Atom = Word | Phrase


@dataclass(frozen=True)
class Clause:
    """One required part of the query: any of its atoms may match (OR)."""

    atoms: tuple[Atom, ...]

    def to_text(self) -> str:
        return " OR ".join(a.to_text() for a in self.atoms)


@dataclass(frozen=True)
class SearchQuery:
    must: tuple[Clause, ...] = ()
    exclude: tuple[Atom, ...] = ()
    raw: str = field(default="", compare=False)
    dropped: int = field(default=0, compare=False)  # words past MAX_TERMS

    def size(self) -> int:
        """Words in the query: each word of a phrase counts, each piece of a
        word the analyzer splits (``said-the``), exclusions too."""
        return sum(_cost(a) for a in [*self.atoms(), *self.exclude])

    @property
    def is_empty(self) -> bool:
        return not self.must and not self.exclude

    def atoms(self) -> list[Atom]:
        """The positive atoms, in order (what highlighting and spelling use)."""
        return [a for c in self.must for a in c.atoms]

    def to_text(self) -> str:
        parts = [c.to_text() for c in self.must]
        parts += [f"-{a.to_text()}" for a in self.exclude]
        return " ".join(parts)

    def plain_words(self) -> int:
        """How many required clauses are one plain word (no phrase, OR, prefix)."""
        return sum(
            1
            for c in self.must
            if len(c.atoms) == 1
            and isinstance(c.atoms[0], Word)
            and not c.atoms[0].prefix
        )

    def relaxed(self) -> SearchQuery:
        """The same words with any of them enough: one clause of all the atoms.

        Ranked by BM25, an article matching more (and rarer) words comes
        first. Function words are left out (unless nothing else is left) and
        a word typed twice is kept twice, so it counts twice, as in BM25.
        """
        atoms = self.atoms()
        content = [
            a
            for a in atoms
            if not (
                isinstance(a, Word) and a.text.lower().strip(_PUNCT) in FUNCTION_WORDS
            )
        ]
        return SearchQuery(
            must=(Clause(tuple(content or atoms)),), exclude=self.exclude, raw=self.raw
        )

    def replace_words(self, mapping: dict[str, str]) -> SearchQuery:
        """The same query with some plain words respelled (for "did you mean")."""

        def swap(atom: Atom) -> Atom:
            if isinstance(atom, Word) and not atom.prefix and atom.text in mapping:
                return Word(mapping[atom.text])
            return atom

        must = tuple(Clause(tuple(swap(a) for a in c.atoms)) for c in self.must)
        return SearchQuery(must=must, exclude=self.exclude, raw=self.raw)


def clean(text: str) -> str:
    """Printable text only, NFC, one space between words, bounded length."""
    text = unicodedata.normalize("NFC", str(text)[: MAX_QUERY_CHARS * 4])
    text = "".join(
        ch if unicodedata.category(ch)[0] not in "CZ" else " " for ch in text
    )
    return _SPACE.sub(" ", text).strip()[:MAX_QUERY_CHARS]


def _tokens(text: str) -> list[tuple[str, str]]:
    """Split into ("phrase", text), ("neg", ""), ("or", ""), ("word", text)."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == " ":
            i += 1
        elif ch in '"“”':
            end = min(
                (j for j in (text.find(q, i + 1) for q in '"“”') if j != -1),
                default=n,
            )
            out.append(("phrase", text[i + 1 : end]))
            i = end + 1
        elif ch == "-" and i + 1 < n and text[i + 1] not in " -":
            out.append(("neg", ""))
            i += 1
        else:
            end = i
            while end < n and text[end] not in ' "“”':
                end += 1
            word = text[i:end]
            i = end
            if word == "OR":
                out.append(("or", ""))
            elif word == "NOT":
                out.append(("neg", ""))
            elif word != "AND":
                out.append(("word", word))
    return out


def _atom(kind: str, text: str) -> Atom | None:
    if kind == "phrase":
        words = tuple(w for w in _JUNK.sub(" ", text).split() if w.strip("*-'’."))
        if not words:
            return None
        if len(words) > 1:
            return Phrase(words)
        # One quoted word is that word, exactly: a "*" in it is not a prefix
        # (and written back unquoted it would become one).
        return _atom("word", words[0].replace("*", " "))
    text = _JUNK.sub(" ", text).strip(" -")
    if not text:
        return None
    if " " in text:  # "a(b)" and the like: the pieces, as a phrase
        return _atom("phrase", text)
    prefix = text.endswith("*")
    core = text.rstrip("*").strip(" -")  # "0-*" is "0" (as "0-" would be)
    if "*" in core:  # wildcards inside a word are not supported: plain text
        core = core.replace("*", " ").strip()
        return _atom("phrase", core) if " " in core else _atom("word", core)
    if not core.strip("-'’."):
        return None
    letters = sum(ch.isalnum() for ch in core)
    return Word(core, prefix=prefix and letters >= MIN_PREFIX)


def parse(text: str) -> SearchQuery:
    """Parse reader text into a ``SearchQuery``; any string gives a query."""
    text = clean(text)
    must: list[list[Atom]] = []
    exclude: list[Atom] = []
    negate = join_next = False
    for kind, value in _tokens(text):
        if kind == "neg":
            negate = True
            continue
        if kind == "or":
            join_next = bool(must)
            continue
        atom = _atom(kind, value)
        if atom is None:
            negate = False
            continue
        if negate:
            exclude.append(atom)
        elif join_next and must:
            must[-1].append(atom)
        else:
            must.append([atom])
        negate = join_next = False
    seen = [0]

    def allowed(atom: Atom) -> bool:
        if isinstance(atom, Word) and atom.prefix:
            seen[0] += 1
            return seen[0] <= MAX_PREFIXES
        return True

    must = [left for c in must if (left := [a for a in c if allowed(a)])]
    exclude = [a for a in dict.fromkeys(exclude) if allowed(a)]
    over = max(0, seen[0] - MAX_PREFIXES)
    phrases = [a for a in exclude if isinstance(a, Phrase)]
    for atom in phrases[MAX_EXCLUDED_PHRASES:]:
        exclude.remove(atom)
        over += len(atom.words)
    budget = [MAX_TERMS]
    clauses = []
    for c in must[:MAX_CLAUSES]:
        atoms = _within(
            dict.fromkeys(list(dict.fromkeys(c))[:MAX_ALTERNATIVES]), budget
        )
        if atoms:
            clauses.append(Clause(atoms))
    excluded = _within(dict.fromkeys(exclude[:MAX_CLAUSES]), budget)
    words = sum(_cost(a) for c in must for a in dict.fromkeys(c))
    words += sum(_cost(a) for a in dict.fromkeys(exclude))
    used = sum(_cost(a) for c in clauses for a in c.atoms)
    used += sum(_cost(a) for a in excluded)
    return SearchQuery(
        must=tuple(clauses),
        exclude=excluded,
        raw=text,
        dropped=max(0, words - used) + over,
    )


def _pieces(text: str) -> int:
    """How many words the analyzer makes of ``text``: it splits a word at a
    hyphen, an apostrophe, a dot or an underscore (``said-the``)."""
    return max(1, len(_PIECE.findall(text)))


def _cost(atom: Atom) -> int:
    if isinstance(atom, Phrase):
        return sum(_pieces(w) for w in atom.words)
    return _pieces(atom.text)


def _cut(text: str, n: int) -> str:
    """``text`` up to the end of its ``n``-th piece."""
    return text[: list(_PIECE.finditer(text))[n - 1].end()]


def _shortened(atom: Atom, left: int) -> Atom:
    """``atom`` cut to its first ``left`` words (pieces): a phrase keeps its
    first words, a word its first pieces (a prefix loses its ``*``)."""
    if isinstance(atom, Word):
        return Word(_cut(atom.text, left))
    words: list[str] = []
    for word in atom.words:
        room = left - sum(_pieces(w) for w in words)
        if room <= 0:
            break
        words.append(word if _pieces(word) <= room else _cut(word, room))
    return Phrase(tuple(words)) if len(words) > 1 else Word(words[0])


def _within(atoms, budget: list[int]) -> tuple[Atom, ...]:
    """The atoms that fit in what is left of the budget (a phrase is cut to
    it), in order; ``budget[0]`` goes down by what they use."""
    kept: list[Atom] = []
    for atom in atoms:
        left = budget[0]
        if left <= 0:
            break
        if _cost(atom) > left:
            atom = _shortened(atom, left)
        kept.append(atom)
        budget[0] -= _cost(atom)
    return tuple(kept)
