"""Crawled plain-text pages: the article with the site chrome around it removed.

A text dump of a news page holds the article's prose between menus, search
boxes, share counters and comment forms. The rules here are general, not a
list of any site's lines:

- prose is a line of several words that ends like a sentence; the article is
  the span from the first prose line to the last one;
- inside that span, lines that look like chrome (no letters, counters such as
  "(12)", form and search prompts, field labels) are dropped;
- the headline is the last headline-shaped line above the span: a handful of
  words, no sentence ending, not a UI label.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ..records import BadRecord, Record, content_hash, plain_to_markdown
from ..sources import Opened, max_record_bytes
from . import ReadContext

PROSE_MIN_WORDS = 8
SENTENCE_END = re.compile(r"""[.!?…]["'”’)\]]*$""")
NO_LETTERS = re.compile(r"^[\W\d_]+$")
COUNTER = re.compile(r"\(\s*\d[\d,.]*\s*[kKmM]?\s*\)")
UI_WORDS = re.compile(
    r"\b(search|keyword|comments?|share|shares|tweet|like|follow|subscribe|"
    r"sign ?(in|up)|log ?(in|out)|register|newsletter|advertisement|sponsored|"
    r"related|recommended|trending|popular|read more|more from|next|previous|"
    r"menu|home|contact|privacy|cookies?|terms|copyright|all rights|"
    r"captcha|code|verification|submit|send|reply|post|name|e-?mail|website)\b",
    re.IGNORECASE,
)
FORM_PROMPT = re.compile(
    r"\b(please|required|fill|enter|type|your (name|e-?mail|comment)|"
    r"fields?|characters? left|confirm\w*)\b",
    re.IGNORECASE,
)


def words(line: str) -> list[str]:
    return re.findall(r"[^\W_]+(?:[-'’.][^\W_]+)*", line)


def is_prose(line: str) -> bool:
    return len(words(line)) >= PROSE_MIN_WORDS and bool(SENTENCE_END.search(line))


def is_chrome(line: str) -> bool:
    """A line that belongs to the page, not to the article."""
    text = line.strip()
    if not text:
        return True
    if NO_LETTERS.match(text):  # "(33) (33)", "|", "1 2 3 >"
        return True
    n = len(words(text))
    if text.startswith(("*", "•", "|", "»", "©")) and n <= 6:
        return True  # "* required field", a menu bullet, a footer
    if COUNTER.search(text) and n <= 6:
        return True  # "Total Comments (0)", "Share (12)"
    if n <= 8 and not is_prose(text):
        if FORM_PROMPT.search(text) or UI_WORDS.search(text):
            return True
        if _title_case(text) and text.rstrip().endswith((".", ":")):
            return True  # "Search For Keyword." - a label, not a sentence
    if (
        n <= 12
        and FORM_PROMPT.search(text)
        and re.search(r"\b(below|above|fields?|form)\b", text, re.I)
    ):
        return True  # "Please fill the fields below."
    return False


def _title_case(text: str) -> bool:
    ws = [w for w in words(text) if w[:1].isalpha()]
    return bool(ws) and all(w[:1].isupper() for w in ws)


def is_headline(line: str) -> bool:
    n = len(words(line))
    return (
        3 <= n <= 25
        and not is_chrome(line)
        and not SENTENCE_END.search(line.rstrip(' "”'))
        and not line.rstrip().endswith(":")
    )


def extract(text: str) -> tuple[str, list[str]]:
    """(headline, paragraphs) of the article in a crawled text page."""
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").split("\n")]
    prose = [i for i, line in enumerate(lines) if is_prose(line)]
    if not prose:
        return "", []
    start, end = prose[0], prose[-1]
    paragraphs, current = [], []
    for line in lines[start : end + 1]:
        if not line:
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        if is_chrome(line):
            continue
        current.append(line)
    if current:
        paragraphs.append(" ".join(current))
    headline = ""
    for line in reversed(lines[:start]):
        if is_headline(line):
            headline = line
            break
    return headline, paragraphs


def read(path: Path, ctx: ReadContext) -> Iterator[Record | BadRecord]:
    with ctx.track(Opened(path)) as opened:
        raw = opened.read_whole(max_record_bytes())
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        yield BadRecord(
            ctx.name(path), f"invalid encoding (not UTF-8) at byte {exc.start}"
        )
        return
    headline, paragraphs = extract(text)
    if not paragraphs:
        yield BadRecord(ctx.name(path), "no article text found")
        return
    if not headline:
        yield BadRecord(ctx.name(path), "missing title")
        return
    body = plain_to_markdown(paragraphs)
    yield Record(
        position=ctx.name(path),
        headline=headline,  # cut after cleaning (validate.line)
        body=body,
        source="textpage",
        # The text is the page's only identity: a crawled copy has no id.
        source_id="",
        url=ctx.url,
        section=ctx.section,
        content_hash=content_hash(headline, body),
    )
