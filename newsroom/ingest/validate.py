"""Every record is put into the model's shape before the writer sees it.

Importers parse; this module rules, the same way for every format: text is
cleaned as the admin forms clean it (newsroom.core.text), lengths are cut
to the columns' (and the forms') limits, slugs are made from any source's
text into the ASCII slugs the URL patterns accept, URLs must be http(s), and
dates must lie between the years MIN_YEAR and MAX_YEAR. A record that
cannot be put in shape raises RecordProblem: one bad-record line, and the run
goes on.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from urllib.parse import unquote

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.text import slugify

from newsroom.articles.forms import body_max_chars
from newsroom.core.addresses import mailbox
from newsroom.core.text import clean_text

from .records import Record, RecordProblem

MIN_YEAR = 1800
MAX_YEAR = 2200
STATUSES = frozenset({"published", "scheduled", "draft"})
SLUG = re.compile(r"[-a-zA-Z0-9_]+")  # Django's <slug:...> path converter
_url = URLValidator(schemes=["http", "https"])


def line(value: object, limit: int) -> str:
    """One line of text, cleaned and cut to ``limit`` characters."""
    if value is None:
        return ""
    if not isinstance(value, str | int | float):
        raise RecordProblem(f"expected text, got {type(value).__name__}")
    return clean_text(str(value), multiline=False)[:limit].strip()


def identity(value: str, limit: int) -> str:
    """A source's id in ``limit`` characters: whole when it fits, else its
    beginning and a hash of the whole. Cut short, two long ids sharing their
    first ``limit`` characters (a feed's GUIDs with a long common prefix)
    were one id, and the second record was taken for the first."""
    if len(value) <= limit:
        return value
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{value[: limit - 41]}~{digest[:40]}"


def slug(value: object, limit: int) -> str:
    """A URL-safe slug from a source's slug (percent-encoded or not); "" when
    nothing URL-safe is left (the writer then makes one from the name)."""
    text = line(value, 1000)
    if not text:
        return ""
    made = slugify(unquote(text, errors="replace"))[:limit].strip("-_")
    return made if SLUG.fullmatch(made) else ""


def url(value: str, limit: int = 500) -> str:
    text = line(value, 2000)
    if not text or len(text) > limit:
        return ""
    try:
        _url(text)
    except ValidationError:
        return ""
    return text


def date(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise RecordProblem("broken date")
    try:
        when = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    except (OverflowError, ValueError) as exc:
        raise RecordProblem(f"date out of range: {value!r}") from exc
    if not MIN_YEAR <= when.year <= MAX_YEAR:
        raise RecordProblem(
            f"date out of range ({MIN_YEAR} to {MAX_YEAR}): {when.isoformat()}"
        )
    return when


def check(record: Record) -> Record:
    """The record in the model's shape, or RecordProblem."""
    record.headline = line(record.headline, 300)
    if not record.headline:
        raise RecordProblem("missing title")
    if not isinstance(record.body, str):
        raise RecordProblem("body is not text")
    record.body = clean_text(record.body).strip()
    if len(record.body) > body_max_chars():
        raise RecordProblem(
            f"body of {len(record.body):,} characters is over "
            f"{body_max_chars():,} (NEWSROOM_ARTICLE_BODY_MAX_CHARS)"
        )
    record.standfirst = clean_text(str(record.standfirst or "")).strip()[:2000]
    record.dateline = line(record.dateline, 120)
    record.section = line(record.section, 80)
    record.section_slug = slug(record.section_slug, 80)
    record.source = line(record.source, 200)
    record.source_id = identity(line(record.source_id, 100_000), 200)
    record.url = url(record.url)
    record.image_url = url(record.image_url)
    record.slug = slug(record.slug, 180)
    if record.status not in STATUSES:
        raise RecordProblem(f"unknown status {record.status!r}")
    record.published_at = date(record.published_at)
    if not isinstance(record.tags, list) or not isinstance(record.authors, list):
        raise RecordProblem("tags and authors must be lists")
    slugs = {line(k, 100): slug(v, 100) for k, v in record.tag_slugs.items()}
    tags = []
    for tag in record.tags:
        name = line(tag, 100)
        if name and name not in tags:
            tags.append(name)
    record.tags = tags
    record.tag_slugs = {k: v for k, v in slugs.items() if v}
    authors = []
    for author in record.authors:
        name = line(author, 120)
        if name and name not in authors:
            authors.append(name)
    record.authors = authors
    for comment in record.comments:
        # Fitted to ImportedComment.source_id, a reply's parent alike.
        comment.source_id = identity(comment.source_id, 200)
        comment.parent_source_id = identity(comment.parent_source_id, 200)
        comment.name = line(comment.name, 80) or "Anonymous"
        comment.body = clean_text(str(comment.body or "")).strip()[:20_000]
        # As the comment form keeps it (a mailbox at a domain), or not at all.
        try:
            comment.email = mailbox(line(comment.email, 254))
        except ValueError:
            comment.email = ""
        try:
            comment.created_at = date(comment.created_at)
        except RecordProblem:
            comment.created_at = None
    return record
