"""Marks around matched words: escaped, and one mark for a word the tokenizer
split at its punctuation (U.S., 2,500, don't)."""

from __future__ import annotations

import pytest

from newsroom.articles.tests import factories as f
from newsroom.search.highlight import mark


def spans(text: str, *words: str) -> list[tuple[int, int]]:
    """Byte ranges of each word's first occurrence (as tantivy reports them)."""
    data = text.encode()
    out = []
    for word in words:
        start = data.index(word.encode())
        out.append((start, start + len(word.encode())))
    return out


def test_tokens_split_at_punctuation_get_one_mark():
    text = "The U.S. sent 2,500 troops; they don’t stay"
    ranges = [*spans(text, "U", "S."), *spans(text, "2", "500", "don", "t stay")]
    ranges[1] = (ranges[1][0], ranges[1][0] + 1)  # "S" alone
    ranges[-1] = (ranges[-1][0], ranges[-1][0] + 1)  # "t" alone
    html = str(mark(text, ranges))
    assert "<mark>U.S</mark>." in html
    assert "<mark>2,500</mark>" in html
    assert "<mark>don’t</mark>" in html
    assert html.count("<mark>") == 3


def test_a_space_keeps_marks_apart_and_text_stays_escaped():
    text = "U. S. <b>bold</b> it's"
    html = str(mark(text, [*spans(text, "U", "S", "it"), (len(text) - 1, len(text))]))
    assert html.count("<mark>") == 3  # U, S, and it's
    assert "<mark>it&#x27;s</mark>" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>" not in html


@pytest.mark.django_db
def test_results_page_marks_us_and_numbers_whole(client, search_backend, index_now):
    f.article("U.S. troops leave the base", body="The U.S. sent 2,500 troops home.")
    index_now()
    page = client.get("/search/", {"q": "U.S."}).content.decode()
    assert "<mark>U.S</mark>." in page
    page = client.get("/search/", {"q": "2,500"}).content.decode()
    assert "<mark>2,500</mark>" in page
