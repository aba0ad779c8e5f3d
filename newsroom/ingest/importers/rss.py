"""RSS and Atom feeds, from a file or a URL (feedparser does the parsing)."""

from __future__ import annotations

import calendar
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from ..htmlmd import html_to_markdown
from ..records import BadRecord, Record, split_names
from ..sources import Opened, max_document_bytes
from . import ReadContext


def read(path: Path, ctx: ReadContext) -> Iterator[Record | BadRecord]:
    import feedparser

    with ctx.track(Opened(path)) as opened:
        data = opened.read_whole(max_document_bytes(), "feed")
    try:
        # A stream, never bytes: feedparser opens bytes that name a file as a path.
        feed = feedparser.parse(io.BytesIO(_CHARREF.sub(_no_character, data)))
    except Exception as exc:  # noqa: BLE001 - whatever the parser raises
        # feedparser's fallback parser, for a feed that is not well-formed
        # XML, fails on some: a <category> closed after its </item>
        # (KeyError), a reference to no character in a UTF-16 feed
        # (OverflowError). Such a feed cannot be read: one line.
        yield BadRecord(ctx.name(path), f"cannot read: {type(exc).__name__} {exc}")
        return
    if feed.bozo and not feed.entries:
        yield BadRecord(ctx.name(path), f"not a feed: {feed.get('bozo_exception')}")
        return
    channel = feed.feed
    source = channel.get("link") or channel.get("title") or ctx.url or path.name
    for number, entry in enumerate(feed.entries, start=1):
        position = f"{ctx.url or ctx.name(path)}#entry{number}"
        title = " ".join((entry.get("title") or "").split())
        if not title:
            yield BadRecord(position, "missing title")
            continue
        date_text = entry.get("published") or entry.get("updated") or ""
        parsed = entry.get("published_parsed") or entry.get("updated_parsed")
        if date_text and parsed is None:
            yield BadRecord(position, f"broken date {date_text!r}")
            continue
        try:
            published = (
                datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
                if parsed
                else None
            )
        except (OverflowError, ValueError, OSError):
            # feedparser moves the date to UTC: 9999-12-31T23:59-12:00 is
            # in year 10000, which Python does not count.
            yield BadRecord(position, f"date out of range {date_text!r}")
            continue
        content = ""
        if entry.get("content"):
            content = entry.content[0].get("value", "")
        summary = entry.get("summary", "")
        body = html_to_markdown(content or summary)
        standfirst = html_to_markdown(summary) if content and summary else ""
        authors = [a.get("name", "") for a in entry.get("authors", []) if a.get("name")]
        tags = [t.get("term", "") for t in entry.get("tags", []) if t.get("term")]
        # None for a <guid> holding an unclosed tag (taken as the link).
        link = entry.get("link") or ""
        picture, picture_alt = _picture(entry)
        yield Record(
            picture=picture,
            picture_alt=picture_alt,
            position=position,
            headline=title,  # cut after cleaning (validate.line)
            body=body,
            source=str(source)[:200],
            source_id=str(entry.get("id") or link),  # fitted by validate
            url=link if link.startswith("http") else "",
            standfirst=" ".join(standfirst.split())[:1000],
            published_at=published,
            section=ctx.section or (tags[0] if tags else ""),
            tags=tags[1:] if not ctx.section and tags else tags,
            authors=split_names(authors or entry.get("author")),
        )


# A numeric character reference (in an ASCII-compatible encoding).
_CHARREF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")


def _no_character(match: re.Match[bytes]) -> bytes:
    """A reference to no character (twenty digits, past U+10FFFF, a lone
    surrogate) as U+FFFD, the way a browser reads it: feedparser's fallback
    parser, for a feed that is not well-formed XML, raised on it
    (OverflowError, ValueError), and the whole feed was lost."""
    hexa, decimal = match.groups()
    digits = (hexa or decimal).lstrip(b"0")
    if len(digits) > 7:  # past U+10FFFF, and past what int() takes whole
        return b"&#xFFFD;"
    code = int(digits or b"0", 16 if hexa else 10)
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return b"&#xFFFD;"
    return match.group()


def _picture(entry) -> tuple[str, str]:
    """The entry's picture: Media RSS ``media:content``, else an image enclosure."""
    for media in entry.get("media_content") or []:
        kind = media.get("medium") or media.get("type", "").split("/")[0]
        if kind == "image" and media.get("url"):
            return media["url"], ""
    for enclosure in entry.get("enclosures") or []:
        if enclosure.get("type", "").startswith("image/") and enclosure.get("href"):
            return enclosure["href"], ""
    return "", ""
