"""Article bodies: Markdown in, sanitised HTML out."""

from __future__ import annotations

import html
import re
import secrets

import markdown
import nh3

from newsroom.media.html import figure
from newsroom.media.models import Image

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


# ``![alt](image:42 "caption")``: picture 42 of the media library. Markdown
# has made it an <img> by the time this runs; any other <img> (a picture from
# elsewhere) is dropped by the sanitiser, so nothing is hot-linked.
_LIBRARY_IMG = re.compile(r'<img\b[^>]*\bsrc="image:(\d{1,18})"[^>]*>')
_ATTR = re.compile(r'\b(alt|title)="([^"]*)"')


def _library_images(html_text: str) -> tuple[str, dict[str, str]]:
    """Swap library pictures for placeholders the sanitiser keeps as text."""
    found = [(m, int(m.group(1))) for m in _LIBRARY_IMG.finditer(html_text)]
    if not found:
        return html_text, {}
    images = Image.objects.in_bulk([pk for _, pk in found])
    nonce = secrets.token_hex(8)
    figures: dict[str, str] = {}
    out, last = [], 0
    for n, (match, pk) in enumerate(found):
        out.append(html_text[last : match.start()])
        last = match.end()
        image = images.get(pk)
        if image is None:
            continue
        attrs = {k: html.unescape(v) for k, v in _ATTR.findall(match.group(0))}
        token = f"nrfig{nonce}x{n}"
        figures[token] = figure(
            image,
            "body",
            lazy=True,
            css_class="figure figure--body",
            caption=attrs.get("title") or None,
        )
        out.append(token)
    out.append(html_text[last:])
    return "".join(out), figures


def render_markdown(text: str) -> str:
    """Render Markdown to HTML that keeps paragraphs and quotes and nothing unsafe.

    Raw HTML inside the Markdown goes through the same sanitiser, so a pasted
    ``<script>`` or ``onclick`` never reaches a reader. Library pictures
    (``![alt](image:42)``) become figures with srcset, made by us.
    """
    html_text = markdown.markdown(
        text or "", extensions=["sane_lists"], output_format="html"
    )
    html_text, figures = _library_images(html_text)
    cleaned = nh3.clean(
        html_text,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    for token, markup in figures.items():
        cleaned = cleaned.replace(f"<p>{token}</p>", markup).replace(token, markup)
    return cleaned
