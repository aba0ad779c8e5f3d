"""Respelling words from the index vocabulary ("Raqa" -> "raqqa").

Engine-agnostic: a backend finds the vocabulary words near a word (tantivy:
a fuzzy term query, a Levenshtein automaton run over the term dictionary,
then the matched articles' own words) and gives document counts. Only a
handful of candidates are ever compared here, never the vocabulary.
The site asks only for short queries that found nothing
(``service.SPELL_MAX_WORDS``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable


def max_distance(word: str) -> int:
    return 0 if len(word) < 3 else 1 if len(word) < 6 else 2


def distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein (optimal string alignment), giving up past ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = ca != cb
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def best(
    word: str,
    freq: int,
    candidates: Iterable[tuple[str, int]],
    limit: int | None = None,
) -> str | None:
    """The closest well-attested candidate, if clearly better than ``word``.

    A known word is only respelled when the candidate is much more common
    (five times), so rare real words are left alone.
    """
    limit = max_distance(word) if limit is None else limit
    if limit == 0:
        return None
    scored = []
    for term, count in candidates:
        if term == word:
            continue
        d = distance(word, term, limit)
        if d <= limit and count > freq * 5:
            scored.append((d, -count, term))
    return min(scored)[2] if scored else None


def respell(
    words: Iterable[str],
    freq: Callable[[str], int],
    near: Callable[[str, int], Iterable[str]],
) -> dict[str, str]:
    """For each word (already folded to the vocabulary's form), a better one.

    ``near(word, d)`` gives vocabulary words within edit distance ``d``
    (maybe more; they are checked here). Distance 1 is tried first: a
    common word two edits away never hides the one-letter typo's fix.
    """
    out: dict[str, str] = {}
    for word in dict.fromkeys(words):
        limit = max_distance(word)
        if limit == 0:
            continue
        count = freq(word)
        for d in range(1, limit + 1):
            found = [(t, freq(t)) for t in set(near(word, d)) if t != word]
            choice = best(word, count, found, d)
            if choice:
                out[word] = choice
                break
    return out
