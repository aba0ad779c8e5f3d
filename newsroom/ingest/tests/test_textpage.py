"""Crawled text pages: general chrome rules, not a list of one site's lines."""

from __future__ import annotations

from pathlib import Path

from newsroom.ingest.importers.textpage import extract, is_chrome, is_prose

PAGE = (Path(__file__).parent / "fixtures" / "crawled-other-site.txt").read_text()


def test_headline_paragraphs_and_quotes_kept():
    """The headline above the prose, every prose paragraph (quotes included)."""
    headline, paragraphs = extract(PAGE)
    assert headline == "Regional rail strike called off after late-night deal"
    assert len(paragraphs) == 3
    assert paragraphs[2].startswith('"Nobody wanted to strand passengers')


def test_chrome_of_another_site_is_dropped():
    """Login bars, search labels, like/share counters, comment counts, form
    prompts and captcha labels go, though none of these lines is in any list."""
    _, paragraphs = extract(PAGE)
    text = "\n".join(paragraphs)
    for chrome in (
        "Skip to content",
        "Login",
        "Find A Story",
        "Like (120)",
        "Comments (7)",
        "Add Your Comment",
        "Enter the characters",
        "Submit",
    ):
        assert chrome not in text


def test_rules_one_by_one():
    """Counters, label-like title case, form prompts and bare symbols are
    chrome; a real sentence is prose even when it mentions comments."""
    assert is_chrome("(33)    (33)")
    assert is_chrome("Total Comments (0)")
    assert is_chrome("Search For Keyword.")
    assert is_chrome("Please fill the fields below.")
    assert is_chrome("*code confirming note")
    assert is_chrome("Comments About This Article")
    assert not is_chrome("The minister said the comments were taken out of context.")
    assert is_prose("The minister said the comments were taken out of context.")
    assert not is_prose("Comments About This Article")


def test_page_without_prose_gives_nothing():
    """A page of links and labels has no article to import."""
    assert extract("Home\nNews\nSport\n\nSearch\n") == ("", [])
