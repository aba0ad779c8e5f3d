"""Text analysis shared by indexing and querying: one definition, two uses.

Index and query must agree token for token, so both go through the analyzers
built here. Tantivy does the work (Rust, at index speed); the forms its
tokenizer splits ("U.S." also as "us", "2,500" also as "2500", "don't" also
as "dont") go whole into a small extra field, ``alt``, computed here.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

import tantivy

# Tokens are runs of letters and digits (tantivy's simple tokenizer): "U.S."
# gives "u" + "s", "2,500" gives "2" + "500" and "don't" "don" + "t", so the
# same text typed as a query becomes the same phrase and matches. The forms
# written without punctuation ("US", "2500", "dont") go into the ``alt``
# field (alternate_forms below). "#ISIS" gives "isis": the hash is
# punctuation, so a search for ISIS finds the hashtag too. A regex tokenizer
# kept "U.S." whole, but cost two and a half times as much CPU per body
# (bench/tokenizers.py: 282 against 110 us), most of the index's CPU time.
STEMMED = "news"  # lowercase, fold diacritics, English stemming
FOLDED = "news_folded"  # the same without stemming: prefixes and spelling

_ACRONYM = re.compile(r"(?<!\w)(?:[^\W\d_]\.){2,}")
_GROUPED_NUMBER = re.compile(r"(?<![\d,])\d{1,3}(?:,\d{3})+(?![\d,])")
_APOSTROPHE_WORD = re.compile(r"\w+(?:['’]\w+)+")
_POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)


@cache
def analyzer(name: str = STEMMED) -> tantivy.TextAnalyzer:
    builder = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    # Very long tokens are base64, URLs or junk; they would bloat the terms.
    builder = builder.filter(tantivy.Filter.remove_long(60))
    builder = builder.filter(tantivy.Filter.lowercase()).filter(
        tantivy.Filter.ascii_fold()
    )
    if name == STEMMED:
        builder = builder.filter(tantivy.Filter.stemmer("english"))
    return builder.build()


def register(index: tantivy.Index) -> None:
    """Tokenizers are not stored in the index: register them on every open."""
    index.register_tokenizer(STEMMED, analyzer(STEMMED))
    index.register_tokenizer(FOLDED, analyzer(FOLDED))


def analyze(text: str, name: str = STEMMED) -> list[str]:
    """The terms ``text`` becomes in the index (empty for punctuation, emoji)."""
    return analyzer(name).analyze(text)


_POSSESSIVES = re.compile(r"(?<=\w)['’]s\b", re.IGNORECASE)


def analyze_word(text: str, name: str = STEMMED) -> list[str]:
    """The terms of one query word: a possessive counts as the name alone
    ("Raqqa's" finds every Raqqa), where in the text it is "raqqa" + "s".

    A results page analyses its words ~20-75 times (compiling, the
    long-question probe, counts, highlighting); words of up to
    ``WORD_MEMO_CHARS`` are remembered (``WORD_MEMO`` of them a process)."""
    if len(text) > WORD_MEMO_CHARS:
        return analyze(_POSSESSIVES.sub("", text), name)
    return list(_analyze_word(text, name))


WORD_MEMO = 4096
WORD_MEMO_CHARS = 64


@lru_cache(maxsize=WORD_MEMO)
def _analyze_word(text: str, name: str) -> tuple[str, ...]:
    return tuple(analyze(_POSSESSIVES.sub("", text), name))


def vocabulary_text(text: str) -> str:
    """Text for the spelling vocabulary: "Raqqa's" counts as "Raqqa".
    Without an apostrophe the text is not scanned (the pattern's
    look-behind is tried at every position: 4.5 us an article)."""
    if "'" not in text and "’" not in text:
        return text
    return _POSSESSIVES.sub("", text)


def _is_word_char(ch: str) -> bool:
    # Python's ``\w`` is exactly ``str.isalnum()`` or the underscore.
    return ch.isalnum() or ch == "_"


# Where a match can be: the mark (apostrophe, comma, dot) with what must
# follow it. Each pattern opens with a literal or a two-character set, which
# the regex engine scans for in C; most of a body's commas and dots (clause
# and sentence ends) are not candidates and cost nothing more.
# One pattern a mark: a set that holds "’" has no fast scan in the regex
# engine (it tried every position: 7 of an indexed article's 12 us here),
# a literal has one, and a text without the mark is not scanned at all.
_APOSTROPHE_MARKS = (("'", re.compile(r"'(?=\w)")), ("’", re.compile(r"’(?=\w)")))
# For ``alternate_forms``: not an apostrophe whose word ends with it and an
# s ("city's", "it's": three quarters of the apostrophe words in BBC's),
# as the forms drop such words (``_POSSESSIVE``); an apostrophe before it in
# the same word ("o'clock's") still finds the word, which is then dropped.
_NOT_FINAL_S = r"(?=\w)(?![sS](?!\w|['’]\w))"
_FORM_MARKS = (
    ("'", re.compile("'" + _NOT_FINAL_S)),
    ("’", re.compile("’" + _NOT_FINAL_S)),
)
_COMMA_MARK = re.compile(r",(?=\d{3})")
_DOT_MARK = re.compile(r"\.(?=[^\W\d_]\.)")


def _anchored_findall(
    pattern: re.Pattern, text: str, positions: list[int], walk, step: int = 1
) -> list[str]:
    """``pattern.findall(text)``, tried only just before each mark (at
    ``positions``, ascending).

    A regex scan tries every position of a long body (it was a third of
    indexing time); the marks a match needs (an apostrophe before a letter,
    a comma before three digits, a dot before a letter and a dot) are few, so
    start only where ``walk`` says the run before a mark begins. Every match
    holds at least one such mark. Equivalence with ``findall`` is a property
    test.
    """
    found: list[str] = []
    done = -1
    for i in positions:
        if i < done:
            continue
        start = walk(text, i)
        if start is None:
            continue
        # The leftmost start may fail (a look-behind, a digit where a letter
        # must be); findall would then try the next places up to the mark.
        for candidate in range(max(start, done), i, step):
            match = pattern.match(text, candidate)
            if match and match.end() > i:
                found.append(match.group())
                done = match.end()
                break
    return found


def _walk_word(text: str, i: int) -> int | None:
    start = i
    while start > 0 and _is_word_char(text[start - 1]):
        start -= 1
    return None if start == i else start


def _walk_digits(text: str, i: int) -> int | None:
    start = i
    while start > 0 and text[start - 1] in "0123456789":
        start -= 1
    return None if start == i else start


def _walk_acronym(text: str, i: int) -> int | None:
    # "U.S.": from a dot, step back over letter-dot pairs to the first letter.
    start = i - 1
    if start < 0 or not _is_word_char(text[start]):
        return None
    while start >= 2 and text[start - 1] == "." and _is_word_char(text[start - 2]):
        start -= 2
    return start


def _marks(pattern: re.Pattern, text: str) -> list[int]:
    return [m.start() for m in pattern.finditer(text)]


def apostrophe_words(text: str, marks=_APOSTROPHE_MARKS) -> list[str]:
    """The words joined by apostrophes ("don't", "o'clock's") in ``text``,
    as ``_APOSTROPHE_WORD.findall``; with ``_FORM_MARKS``, those that end
    with an apostrophe and an s may be missing."""
    positions = [
        m.start()
        for mark, pattern in marks
        if mark in text
        for m in pattern.finditer(text)
    ]
    if not positions:
        return []
    if "'" in text and "’" in text:
        positions.sort()
    return _anchored_findall(_APOSTROPHE_WORD, text, positions, _walk_word)


def grouped_numbers(text: str) -> list[str]:
    return _anchored_findall(
        _GROUPED_NUMBER, text, _marks(_COMMA_MARK, text), _walk_digits
    )


def acronyms(text: str) -> list[str]:
    return _anchored_findall(
        _ACRONYM, text, _marks(_DOT_MARK, text), _walk_acronym, step=1
    )


def alternate_forms(text: str) -> str:
    """Extra spellings of tokens the tokenizer keeps whole, for the ``alt`` field.

    "U.S." is indexed as "u.s." (so a phrase "U.S. troops" matches) and also,
    here, as "US"; "2,500" also as "2500"; "don't" also as "dont".
    """
    forms: list[str] = []
    forms += [m.replace(".", "") for m in acronyms(text)]
    forms += [m.replace(",", "") for m in grouped_numbers(text)]
    for word in apostrophe_words(text, _FORM_MARKS):
        if not _POSSESSIVE.search(word):  # "Raqqa's": "raqqa" is indexed already
            forms.append(word.replace("'", "").replace("’", ""))
    return " ".join(forms)
