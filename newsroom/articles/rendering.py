"""Article bodies: Markdown in, sanitised HTML out."""

from __future__ import annotations

import markdown
import nh3

ALLOWED_TAGS = {
    "p",
    "br",
    "blockquote",
    "em",
    "strong",
    "b",
    "i",
    "a",
    "ul",
    "ol",
    "li",
    "h2",
    "h3",
    "h4",
    "code",
    "pre",
    "hr",
    "figure",
    "figcaption",
    "cite",
    "q",
    "sub",
    "sup",
    "abbr",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}}


def render_markdown(text: str) -> str:
    """Render Markdown to HTML that keeps paragraphs and quotes and nothing unsafe.

    Raw HTML inside the Markdown goes through the same sanitiser, so a pasted
    ``<script>`` or ``onclick`` never reaches a reader.
    """
    html = markdown.markdown(
        text or "", extensions=["sane_lists"], output_format="html"
    )
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
