"""Highlighting for the tantivy backend: headlines and snippets with the
matched words marked (``highlight.mark`` escapes everything). Moved out of
``tantivy.py`` unchanged."""

from __future__ import annotations

import tantivy

from .. import highlight

SNIPPET_CHARS = 240
SNIPPET_SCAN_CHARS = 1200  # text searched for a snippet before the whole body
CLOSING = ".!?\"')’” ".encode()  # what may end a text after its last word


def highlight_hits(searcher, schema, text_query, hits) -> None:
    """Marked headlines and snippets for ``hits`` (each carrying its loaded
    document as ``_doc``, dropped here)."""
    gens = {}
    for name, chars in (
        ("headline", 1000),
        ("body", SNIPPET_CHARS),
        ("standfirst", SNIPPET_CHARS),
    ):
        gen = tantivy.SnippetGenerator.create(searcher, text_query, schema, name)
        gen.set_max_num_chars(chars)
        gens[name] = gen
    for hit in hits:
        doc = hit.__dict__.pop("_doc")
        head = gens["headline"].snippet_from_doc(doc)
        if head.highlighted():
            hit.headline_html = _marked(head, hit.headline)
        # The (short) standfirst, the page's snippet when nothing matches,
        # then the body's opening, and the whole body only when neither
        # matched: a snippet of the standfirst costs ~9 us, of the body's
        # opening ~72 us, of a whole long body ~0.5 ms. At 1M the standfirst
        # matched in two hits of three (bench/search.py), so most hits never
        # scan the body.
        body = doc.get_first("body") or ""
        standfirst = doc.get_first("standfirst") or ""
        for name, whole, full in (
            ("standfirst", standfirst, True),
            ("body", body, False),
            ("body", body, True),
        ):
            snip = _snippet(gens[name], name, whole, doc, full)
            if snip is not None and snip.highlighted():
                hit.snippet_html = _marked(snip, whole)
                break
    for hit in hits:
        hit.__dict__.pop("_doc", None)


def _snippet(gen, name: str, whole: str, doc, full: bool) -> tantivy.Snippet | None:
    """The best fragment of the opening text (``full=False``) or of the
    whole text: tokenizing a whole long body costs about 0.5 ms a hit,
    and a matched word is nearly always in the first paragraphs."""
    if not whole:
        return None
    if len(whole) <= SNIPPET_SCAN_CHARS:
        # Short: the opening is the whole text, looked at once only.
        return None if full and name == "body" else gen.snippet_from_doc(doc)
    if full:
        return gen.snippet_from_doc(doc)
    cut = whole.rfind(" ", 0, SNIPPET_SCAN_CHARS)  # never half a word
    head = tantivy.Document()
    head.add_text(name, whole[: cut if cut > 0 else SNIPPET_SCAN_CHARS])
    return gen.snippet_from_doc(head)


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
