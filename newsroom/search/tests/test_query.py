"""The query language: reader text to AST, and no input ever breaks the page."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsroom.search.query import MAX_QUERY_CHARS, Clause, Phrase, Word, parse


def test_words_are_required_clauses():
    """Plain words each become a required clause, in order."""
    q = parse("breach  Raqqa wall")
    assert q.must == tuple(Clause((Word(w),)) for w in ("breach", "Raqqa", "wall"))


def test_phrase_exclusion_or_prefix():
    """Quotes, -exclusions, OR and a trailing * each have their meaning."""
    q = parse('"old city" flood OR fire -rain -"tear gas" raq*')
    assert q.must == (
        Clause((Phrase(("old", "city")),)),
        Clause((Word("flood"), Word("fire"))),
        Clause((Word("raq", prefix=True),)),
    )
    assert q.exclude == (Word("rain"), Phrase(("tear", "gas")))


def test_not_and_are_keywords_lowercase_are_words():
    """NOT excludes and AND is the default; lower-case "or"/"not" are words."""
    assert parse("NOT rain sun").exclude == (Word("rain"),)
    sun, moon = Clause((Word("sun"),)), Clause((Word("moon"),))
    assert parse("sun AND moon").must == (sun, moon)
    assert [a.text for a in parse("war or peace not").atoms()] == [
        "war",
        "or",
        "peace",
        "not",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "OR",
        "OR OR",
        "-",
        "- -",
        '"',
        '""',
        "*",
        "**",
        "NOT",
        "()",
        "AND",
        "'",
        "...",
        "-*",
    ],
)
def test_operators_alone_give_an_empty_query(text):
    """A lone operator or punctuation is not an error: it is an empty query."""
    assert parse(text).is_empty


def test_unbalanced_quote_runs_to_the_end():
    """An unclosed quote makes a phrase of the rest."""
    assert parse('wall "old city').must[-1] == Clause((Phrase(("old", "city")),))


def test_short_prefix_is_a_plain_word():
    """ "a*" would match half the index: under two letters it is just a word."""
    assert parse("a*").must == (Clause((Word("a"),)),)


def test_control_characters_and_length_are_bounded():
    """Control characters become spaces; text is cut at MAX_QUERY_CHARS."""
    assert parse("wall\x00\x07city\u200b").atoms() == [Word("wall"), Word("city")]
    assert len(parse("x " * 10_000).raw) <= MAX_QUERY_CHARS


def test_respelling_keeps_structure():
    """replace_words swaps plain words only, keeping phrases and exclusions."""
    q = parse('raqa "old city" -mosol raq*').replace_words(
        {"raqa": "raqqa", "mosol": "mosul", "raq": "x"}
    )
    assert q.to_text() == 'raqqa "old city" raq* -mosol'


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_any_text_parses(text):
    """Any string whatsoever parses, and its normal form parses to the same."""
    q = parse(text)
    assert parse(q.to_text()).must == q.must or q.to_text() == ""


@pytest.mark.parametrize("text", ['"0*"', "0-*", '"OR', '"abc*"', '"a*b"'])
def test_normal_form_round_trips_found_by_hypothesis(text):
    """Inputs the property test once found: a quoted word with a "*", a
    hyphen before the "*", a quoted operator word."""
    q = parse(text)
    assert parse(q.to_text()).must == q.must


reader_text = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.sampled_from(list("ab \"-*OR()\\\x00😀é#.,'")), max_size=60),
    st.just("x" * 10_000),
)


@pytest.mark.django_db
@given(text=reader_text)
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_results_page_always_answers(text, client, search_backend, index_now):
    """Whatever is typed (quotes, operators, 10 KB, control characters, emoji),
    the results page and the suggestions answer 200."""
    if not search_backend.usable():
        index_now()  # an index exists (without one, search answers 503)
    assert client.get("/search/", {"q": text, "page": text[:5]}).status_code == 200
    assert client.get("/search/suggest", {"q": text}).status_code == 200
