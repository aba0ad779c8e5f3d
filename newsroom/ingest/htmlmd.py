"""HTML fragments (feed entries, export bodies) as Markdown article bodies.

A small, strict converter: paragraphs, line breaks, quotes, lists, headings,
emphasis and links survive; scripts, styles and every other tag leave only
their text. Enough for what feeds carry; the rendered HTML is sanitised again
by render_markdown anyway.
"""

from __future__ import annotations

import re

from lxml import html as lxml_html

from newsroom.core.text import clean_text

from .records import plain_to_markdown

BLOCKS = {
    "p",
    "div",
    "section",
    "article",
    "blockquote",
    "ul",
    "ol",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "pre",
    "figure",
    "figcaption",
    "table",
    "tr",
    "hr",
    "header",
    "footer",
    "aside",
    "main",
}
DROP = {"script", "style", "noscript", "iframe", "form", "button", "svg", "head"}
INLINE_MARK = {"em": "*", "i": "*", "strong": "**", "b": "**"}
_ESCAPE = re.compile(r"([\\`*_\[\]])")


def html_to_markdown(fragment: str) -> str:
    # Cleaned as any imported text is (a vertical tab a line break, other
    # control characters gone) before lxml sees it: it refused a fragment
    # whose leading text held one (ValueError), and the whole feed was lost.
    fragment = clean_text(fragment or "")
    if not fragment or not fragment.strip():
        return ""
    if "<" not in fragment:
        # Plain text: blank lines are paragraphs.
        return plain_to_markdown(re.split(r"\n\s*\n", fragment.strip()))
    root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    blocks: list[str] = []
    _block(root, blocks, prefix="")
    return "\n\n".join(b for b in blocks if b.strip())


MAX_QUOTE_DEPTH = 8  # deeper quotes are kept at this depth


def _inline(el, marks: frozenset[str] = frozenset()) -> str:
    """The text of an element with inline markup as Markdown.

    A mark inside the same mark (``<b><b>x</b></b>``) adds nothing to the
    Markdown but stars, so it is written once: nesting cannot pile them up.
    """
    parts = [_text(el.text)]
    for child in el:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in DROP:
            pass
        elif tag == "br":
            parts.append("\x00")  # a hard break, restored after spacing is tidied
        elif tag:
            # Each child is converted once: trying it as emphasis and again as
            # plain text doubled the work per level (40 empty <b>s: forever).
            mark = INLINE_MARK.get(tag, "")
            fresh = mark and mark not in marks
            text = _inline(child, marks | {mark} if fresh else marks)
            inner = text.strip()
            if fresh and inner:
                parts.append(f"{mark}{inner}{mark}")
            elif tag == "a" and inner:
                href = (child.get("href") or "").strip()
                parts.append(
                    f"[{inner}]({_destination(href)})"
                    if href.startswith(("http", "mailto:"))
                    else inner
                )
            else:
                parts.append(text)
        parts.append(_text(child.tail))
    text = re.sub(r"[ \t]+", " ", "".join(parts))
    return re.sub(r" ?\x00 ?", "  \n", text)


# What would end or change a link's destination written as it is: ")" ends
# it, a space or quote begins a title, a backslash escapes what follows.
_BARE_UNSAFE = re.compile(r"[\s()\"'<>\\]")


def _destination(href: str) -> str:
    """An address as a Markdown link's destination, whole: in angle brackets
    when it holds what would end it or begin a title, with "<", ">", "\\"
    and line breaks percent-encoded (they would end the brackets or escape
    the next character; a browser sends them so anyway)."""
    if not _BARE_UNSAFE.search(href):
        return href
    for char, code in (("\\", "%5C"), ("<", "%3C"), (">", "%3E")):
        href = href.replace(char, code)
    href = re.sub(r"[\r\n]", lambda m: f"%{ord(m.group()):02X}", href)
    return f"<{href}>"


def _text(value: str | None) -> str:
    if not value:
        return ""
    text = _ESCAPE.sub(r"\\\1", re.sub(r"\s+", " ", value))
    return text.replace("<", "&lt;")


def _block(el, blocks: list[str], prefix: str) -> None:
    """Walk block elements; text outside any child block becomes a paragraph."""
    run = [_text(el.text)]

    def flush() -> None:
        text = "".join(run).strip()
        if text:
            blocks.append(_prefixed(text, prefix))
        run.clear()

    for child in el:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in DROP or not tag:
            run.append(_text(child.tail))
            continue
        if tag not in BLOCKS:
            holder = lxml_html.Element("span")
            holder.append(_copy(child))
            run.append(_inline(holder))
            run.append(_text(child.tail))
            continue
        flush()
        if tag == "blockquote":
            deeper = len(prefix) < 2 * MAX_QUOTE_DEPTH
            _block(child, blocks, prefix + "> " if deeper else prefix)
        elif tag in {"ul", "ol"}:
            items = [li for li in child if getattr(li, "tag", "") == "li"]
            lines = [
                f"{n}. " if tag == "ol" else "- " for n in range(1, len(items) + 1)
            ]
            blocks.append(
                _prefixed(
                    "\n".join(
                        marker + _inline(li).strip()
                        for marker, li in zip(lines, items, strict=True)
                    ),
                    prefix,
                )
            )
        elif tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            level = max(2, min(int(tag[1]), 4))
            blocks.append(_prefixed("#" * level + " " + _inline(child).strip(), prefix))
        elif tag == "hr":
            blocks.append(_prefixed("---", prefix))
        elif tag == "p" or not any(
            isinstance(c.tag, str) and c.tag in BLOCKS for c in child
        ):
            text = _inline(child).strip()
            if text:
                blocks.append(_prefixed(text, prefix))
        else:
            _block(child, blocks, prefix)
        run.append(_text(child.tail))
    flush()


def _copy(el):
    from copy import deepcopy

    clone = deepcopy(el)
    clone.tail = None
    return clone


def _prefixed(text: str, prefix: str) -> str:
    if not prefix:
        return text
    return "\n".join(prefix + line for line in text.split("\n"))
