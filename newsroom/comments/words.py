"""Finding the banned and suspect words in a comment, as a reader reads it.

:func:`~newsroom.comments.text.fold` already makes "ｃａｓｉｎｏ" and
"𝐜𝐚𝐬𝐢𝐧𝐨" read "casino". Two more disguises pass through it: letters of
another script that look like Latin ones ("саsino" with a Cyrillic "а", a
Greek "ο") and a word spelt out ("s p a m", "s.p.a.m", "c-a-s-i-n-o").

A word is still matched whole: "casinos" and "a spa meeting" are not
"casino" or "spam". A look-alike counts only beside a letter of the word's
own script: a word written wholly in another script is a word of that
language ("сор", Russian for litter, is not the English "cop"), which
Unicode's confusable detection (UTS #39) also treats apart. Digits standing
for letters ("c4sino") are not read as letters: too many ordinary words and
numbers would match.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

from .text import fold

# Letters that read as a Latin one, as fold() leaves them (lower case): the
# Cyrillic, Greek, Armenian and Latin look-alikes of Unicode's confusables
# (UTS #39), and the lower case of capitals that look alike ("Н" is "н").
# Not the letters of a Latin alphabet, such as Turkish "ı": "kapı" is a word.
LOOK_ALIKES = {
    "a": "\u0430\u03b1\u0251",  # а α ɑ
    "b": "\u0432\u03b2\u044c",  # в β ь
    "c": "\u0441\u1d04",  # с ᴄ
    "d": "\u0501",  # ԁ
    "e": "\u0435\u03b5\u04bd",  # е ε ҽ
    "g": "\u0261",  # ɡ
    "h": "\u043d\u04bb\u03b7\u0570",  # н һ η հ
    "i": "\u0456\u03b9\u0269\u04cf",  # і ι ɩ ӏ (not ı: a Turkish letter)
    "j": "\u0458\u03f3\u0237",  # ј ϳ ȷ
    "k": "\u043a\u03ba\u0138",  # к κ ĸ
    "l": "\u04cf\u01c0",  # ӏ ǀ
    "m": "\u043c\u03bc",  # м μ
    "n": "\u03b7\u03bd\u043f\u0578",  # η ν п ո
    "o": "\u043e\u03bf\u0585",  # о ο օ
    "p": "\u0440\u03c1",  # р ρ
    "q": "\u051b",  # ԛ
    "s": "\u0455",  # ѕ
    "t": "\u0442\u03c4",  # т τ
    "u": "\u03c5\u057d",  # υ ս
    "v": "\u03bd\u0475",  # ν ѵ
    "w": "\u051d\u0461\u03c9",  # ԝ ѡ ω
    "x": "\u0445\u03c7",  # х χ
    "y": "\u0443\u03b3\u04af\u03c5",  # у γ ү υ
    "z": "\u03b6\u1d22",  # ζ ᴢ
}
# And the other way: a banned word written in Cyrillic or Greek is found
# with Latin look-alikes mixed in.
_READS_AS: dict[str, str] = {}
for _latin, _others in LOOK_ALIKES.items():
    for _other in _others:
        _READS_AS[_other] = _READS_AS.get(_other, "") + _latin
# The Latin letter a look-alike is read as, where it could be more than one.
_FIRST_READING = {"\u03b7": "n", "\u03bd": "v", "\u04cf": "l", "\u03c5": "u"}
# What may stand between the letters of a word spelt out: one to three
# characters that are not letters or digits ("s p a m", "s. p. a. m").
SPACING = r"[\W_]{1,3}"
SPELT_OUT_MIN = 3  # "a b" in a list is not a two-letter word spelt out


def script(char: str) -> str:
    """The first word of a character's Unicode name: LATIN, CYRILLIC..."""
    return unicodedata.name(char, "").partition(" ")[0]


def _letter(char: str) -> str:
    """A regex class of ``char`` and the letters that read as it."""
    alike = LOOK_ALIKES.get(char, "") + _READS_AS.get(char, "")
    if not alike:
        return re.escape(char)
    others = "".join(LOOK_ALIKES.get(c, "") for c in _READS_AS.get(char, ""))
    return "[" + "".join(sorted(set(char + alike + others))) + "]"


@functools.lru_cache(maxsize=1024)
def _compiled(word: str) -> tuple[str, re.Pattern[str], frozenset[str]] | None:
    folded = fold(word.strip())
    if not folded:
        return None
    letters = [_letter(c) for c in folded]
    ways = [r"(?<!\w)" + "".join(letters) + r"(?!\w)"]
    if folded.isalnum() and len(folded) >= SPELT_OUT_MIN:
        ways.append(r"(?<![^\W_])" + SPACING.join(letters) + r"(?![^\W_])")
    scripts = frozenset(script(c) for c in folded if c.isalnum())
    return folded, re.compile("|".join(ways)), scripts


def _reads_as(found: str, folded: str, scripts: frozenset[str]) -> bool:
    """Whether text that matched a word's pattern is that word: written as
    it is, or with at least one letter of the word's own script."""
    if found == folded:
        return True
    return bool({script(c) for c in found if c.isalnum()} & scripts)


def as_latin(word: str) -> str:
    """A folded word that mixes Latin letters with look-alikes of another
    script, in Latin letters ("h\u0430rb\u043eur" is "harbour"); a word in
    one script stays as it is. For comparing texts (``text.body_hash``)."""
    scripts = {script(c) for c in word if c.isalpha()}
    if len(scripts) < 2 or "LATIN" not in scripts:
        return word
    return "".join(
        _FIRST_READING.get(c, _READS_AS[c][0]) if c in _READS_AS else c for c in word
    )


def words_in(text: str, words: Iterable[str]) -> list[str]:
    """The ``words`` (each a word or a phrase) that ``text`` contains."""
    folded_text = fold(text)
    found = []
    for word in words:
        compiled = _compiled(word)
        if compiled is None:
            continue
        folded, pattern, scripts = compiled
        if any(
            _reads_as(m.group(), folded, scripts) for m in pattern.finditer(folded_text)
        ):
            found.append(word)
    return found
