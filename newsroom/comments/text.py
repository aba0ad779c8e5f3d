"""Comment text to HTML: paragraphs and links only, everything else escaped.

Readers write plain text. Blank lines make paragraphs, single newlines line
breaks, bare http(s) URLs and ``[text](url)`` become links. Every other
character is escaped first, so ``<b>`` shows as ``<b>``; nh3 then checks the
result as a second line of defence and adds ``rel="nofollow ugc"``.
"""

from __future__ import annotations

import hashlib
import re

import nh3
from django.utils.html import escape

LINK_RE = re.compile(
    r"\[(?P<label>[^\]\n]{1,200})\]\((?P<target>https?://[^\s()<>]+)\)"
    r"|(?P<bare>https?://[^\s<>\"']+)",
    re.IGNORECASE,
)
TRAILING = ".,;:!?)]}'\""


def count_links(text: str) -> int:
    return sum(1 for _ in LINK_RE.finditer(text))


def _link(url: str, label: str) -> str:
    return f'<a href="{escape(url)}">{escape(label)}</a>'


def _inline(paragraph: str) -> str:
    out, pos = [], 0
    for match in LINK_RE.finditer(paragraph):
        out.append(escape(paragraph[pos : match.start()]))
        if match.group("bare"):
            url = match.group("bare")
            tail = ""
            while url and url[-1] in TRAILING:
                url, tail = url[:-1], url[-1] + tail
            out.append(_link(url, url) + escape(tail))
        else:
            out.append(_link(match.group("target"), match.group("label")))
        pos = match.end()
    out.append(escape(paragraph[pos:]))
    return "<br>".join("".join(out).split("\n"))


def render_body(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    paragraphs = [p.strip() for p in re.split(r"\n[ \t]*\n", text) if p.strip()]
    html = "".join(f"<p>{_inline(p)}</p>" for p in paragraphs)
    return nh3.clean(
        html,
        tags={"p", "br", "a"},
        attributes={"a": {"href"}},
        url_schemes={"http", "https"},
        link_rel="nofollow ugc",
    )


def body_hash(text: str) -> str:
    """Same words, same hash: case, spacing and punctuation do not matter."""
    words = re.findall(r"\w+", text.casefold())
    return hashlib.sha256(" ".join(words).encode()).hexdigest()
