"""Analysis: case, diacritics, stems, and the tokens news text is full of."""

from __future__ import annotations

import pytest

from newsroom.articles.tests import factories as f
from newsroom.search.analysis import FOLDED, alternate_forms, analyze, analyze_word
from newsroom.search.service import Params, run

pytestmark = pytest.mark.django_db


def test_lowercase_fold_and_stem():
    """Mosûl = mosul; breach, breaching, breached share one stem."""
    assert analyze("Mosûl") == ["mosul"]
    assert analyze("breach breaching breached Breaches") == ["breach"] * 4
    assert analyze("Mosûl", FOLDED) == ["mosul"]


def test_news_tokens():
    """Tokens are runs of letters and digits: U.S., 2,500 and don't are split
    the same way in the text and in a query (so they match as phrases),
    #ISIS loses the hash, and a possessive query word means the name."""
    assert analyze("U.S. troops") == ["u", "s", "troop"]
    assert analyze("2,500-meter") == ["2", "500", "meter"]
    assert analyze("#ISIS") == analyze("ISIS")
    assert analyze("don’t") == analyze("don't") == ["don", "t"]
    assert analyze_word("Raqqa's") == analyze_word("Raqqa’s") == ["raqqa"]
    assert analyze_word("don't") == ["don", "t"]  # not a possessive
    assert analyze("😀 ... —") == []


def test_alternate_forms():
    """The alt field carries US for U.S., 2500 for 2,500, dont for don't."""
    assert alternate_forms(
        "The U.S. sent 2,500 troops; don't panic, it's Raqqa's"
    ).split() == ["US", "2500", "dont"]


@pytest.mark.parametrize(
    "query",
    [
        "Mosul",
        "mosûl",
        "MOSUL",
        "breaching",
        "U.S.",
        "US",
        "2,500",
        "2500",
        "meter",
        "ISIS",
        "#isis",
        "Raqqa",
        "raqqa's",
        "don't",
        "dont",
        '"U.S. troops"',
    ],
)
def test_found_through_the_site(query, search_backend, index_now):
    """Each spelling finds the article that has the other."""
    f.article(
        "Troops breached the wall",
        body="U.S. troops walked 2,500-meter routes near Mosûl. #ISIS "
        "fighters said they don't leave Raqqa's centre.",
    )
    index_now()
    assert run(Params(q=query), log=False).results.total == 1
