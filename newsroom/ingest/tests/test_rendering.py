"""The bulk path's rendering shortcut is render_markdown, byte for byte."""

from __future__ import annotations

import gzip
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsroom.articles.rendering import render_markdown
from newsroom.ingest.fastrender import plain_html, render
from newsroom.ingest.htmlmd import html_to_markdown
from newsroom.ingest.records import plain_to_markdown

# Characters the shortcut accepts, plus every one it must refuse.
ALPHABET = "abcXYZ019 .,;:'\"?!()%$/-éüß’“”–£€*_`#>+<&[]\\=|~^{}\t\u00a0\n"
paragraph = st.text(alphabet=ALPHABET, min_size=0, max_size=60)


@settings(max_examples=400, deadline=None)
@given(st.lists(paragraph, min_size=0, max_size=4))
def test_shortcut_equals_render_markdown(paragraphs):
    """Whatever the text, render() gives exactly render_markdown()'s HTML, and
    when the shortcut answers at all it answers the same."""
    body = "\n\n".join(paragraphs)
    fast = plain_html(body)
    if fast is not None:
        assert fast == render_markdown(body)
    assert render(body) == render_markdown(body)


def test_shortcut_takes_plain_text_and_refuses_markdown():
    """Plain paragraphs go the short way; lists, emphasis, numbered starts,
    HTML and entities do not."""
    assert plain_html("One paragraph.\n\nTwo, with “quotes” and 5%.") is not None
    for body in (
        "- a list",
        "2014. A year",
        "*em*",
        "a <b>tag</b>",
        "AT&T",
        "line\nbreak",
        "trailing ",
        "# heading",
        "> quote",
    ):
        assert plain_html(body) is None, body


def test_shortcut_on_corpus_text(shared_data):
    """On real news text the shortcut agrees with render_markdown wherever it
    applies (and applies to most articles)."""
    path = shared_data / "bbc" / "articles.jsonl.gz"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    taken = 0
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            if n == 600:
                break
            body = json.loads(line)["body"]
            fast = plain_html(body)
            if fast is not None:
                taken += 1
                assert fast == render_markdown(body)
    assert taken > 300


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.text(alphabet=ALPHABET.replace("\n", ""), min_size=1, max_size=50),
        min_size=1,
        max_size=3,
    )
)
def test_plain_text_survives_markdown(paragraphs):
    """Plain text escaped for Markdown renders back to the same words: no
    accidental list, heading, emphasis or tag."""
    import html
    import re

    body = plain_to_markdown(paragraphs)
    rendered = render_markdown(body)
    text = html.unescape(re.sub(r"<[^>]+>", "", rendered))
    assert text.split() == " ".join(paragraphs).split()
    assert not re.search(r"<(ul|ol|h\d|em|strong|code|blockquote|a)\b", rendered)


def test_plain_text_with_entity_like_words_shows_them_as_typed():
    """ "&#65" or "&#0" in plain text is text, not a character reference (found
    by the property test above: "&#0" rendered as U+FFFD)."""
    for typed in ("&#0", "&#65", "AT&T", "&amp", "fish & chips"):
        rendered = render_markdown(plain_to_markdown([typed]))
        import html

        assert html.unescape(rendered.removeprefix("<p>").removesuffix("</p>")) == (
            typed
        )


def test_feed_html_becomes_markdown():
    """Feed HTML: paragraphs, emphasis, links, quotes and lists survive; scripts
    and unknown tags leave nothing but text."""
    md = html_to_markdown(
        '<div><p>One <b>bold</b> <a href="https://x.example/">link</a></p>'
        "<blockquote><p>Said.</p></blockquote><ol><li>first</li><li>second</li></ol>"
        "<script>evil()</script><span>tail</span> *literal*</div>"
    )
    html = render_markdown(md)
    assert "<strong>bold</strong>" in html and 'href="https://x.example/"' in html
    assert "<blockquote>" in html and "<ol>" in html and "evil" not in html
    assert "*literal*" in html  # escaped, not emphasis


@pytest.mark.parametrize(
    "href",
    [
        "https://example.org/x)y",  # an unbalanced parenthesis
        'https://example.org/?q="a"',  # quotes, which began a link title
        "https://example.org/a b",  # a space
        "https://example.org/a<b>c",  # angle brackets
        "https://en.wikipedia.org/wiki/Foo_(bar)",
        "https://example.org/a\\)b",  # a backslash before punctuation
    ],
)
def test_an_imported_links_address_reaches_the_page_whole(href):
    """An imported page's <a href> went into the Markdown as it was: a ")"
    ended the link early and left the rest of the address as text, a '"'
    began a title (the link then led to half its address). The link keeps
    its whole address and its words, and nothing of the address shows as
    text."""
    md = html_to_markdown(f"<p>See <a href='{href}'>the page</a> now.</p>")
    html = render_markdown(md)
    from lxml import html as lxml_html

    (link,) = lxml_html.fromstring(html).xpath("//a")
    wanted = href.replace("<", "%3C").replace(">", "%3E").replace("\\", "%5C")
    assert link.get("href") == wanted, (md, html)
    assert link.text == "the page"
    assert (link.tail or "") == " now.", (md, html)
    assert link.get("title") is None
