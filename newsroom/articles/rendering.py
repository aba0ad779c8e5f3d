"""Article bodies: Markdown in, sanitised HTML out."""

from __future__ import annotations

import html
import re
import secrets
import unicodedata
from html import escape as html_escape
from urllib.parse import urlsplit

import markdown
import nh3

from newsroom.core.text import no_overrides
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


# Python-Markdown applies an inline pattern one match at a time, rebuilding
# the block's text after each, and scans ahead from every "[" for its
# partner: a block with thousands of markup characters costs time quadratic
# in its length (20 kB of "*[" took minutes). A block with more than
# MAX_MARKUP_PER_BLOCK of them is shown as the plain text it is instead, so
# the work is at most that many passes over each block: linear in the body.
# Each list or quote level is a recursion: nesting is cut to these depths.
# Ordinary text never comes near these limits.
MAX_MARKUP_PER_BLOCK = 200
MAX_QUOTE_DEPTH = 8
MAX_INDENT = 40  # columns: ten list levels
_BLOCKS = re.compile(r"(\n[ \t]*\n)")
_MARKUP = re.compile(r"[\\`*_\[\]!<>&]|  \n")
_DEEP_QUOTE = re.compile(rf"^(?:[ \t]{{0,3}}>){{{MAX_QUOTE_DEPTH + 1},}}", re.M)
_DEEP_INDENT = re.compile(rf"^[ \t]{{{MAX_INDENT + 1},}}", re.M)


def tame(text: str) -> tuple[str, dict[str, str]]:
    """The Markdown with nesting cut, and its heaviest blocks set aside.

    Returns the text to render and ``{placeholder: html}`` for the blocks
    replaced by a placeholder word (their text, escaped). Linear: every regex
    here only moves forward.
    """
    text = _DEEP_QUOTE.sub("> " * MAX_QUOTE_DEPTH, text)
    text = _DEEP_INDENT.sub(" " * MAX_INDENT, text)
    if (
        "[" not in text
        and "]" not in text
        and (len(_MARKUP.findall(text)) <= MAX_MARKUP_PER_BLOCK)
    ):
        return text, {}
    nonce = secrets.token_hex(8)
    plain: dict[str, str] = {}
    blocks = _BLOCKS.split(text)
    for n in range(0, len(blocks), 2):
        block = blocks[n]
        if len(_MARKUP.findall(block)) > MAX_MARKUP_PER_BLOCK:
            token = f"nrplain{nonce}n{n}"
            plain[token] = html_escape(block.strip(), quote=False)
            blocks[n] = token
        elif "[" in block or "]" in block:
            blocks[n] = balance(block)
    return "".join(blocks), plain


def balance(block: str) -> str:
    """The block with every "[" that Python-Markdown would scan past its end
    escaped: unmatched ones, ones nested deeper than two, and a "(" after
    "]" with no ")" to close it. Then each scan stops at its partner, and the
    scans add up to at most a few passes over the block.
    """
    escape: set[int] = set()
    opened: list[int] = []  # "[" positions
    parens: list[int] = []  # "(" positions
    link_open: list[int] = []  # "(" right after a "]"
    closed_parens: set[int] = set()
    i, length = 0, len(block)
    while i < length:
        c = block[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            if len(opened) >= 2:
                escape.add(i)
            else:
                opened.append(i)
        elif c == "]":
            if opened:
                opened.pop()
            else:
                escape.add(i)
        elif c == "(":
            parens.append(i)
            if i and block[i - 1] == "]":
                link_open.append(i)
        elif c == ")" and parens:
            closed_parens.add(parens.pop())
        i += 1
    escape.update(opened)
    escape.update(p for p in link_open if p not in closed_parens)
    if not escape:
        return block
    out, last = [], 0
    for pos in sorted(escape):
        out += [block[last:pos], "\\"]
        last = pos
    out.append(block[last:])
    return "".join(out)


def render_markdown(text: str) -> str:
    """Render Markdown to HTML that keeps paragraphs and quotes and nothing unsafe.

    Raw HTML inside the Markdown goes through the same sanitiser, so a pasted
    ``<script>`` or ``onclick`` never reaches a reader, and bidi overrides
    are dropped (rows stored before ``clean_text`` dropped them). Library pictures
    (``![alt](image:42)``) become figures with srcset, made by us.
    """
    source, plain = tame(no_overrides(text or ""))
    html_text = markdown.markdown(
        source, extensions=["sane_lists"], output_format="html"
    )
    if plain:
        html_text = re.sub("|".join(plain), lambda m: plain[m.group()], html_text)
    html_text, figures = _library_images(html_text)
    cleaned = nh3.clean(
        html_text,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    cleaned = _show_destinations(cleaned)
    if figures:
        # A reference inside an attribute (``<abbr title='<img
        # src="image:1">'>``) left its placeholder there, and the figure's
        # quotes would end the attribute: a picture has no place in a tag.
        # (The sanitiser writes ">" in an attribute as "&gt;".)
        tokens = re.compile("|".join(figures))
        cleaned = _TAG.sub(lambda m: tokens.sub("", m.group()), cleaned)
    for token, markup in figures.items():
        cleaned = cleaned.replace(f"<p>{token}</p>", markup).replace(token, markup)
    return cleaned


# A link whose words read as an address ("bank.example", "https://bank.
# example/login") but lead to another host shows the real host beside it, as
# comments do (newsroom/comments/text.py): an imported feed's body could say
# one site and link another.
_ANCHOR = re.compile(r"<a\b([^>]*)>(.*?)</a>", re.S)
_HREF = re.compile(r'\bhref="([^"]*)"')
_TAG = re.compile(r"<[^>]*>")
# A name.tld wherever a word begins: after a space, "/", "@", a quote, a
# colon or an arrow ("“bank.example”", "Sign in:bank.example").
# ... or an address by number ("192.168.1.1": a router's own page, say).
_LABEL_HOST = re.compile(
    r"(?i)(?<![\w.-])((?:[\w-]+\.)+[^\W\d_]{2,}|\d{1,3}(?:\.\d{1,3}){3})\b"
)
_DOT_LIKE = str.maketrans({"\u3002": ".", "\uff61": "."})  # NFKC keeps these
# Characters that show nothing (zero-width spaces and joiners, the soft
# hyphen, bidi marks and isolates, variation selectors, the grapheme joiner,
# Hangul fillers, tag letters): "bank\u200b.example" reads as "bank.example".
_UNSEEN = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0"
    "\U000e0000-\U000e0fff]"
)


def _host(name: str) -> str:
    """The host as shown (IDNA as punycode, lower case)."""
    name = name.rstrip(".").lower()
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        return name


def _same_site(a: str, b: str) -> bool:
    return _host(a).removeprefix("www.") == _host(b).removeprefix("www.")


def _show_destinations(html_text: str) -> str:
    def swap(match: re.Match) -> str:
        href = _HREF.search(match.group(1))
        if href is None:
            return match.group(0)
        try:
            target = urlsplit(html.unescape(href.group(1))).hostname or ""
        except ValueError:
            # A host no one can read ("https://a]b.example/"; the sanitiser
            # keeps it, a browser cannot follow it): the words, not a link.
            return match.group(2)
        label = _UNSEEN.sub("", html.unescape(_TAG.sub("", match.group(2))))
        label = unicodedata.normalize("NFKC", label).translate(_DOT_LIKE)
        named = _LABEL_HOST.search(label)
        if named is None or not target or _same_site(named.group(1), target):
            return match.group(0)
        return f"{match.group(0)} [{html_escape(_host(target))}]"

    return _ANCHOR.sub(swap, html_text)


def sanitise_html(html: str) -> str:
    """HTML cut down to the tags, attributes and URL schemes a page may show.

    The one rule for HTML from anyone else: comment or feed text that is
    already HTML (feeds pass it through again, so a row written by an
    importer or by hand never reaches a feed reader raw).
    """
    return nh3.clean(
        html or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
