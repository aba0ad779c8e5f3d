"""Comment text and hashes."""

import re

from newsroom.comments.text import body_hash, count_links, render_body


def test_paragraphs_breaks_and_links_only_everything_else_escaped():
    """Blank lines make paragraphs, URLs links with nofollow ugc; tags show as text."""
    html = render_body("Hello <b>there</b>\nsecond line\n\nSee https://example.org/a.")
    assert html.startswith("<p>Hello &lt;b&gt;there&lt;/b&gt;<br>second line</p>")
    assert '<a href="https://example.org/a" rel="nofollow ugc">' in html
    assert html.endswith("</a>.</p>")


def test_markdown_style_links_and_hostile_schemes():
    """[text](url) links work for http(s); javascript: URLs stay plain text."""
    html = render_body("[site](https://example.org) and [x](javascript:alert(1))")
    assert '<a href="https://example.org" rel="nofollow ugc">site</a>' in html
    assert "javascript" in html and 'href="javascript' not in html
    quoted = render_body('https://e.org/"onmouseover="alert(1)')
    assert not re.search(r"<a[^>]*onmouseover", quoted)
    assert "<script" not in render_body("<script>alert(1)</script>")


def test_a_label_dressed_as_an_address_with_look_alike_dots_shows_the_target():
    """A label that reads as a domain but is written with a one dot leader
    (U+2024), a full-width or ideographic full stop, or a Cyrillic letter in
    its ending linked to another site with nothing beside it: the real
    destination is shown, as for "example.org"."""
    for label in (
        "paypal\u2024com",
        "paypal\uff0ecom",
        "paypal\u3002com",
        "www\u2024paypal\u2024com",
        "paypal.\u0441om",
    ):
        html = render_body(f"[{label}](https://evil.example/x)")
        assert html.endswith("</a> [evil.example]</p>"), (label, html)
    # A plain word or a number is not an address: nothing is added.
    assert render_body("[read more](https://e.org/)").endswith("more</a></p>")
    assert render_body("[version 3.14](https://e.org/)").endswith("3.14</a></p>")


def test_counting_links():
    """Both link forms count towards the links rule."""
    assert count_links("a http://x.org b [c](https://y.org) d") == 2


def test_body_hash_ignores_case_spacing_and_punctuation():
    """A duplicate with different spacing or case is still a duplicate."""
    assert body_hash("Great story!") == body_hash("  great   STORY ")
    assert body_hash("Great story") != body_hash("Great stories")


def test_a_flood_of_combining_marks_is_cut_to_a_few_per_letter():
    """Zalgo text: one letter under 1,500 combining marks pushed the article
    page 9,000 px sideways in Chromium (at 375 and 1280 px), and a name's
    marks stacked over the comment above. A run of combining marks is kept
    to a few; real spellings (Vietnamese, pointed Hebrew, Devanagari) are
    kept whole."""
    import unicodedata

    from newsroom.comments.text import clean_text

    zalgo = "Z" + "\u030d\u030e\u0304\u0305\u033f\u0311\u0306\u0310" * 200 + "algo"
    cleaned = clean_text(zalgo)
    assert cleaned.startswith("Z") and cleaned.endswith("algo")
    marks = [c for c in cleaned if unicodedata.category(c) == "Mn"]
    assert 0 < len(marks) <= 5
    assert "\u030d" in render_body(zalgo)  # some marks stay, the text stays
    assert len(render_body(zalgo)) < 50
    for real in ("Tiếng Việt", "שָׁלוֹם", "בְּרֵאשִׁ֖ית", "हिन्दी", "Ǹ̀gozi"):
        assert clean_text(real) == unicodedata.normalize("NFC", real)


def test_look_alikes_among_a_words_latin_letters_hash_as_the_word():
    """A word with Cyrillic or Greek look-alikes among its Latin letters
    hashes as the word ("th\u0435 h\u0430rb\u043eur" is "the harbour"); a
    word in one script keeps the hash it had (stored hashes stay right), so
    the Russian "\u0441\u043e\u0440" is not the English "cop"."""
    import hashlib

    from newsroom.comments.text import fold

    assert body_hash("Th\u0435 h\u0430rb\u03bfur!") == body_hash("the harbour")
    russian = (
        "\u0412\u0435\u0441\u044c \u0441\u043e\u0440 "
        "\u0432\u044b\u043d\u0435\u0441\u043b\u0438"
    )
    before = " ".join(re.findall(r"\w+", fold(russian)))
    assert body_hash(russian) == hashlib.sha256(before.encode()).hexdigest()
    assert body_hash("\u0432\u0435\u0441\u044c \u0441\u043e\u0440") != body_hash(
        "\u0432\u0435\u0441\u044c cop"
    )
