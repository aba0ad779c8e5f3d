"""Text of any shape fits the page: teasers cut at a word, no sideways scroll.

Issue 18 item 7. The browser half is tests/test_browser_layout.py.
"""

from __future__ import annotations

import pytest

from newsroom.articles.tests import factories as f
from newsroom.web.cards import STANDFIRST_CHARS, cut_at_word

pytestmark = pytest.mark.django_db


def test_a_long_standfirst_is_cut_at_a_word_boundary_with_an_ellipsis():
    """A card's teaser never ends inside a word, and short ones are whole."""
    words = ("harbour strike " * 40).strip()
    cut = cut_at_word(words, 220)
    assert len(cut) <= 220 and cut.endswith("…")
    assert words.startswith(cut[:-1]) and words[len(cut) - 1] == " "
    assert cut_at_word("A short teaser.", 220) == "A short teaser."
    # One giant word: cut hard rather than show nothing.
    giant = "x" * 500
    assert cut_at_word(giant, 220) == "x" * 219 + "…"
    # Runs of spaces and newlines count as one space.
    assert cut_at_word("a\n\n  b", 220) == "a b"


def test_list_pages_show_the_cut_standfirst_and_the_page_the_whole(client):
    """Home and section cards carry the cut teaser; the article page keeps
    the editor's full standfirst."""
    tail = "the last words of a very long standfirst"
    text = ("Negotiators met again on Tuesday. " * 12) + tail
    a = f.article("Harbour talks", standfirst=text)
    section = client.get("/section/world/").content.decode()
    assert "card__standfirst" in section and tail not in section
    assert "…" in section
    assert tail in client.get(a.get_absolute_url()).content.decode()
    assert len(cut_at_word(text, STANDFIRST_CHARS)) <= STANDFIRST_CHARS


def test_the_stylesheet_lets_any_word_wrap():
    """The one rule that keeps a 250-character word inside the column."""
    from django.contrib.staticfiles import finders

    css = open(finders.find("newsroom/site.css"), encoding="utf-8").read()
    assert "overflow-wrap: anywhere" in css
