"""A shortcut for render_markdown on bodies that are plain paragraphs.

Markdown plus the sanitiser costs about a millisecond per article: most of a
million-article import. For a body made only of single-line paragraphs of
letters, digits, spaces and ordinary punctuation - no character Markdown or
HTML reads as syntax - render_markdown's output is exactly "<p>...</p>" per
paragraph, joined by newlines. Anything else goes through render_markdown
itself. The tests compare the two on corpora and on generated text.
"""

from __future__ import annotations

import re

from newsroom.articles.rendering import render_markdown

# Starts with a letter, digit or quote mark (not "-", "+", "#", ">", "*" ...),
# then only characters with no meaning to Markdown, nh3 or HTML.
_PLAIN = re.compile(
    r"[A-Za-z0-9\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u017F'\"\u2018\u2019\u201C\u201D]"
    r"[A-Za-z0-9\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u017F .,;:'\"?!()%$/"
    r"\u2018\u2019\u201C\u201D\u2013\u2014\u00A3\u20AC-]*"
)
# "2014. The year" would start an ordered list.
_NUMBERED = re.compile(r"\d+\.\s")


def plain_html(body: str) -> str | None:
    """The HTML for a plain-paragraph body, or None when it is not one."""
    if not body:
        return ""
    out = []
    for para in body.split("\n\n"):
        if (
            not _PLAIN.fullmatch(para)
            or para.endswith(" ")
            or "  " in para
            or _NUMBERED.match(para)
        ):
            return None
        out.append(f"<p>{para}</p>")
    return "\n".join(out)


def render(body: str) -> str:
    """Exactly render_markdown(body), faster for plain paragraphs."""
    html = plain_html(body)
    return html if html is not None else render_markdown(body)
