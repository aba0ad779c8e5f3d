"""Matching from the marks outward finds exactly what a full regex scan finds."""

from hypothesis import given, settings
from hypothesis import strategies as st

from newsroom.search import analysis as a

PIECES = st.sampled_from(
    list("abU_1 '’.,\n-éû\"(\u0301²")
    + [
        "don't",
        "Raqqa's",
        "o'clock's",
        "''",
        "x'",
        "U.S.",
        "2,500",
        "1,000,000",
        "12,34",
        "a.b",
    ]
)
TEXT = st.lists(PIECES, max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_apostrophe_words_equal_findall(text):
    """Any text: the same apostrophe words, in order, as the regex over the text."""
    assert a.apostrophe_words(text) == a._APOSTROPHE_WORD.findall(text)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_grouped_numbers_equal_findall(text):
    """Any text: the same grouped numbers, in order, as the regex over the text."""
    assert a.grouped_numbers(text) == a._GROUPED_NUMBER.findall(text)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_acronyms_equal_findall(text):
    """Any text: the same dotted acronyms, in order, as the regex over the text."""
    assert a.acronyms(text) == a._ACRONYM.findall(text)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_vocabulary_text_equals_the_possessive_rule(text):
    """Any text: the spelling vocabulary's text drops possessives exactly as
    the pattern does, whether or not the text was scanned."""
    assert a.vocabulary_text(text) == a._POSSESSIVES.sub("", text)


def test_examples():
    text = "They don't know the city's o'clock'd 'quoted' words"
    assert a.apostrophe_words(text) == ["don't", "city's", "o'clock'd"]
    assert a.alternate_forms("U.S. 2,500-meter; we don't; Raqqa's") == "US 2500 dont"
    # Both apostrophes in one text: the words come in the text's order.
    assert a.apostrophe_words("we’re sure it's o’clock") == ["we’re", "it's", "o’clock"]
    # "it's" ends as a possessive does: no form of its own.
    assert a.alternate_forms("we’re sure it's o’clock") == "were oclock"


def _reference_alternate_forms(text: str) -> str:
    """``alternate_forms`` from whole-text regex scans, as it was first written."""
    forms = [m.replace(".", "") for m in a._ACRONYM.findall(text)]
    forms += [m.replace(",", "") for m in a._GROUPED_NUMBER.findall(text)]
    forms += [
        w.replace("'", "").replace("’", "")
        for w in a._APOSTROPHE_WORD.findall(text)
        if not a._POSSESSIVE.search(w)
    ]
    return " ".join(forms)


ENDINGS = st.sampled_from(
    [
        "'s",
        "’s",
        "'S",
        "'ſ",
        "'s'",
        "'s'x",
        "’s’t",
        "'st",
        "'s_",
        "'s2",
        "'sé",
        "s'",
        "'",
    ]
)
TEXT_WITH_ENDINGS = st.lists(st.one_of(PIECES, ENDINGS), max_size=40).map("".join)


@settings(max_examples=500, deadline=None)
@given(TEXT_WITH_ENDINGS)
def test_alternate_forms_equal_the_whole_text_scans(text):
    """Any text, with every way a word can end in an apostrophe and an s: the
    same forms, in order, as the three regexes over the whole text give."""
    assert a.alternate_forms(text) == _reference_alternate_forms(text)


def test_a_word_ending_in_s_after_its_apostrophe_is_not_walked(monkeypatch):
    """Three quarters of the apostrophe words of BBC's articles end in 's (
    8,904 of 11,645; "city's", "it's"), and ``alternate_forms`` drops them:
    it does not walk back from their apostrophes to find them first."""
    walked, original = [], a._walk_word

    def walk(text, i):
        walked.append(i)
        return original(text, i)

    monkeypatch.setattr(a, "_walk_word", walk)
    assert a.alternate_forms("The city's mayor said it's Raqqa’s turn") == ""
    assert walked == []
    assert a.alternate_forms("we don't know o'clock's") == "dont"
    assert len(walked) == 2  # don't, and o'clock's (its first apostrophe)
