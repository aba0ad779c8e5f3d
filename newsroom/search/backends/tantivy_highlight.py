"""Highlighting for the tantivy backend: headlines and snippets with the
matched words marked (``highlight.mark`` escapes everything). The snippet
is the standfirst's when it shows enough of the query's words, else the
body's opening, else the whole body's (see ``highlight_hits``)."""

from __future__ import annotations

import tantivy

from .. import analysis, highlight
from ..query import Phrase
from .tantivy_cost import LONG_MIN_WORDS

SNIPPET_CHARS = 240
SNIPPET_SCAN_CHARS = 1200  # text searched for a snippet before the whole body
# A snippet of the standfirst is enough when it shows this many of the
# query's words (or all, if fewer): past two, a long question would read
# every hit's body again for little.
WANTED_MAX = 2
CLOSING = ".!?\"')’” ".encode()  # what may end a text after its last word


def highlight_hits(
    searcher, schema, text_query, hits, query=None, exact: bool = False
) -> None:
    """Marked headlines and snippets for ``hits`` (each carrying its loaded
    document as ``_doc``); a hit with nothing to mark keeps an empty one, for
    the caller's plain text. ``query`` (the parsed search): how
    many different words a snippet should show before the body is read.
    ``exact``: the text query looks for ``query``'s words and nothing else
    (no aliases, no fuzzy matching), so a body's opening that cannot hold
    more of them than the standfirst showed is not tokenized (``_probes``)."""
    wanted = max(1, min(WANTED_MAX, _words_wanted(query)))
    probes = _probes(query) if exact and query is not None else None
    made: dict[str, tantivy.SnippetGenerator] = {}

    def gens(name: str) -> tantivy.SnippetGenerator:
        """A field's generator, made when first asked (each reads the
        query's terms and their frequencies, ~10-20 us; a page often needs
        no body snippet at all)."""
        gen = made.get(name)
        if gen is None:
            gen = tantivy.SnippetGenerator.create(searcher, text_query, schema, name)
            gen.set_max_num_chars(1000 if name == "headline" else SNIPPET_CHARS)
            made[name] = gen
        return gen

    for hit in hits:
        doc = hit._doc
        head = gens("headline").snippet_from_doc(doc)
        if head.highlighted():
            hit.headline_html = _marked(head, hit.headline)
        # The (short) standfirst, the page's snippet when nothing matches,
        # when it shows enough of the query's words (``wanted``); else the
        # body's opening if it shows more; the whole body only when neither
        # matched. A snippet of the standfirst costs ~9 us, of the body's
        # opening ~72 us, of a whole long body ~0.5 ms: at 1M most hits never
        # scan the body (bench/search.py).
        body = doc.get_first("body") or ""
        standfirst = doc.get_first("standfirst") or ""
        best, most = None, 0
        for name, whole, full in (
            ("standfirst", standfirst, True),
            ("body", body, False),
            ("body", body, True),
        ):
            if full and name == "body" and best is not None:
                break
            if probes is not None and name == "body" and not full:
                opening = whole[:SNIPPET_SCAN_CHARS]
                if _could_show(probes, opening) <= most:
                    continue  # it cannot show more: not tokenized (~72 us)
            snip = _snippet(gens, name, whole, doc, full)
            if snip is None or not snip.highlighted():
                continue
            shown = 1 if wanted == 1 else _words_shown(snip)
            if shown > most:
                best, most = (snip, whole), shown
            if most >= wanted:
                break
        if best is not None:
            hit.snippet_html = _marked(*best)


def _words_wanted(query) -> int:
    """How many different words a snippet should show: each word of an AND,
    one of a short OR group (either is what was asked: reading the body's
    opening for the other cost ~0.5 ms a page at 1M), each word of a long
    any-word question (the relaxed retry: its best hits have several)."""
    if query is None:
        return 1
    if len(query.must) == 1 and 1 < len(query.must[0].atoms) < LONG_MIN_WORDS:
        return 1
    return len(_query_words(query))


def _probes(query) -> list[str | None] | None:
    """Per word the query looks for, a text a body holding it must contain
    (lowercase): its stem without the last letter, which the English
    stemmer may have changed ("injury" is "injuri"). None where that is not
    certain (short, not plain ASCII letters). None for all if the query has
    a prefix (its words are not known here)."""
    if any(getattr(a, "prefix", False) for a in query.atoms()):
        return None
    out: list[str | None] = []
    for stem in _query_words(query):
        probe = stem[:-1]
        out.append(
            probe if len(probe) >= 3 and probe.isascii() and probe.isalpha() else None
        )
    return out


def _could_show(probes: list[str | None], text: str) -> int:
    """How many of the query's words ``text`` may hold, at most. Text that
    is not plain ASCII (folded letters) may hold any of them."""
    if not text.isascii():
        return len(probes)
    lower = text.lower()
    return sum(1 for p in probes if p is None or p in lower)


def _query_words(query) -> set[str]:
    """The different words (stems) a search looks for, phrases' included."""
    out: set[str] = set()
    for atom in query.atoms():
        if isinstance(atom, Phrase):
            out.update(analysis.analyze(" ".join(atom.words)))
        elif not atom.prefix:
            out.update(analysis.analyze_word(atom.text))
    return out


def _words_shown(snippet: tantivy.Snippet) -> int:
    """How many different words a snippet marks (by their stems)."""
    data = snippet.fragment().encode()
    words = {
        data[r.start : r.end].decode("utf-8", "ignore") for r in snippet.highlighted()
    }
    return len({s for w in words for s in analysis.analyze_word(w)} or words)


def _snippet(gens, name: str, whole: str, doc, full: bool) -> tantivy.Snippet | None:
    """The best fragment of the opening text (``full=False``) or of the
    whole text: tokenizing a whole long body costs about 0.5 ms a hit,
    and a matched word is nearly always in the first paragraphs.
    ``gens(name)``: the field's snippet generator."""
    if not whole:
        return None
    if len(whole) <= SNIPPET_SCAN_CHARS:
        # Short: the opening is the whole text, looked at once only.
        return None if full and name == "body" else gens(name).snippet_from_doc(doc)
    if full:
        return gens(name).snippet_from_doc(doc)
    cut = whole.rfind(" ", 0, SNIPPET_SCAN_CHARS)  # never half a word
    head = tantivy.Document()
    head.add_text(name, whole[: cut if cut > 0 else SNIPPET_SCAN_CHARS])
    return gens(name).snippet_from_doc(head)


def _marked(snippet: tantivy.Snippet, whole: str):
    fragment = snippet.fragment()
    rng = snippet.fragment_range()
    ranges = [(r.start, r.end) for r in snippet.highlighted()]
    data = whole.encode()
    rest = data[rng.end :]
    if rest and len(rest) <= 3 and not rest.strip(CLOSING):
        # Only the closing stop was left out: shown, with no ellipsis.
        fragment, rest = fragment + rest.decode("utf-8", "ignore"), b""
    return highlight.mark(fragment, ranges, lead=rng.start > 0, trail=bool(rest))
