"""Text analysis shared by indexing and querying: one definition, two uses.

Index and query must agree token for token, so both go through the analyzers
built here. Tantivy does the work (Rust, at index speed); the few forms a
regex tokenizer cannot produce ("U.S." also as "us", "2,500" also as "2500",
"don't" also as "dont") go into a small extra field, ``alt``, computed here.
"""

from __future__ import annotations

import re
from functools import cache

import tantivy

# Order matters: numbers with thousands separators and dotted acronyms are
# tried before plain words, so "2,500-meter" gives "2,500" + "meter" and
# "U.S." stays one token instead of "u" + "s". "#ISIS" gives "isis": the
# hash is punctuation, so a search for ISIS finds the hashtag too.
TOKEN_PATTERN = (
    r"\d{1,3}(?:,\d{3})+(?:\.\d+)?"
    r"|\d+(?:\.\d+)?"
    r"|(?:\p{L}\.){2,}"
    r"|\w+(?:['’]\w+)*"
)
STEMMED = "news"  # lowercase, fold diacritics, English stemming
FOLDED = "news_folded"  # the same without stemming: prefixes and spelling

_ACRONYM = re.compile(r"(?<!\w)(?:[^\W\d_]\.){2,}")
_GROUPED_NUMBER = re.compile(r"(?<![\d,])\d{1,3}(?:,\d{3})+(?![\d,])")
_APOSTROPHE_WORD = re.compile(r"\w+(?:['’]\w+)+")
_POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)


@cache
def analyzer(name: str = STEMMED) -> tantivy.TextAnalyzer:
    builder = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(TOKEN_PATTERN))
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


def vocabulary_text(text: str) -> str:
    """Text for the spelling vocabulary: "Raqqa's" counts as "Raqqa"."""
    return _POSSESSIVES.sub("", text)


def alternate_forms(text: str) -> str:
    """Extra spellings of tokens the tokenizer keeps whole, for the ``alt`` field.

    "U.S." is indexed as "u.s." (so a phrase "U.S. troops" matches) and also,
    here, as "US"; "2,500" also as "2500"; "don't" also as "dont".
    """
    forms: list[str] = []
    forms += [m.replace(".", "") for m in _ACRONYM.findall(text)]
    forms += [m.replace(",", "") for m in _GROUPED_NUMBER.findall(text)]
    for word in _APOSTROPHE_WORD.findall(text):
        if not _POSSESSIVE.search(word):  # the stemmer already drops 's
            forms.append(re.sub(r"['’]", "", word))
    return " ".join(forms)
