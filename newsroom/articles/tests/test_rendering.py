"""Markdown rendering does work linear in its input, whatever the input."""

from __future__ import annotations

import sys

import lxml.html
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from newsroom.articles.rendering import MAX_MARKUP_PER_BLOCK, balance, render_markdown
from newsroom.articles.tests import factories as f
from newsroom.core.text import clean_text
from newsroom.ingest.htmlmd import html_to_markdown
from newsroom.media import samples
from newsroom.media.library import add_image

# Lines of Python executed per character of input, at most (ordinary articles
# run about 4), plus a constant for Markdown's own setup.
LINES_PER_CHAR = 100
SETUP_LINES = 30_000


def work(text: str) -> int:
    """Python lines executed while rendering ``text`` (a count, not a time)."""
    count = 0

    def tracer(frame, event, arg):
        nonlocal count
        count += 1
        return tracer

    sys.settrace(tracer)
    try:
        render_markdown(text)
    finally:
        sys.settrace(None)
    return count


MARKUP = st.text(alphabet="[]()<>*_`!\\ a\n#>-&", max_size=3000)


@settings(max_examples=40, deadline=None)
@given(MARKUP)
@example("[" * 150 + "a" * 1850)  # each "[" scanned to the end: quadratic
@example("*[" * 1500)
@example("[x](" * 750)
@example("<a" * 1500)
@example("\n".join("    " * i + "- x" for i in range(200)))  # recursion per level
@example("\n".join(">" * i + " x" for i in range(200)))
def test_rendering_work_is_linear_in_the_input(text):
    """Bracket-heavy, nested and markup-dense text is rendered within a
    budget of work proportional to its length."""
    assert work(text) <= LINES_PER_CHAR * len(text) + SETUP_LINES


def test_ordinary_markdown_renders_as_before():
    """Links, emphasis, quotes, lists and code are untouched by the limits."""
    html = render_markdown(
        "A [link](https://example.org) and *this* with `[code]`.\n\n"
        "> quoted\n\n- one\n- two\n\n[1] stays, as does [a [nested] one]."
    )
    assert '<a href="https://example.org" rel="noopener noreferrer">link</a>' in html
    assert "<em>this</em>" in html and "<code>[code]</code>" in html
    assert "<blockquote>" in html and "<li>two</li>" in html
    assert "[1] stays, as does [a [nested] one]." in html


def test_unmatched_brackets_show_as_typed():
    """An unmatched "[" or "(" is escaped, which shows it exactly as typed."""
    assert balance("see [1 and [2](x") == "see \\[1 and [2]\\(x"
    assert render_markdown("see [1 and [2](x") == "<p>see [1 and [2](x</p>"


def test_a_block_dense_with_markup_is_shown_as_its_text():
    """Past MAX_MARKUP_PER_BLOCK markup characters a block is shown as the
    plain text it is (escaped), the other blocks still as Markdown."""
    dense = "*[" * MAX_MARKUP_PER_BLOCK
    html = render_markdown(f"*Fine* paragraph.\n\n{dense}\n\n<script>x</script>")
    assert html.startswith("<p><em>Fine</em> paragraph.</p>")
    assert f"<p>{dense}</p>" in html
    assert "<script>" not in html


def test_a_link_whose_words_name_another_site_shows_where_it_goes():
    """An imported body (a feed's <a href="https://evil.example/">bank.example
    </a>) showed "bank.example" and led elsewhere. As in comments, a label
    that reads as an address names the real destination beside it when the
    two differ; links to the site their words name are left as they are."""
    for body in (
        "[bank.example](https://evil.example/login)",
        "Sign in at [https://bank.example/login](https://evil.example/x).",
        '<a href="https://evil.example/">www.<em>bank</em>.example</a>',
        "[bank\u2024example](https://evil.example/)",
    ):
        html = render_markdown(body)
        assert "</a> [evil.example]" in html, (body, html)
    for body in (
        "[www.example.org](https://example.org/page)",
        "[example.org/report](https://www.example.org/report)",
        "[read the report](https://evil.example/)",
        "[desk@example.org](mailto:desk@example.org)",
    ):
        assert "[" not in render_markdown(body), body


def test_a_link_to_an_address_python_cannot_split_renders():
    """An imported body's link whose host Python cannot read (an unclosed
    or stray bracket the sanitiser lets through) made rendering raise
    ValueError, a 500 on the story's page. Its words are shown, not as a
    link to a destination the page cannot name."""
    for body in (
        '<a href="https://a]b.example/">bank.example</a>',
        "[bank.example](https://a]b.example/x)",
        '<a href="https://a]b.example/">read the report</a>',
    ):
        html = render_markdown(body)
        assert "bank.example" in html or "read the report" in html, (body, html)


def test_bidi_overrides_cannot_turn_a_body_round():
    """U+202E (right-to-left override) shows the letters after it backwards:
    an imported body's link "\u202emoc.knab//:sptth" reads on the page as
    "https://bank.com" while it says something else, and the check above
    (does the label read as another host?) saw only the reversed letters.
    Overrides (LRO, RLO) are dropped from bodies when rendered and when
    cleaned on save; right-to-left prose keeps its marks, embeddings and
    isolates, which turn no letters round."""
    body = "Sign in at [\u202emoc.knab//:sptth\u202c](https://evil.example/x)."
    html = render_markdown(body)
    assert "\u202e" not in html and "\u202d" not in render_markdown("a\u202db")
    hebrew = "\u05e9\u05dc\u05d5\u05dd \u200f(\u2067\u05e2\u05d5\u05dc\u05dd\u2069)"
    assert hebrew in render_markdown(hebrew)
    assert clean_text("one\u202eeno\n\u202dtwo") == "oneeno\ntwo"
    assert clean_text(hebrew) == hebrew


@pytest.mark.django_db
@pytest.mark.parametrize(
    "label",
    [
        "“bank.example”",  # in quotes
        '"bank.example"',
        "«bank.example»",
        "Sign in:bank.example",
        "→bank.example",
        "bank\u200b.example",  # zero-width space
        "bank\u00ad.example",  # soft hyphen
        "www\u2060.bank.example",  # word joiner
        "bank\ufe0f.example",  # variation selector
        "https://bank\u200d.example/login",  # zero-width joiner
        "10.0.0.1",  # an address by number: the router's page it names
        "Sign in at 192.168.1.1",
    ],
)
def test_an_address_label_behind_punctuation_or_an_unseen_character_names_the_target(
    client, label
):
    """An imported feed's ``<a href="https://evil.example/login">“bank.example”
    </a>`` read on the story's page as bank.example and led elsewhere with
    nothing beside it: the label was taken for an address only after a
    space, "/", "@" or "(", so one in quotes or after a colon or arrow was
    not, nor one with a character that shows nothing inside it (a zero-width
    space, soft hyphen, word joiner, variation selector). Each shows the
    real host beside it, as "bank.example" typed plainly does."""
    fragment = (
        f'<p>Sign in at <a href="https://evil.example/login">{label}</a> now.</p>'
    )
    story = f.article(body=html_to_markdown(fragment))
    page = lxml.html.fromstring(client.get(story.get_absolute_url()).content)
    (link,) = page.xpath("//div[@itemprop='articleBody']//a")
    assert link.get("href") == "https://evil.example/login"
    assert link.text_content() == label
    assert (link.tail or "").startswith(" [evil.example]"), repr(link.tail)


@pytest.mark.django_db
def test_a_library_picture_inside_an_attribute_leaves_the_markup_whole(client):
    """A library picture's reference inside an attribute (``<abbr title='<img
    src="image:1">'>``, written by a reporter or brought by an imported
    link) was swapped for the figure's markup there, whose first quote
    closed the attribute: the page showed the rest of the tag as text
    (``">HTML``) and the element lost its words. A picture has no place in
    an attribute: the reference is dropped there; the one in the text still
    becomes the figure."""
    image, _ = add_image(samples.photo(800, 500, seed=1), "a.jpg", alt="A harbour")
    body = (
        f"<abbr title='<img src=\"image:{image.pk}\">'>HTML</abbr> and "
        f'<a title=\'<img src="image:{image.pk}">\' href="https://example.org/">'
        f"a link</a>.\n\n![A harbour](image:{image.pk})"
    )
    story = f.article(body=body)
    page = lxml.html.fromstring(client.get(story.get_absolute_url()).content)
    (text,) = page.xpath("//div[@itemprop='articleBody']")
    assert '">' not in text.text_content(), text.text_content()
    (abbr,) = text.xpath(".//abbr")
    assert abbr.text == "HTML" and "<" not in abbr.get("title", "")
    (link,) = text.xpath(".//a")
    assert link.get("href") == "https://example.org/" and link.text == "a link"
    assert len(text.xpath(".//figure")) == 1
