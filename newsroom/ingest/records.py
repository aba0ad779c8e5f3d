"""What every importer yields: a source-neutral article record, or a bad record.

Importers only parse; the writer decides what is new, changed or a duplicate.
Keeping the record plain (picklable, no ORM objects) lets the bulk path hand
records to worker processes for rendering.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.utils.dateparse import parse_datetime as _parse_iso


class RecordProblem(ValueError):
    """A record that cannot be imported; the message says why, for one line."""


@dataclass
class Comment:
    """A reader comment carried by an export (WXR), in the export's own ids."""

    source_id: str
    name: str
    email: str
    body: str
    created_at: datetime | None
    status: str  # approved / pending / removed / spam
    parent_source_id: str = ""


@dataclass
class Record:
    """One article as found in the source, before any database lookup."""

    position: str
    headline: str
    body: str  # Markdown
    source: str = ""
    source_id: str = ""
    url: str = ""
    standfirst: str = ""
    published_at: datetime | None = None
    status: str = "published"  # published / scheduled / draft
    section: str = ""
    tags: list[str] = field(default_factory=list)
    # (name, slug or "") pairs; the slug lets an export keep its own term slugs.
    tag_slugs: dict[str, str] = field(default_factory=dict)
    section_slug: str = ""
    authors: list[str] = field(default_factory=list)
    slug: str = ""
    dateline: str = ""
    image_url: str = ""
    # The lead picture: an http(s) URL, a path beside the source file, or
    # "wp-attachment:ID" / "wp-parent:ID" for a WordPress export's attachments
    # (newsroom/ingest/pictures.py brings it in after the articles are written).
    picture: str = ""
    picture_alt: str = ""
    picture_caption: str = ""
    comments: list[Comment] = field(default_factory=list)
    # Why the source kept it from the public (a WordPress password or
    # private post); such a record is imported as a draft, or skipped.
    withheld: str = ""
    body_html: str = ""  # filled by the pipeline (render_markdown)
    content_hash: str = ""  # filled by the pipeline


@dataclass
class BadRecord:
    """A record that was skipped, with where it was and why."""

    position: str
    reason: str

    def __str__(self) -> str:
        return f"{self.position}: {self.reason}"


def content_hash(headline: str, body: str) -> str:
    """The identity of a text regardless of where it came from."""
    norm = " ".join(headline.split()).casefold() + "\n" + " ".join(body.split())
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()


_WP_ZERO = re.compile(r"^0000-00-00")


def parse_date(value: object) -> datetime | None:
    """An aware datetime from ISO 8601 / RFC 822 text; None when empty.

    Raises RecordProblem for text that is present but not a date, so a broken
    date is reported instead of silently becoming "now".
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        dt = value
    else:
        text = str(value).strip()
        if not text or _WP_ZERO.match(text):
            return None
        dt = _parse_text_date(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt


def _parse_text_date(text: str) -> datetime:
    try:
        dt = _parse_iso(text.replace("Z", "+00:00"))
    except ValueError as exc:  # well-formed but impossible, e.g. month 13
        raise RecordProblem(f"broken date {text!r}") from exc
    if dt is not None:
        return dt
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return datetime.fromisoformat(text)
        except ValueError as exc:
            raise RecordProblem(f"broken date {text!r}") from exc
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(text)
    # OverflowError: a year, hour or offset of twenty digits.
    except (TypeError, ValueError, IndexError, OverflowError) as exc:
        raise RecordProblem(f"broken date {text!r}") from exc


def split_names(value: object) -> list[str]:
    """Author names from "A, B and C" / "A; B" / a list."""
    if not value:
        return []
    if isinstance(value, list | tuple):
        items = [str(v) for v in value]
    else:
        # The separators alone: each name's spaces are tidied below. Spaces
        # around them in the pattern were tried from every position of a
        # run of blank space with no separator after it (quadratic: a
        # 20 kB run took 12 s).
        items = re.split(r";|,|\band\b|&", str(value))
    names = []
    for item in items:
        name = " ".join(item.split()).strip(" .")
        if name and name not in names:
            names.append(name)
    return names


# Python-Markdown's escapable characters; "<" and entities need HTML escapes.
_MD_INLINE = re.compile(r"([\\`*_\[\]])")
_MD_NUMBERED = re.compile(r"^(\d+)(?=[.)]\s)")
# Python-Markdown reads "&#65" (no semicolon) as a character too: escape any
# "&" that a name or number follows.
_ENTITY = re.compile(r"&(?=#|\w)")


def plain_to_markdown(paragraphs: list[str]) -> str:
    """Plain-text paragraphs as Markdown that renders back to the same text."""
    out = []
    for para in paragraphs:
        text = _MD_INLINE.sub(r"\\\1", " ".join(para.split()))
        text = _ENTITY.sub("&amp;", text).replace("<", "&lt;")
        # A leading "1. ", "# ", "> " or "- " would turn into a list, heading...
        if _MD_NUMBERED.match(text):
            text = _MD_NUMBERED.sub(r"\1\\", text, count=1)
        elif text and text[0] in "#>+-":
            text = "\\" + text
        if text:
            out.append(text)
    return "\n\n".join(out)
