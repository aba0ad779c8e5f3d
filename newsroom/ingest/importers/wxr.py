"""WordPress eXtended RSS (WXR 1.x) exports: posts with their terms and comments.

Streams the XML (an export can be large) and keeps, per post: title, body,
excerpt, slug, dates, status (publish / future / draft...), author's display
name, categories (the first becomes the section, the others tags), tags, and
comments with their approval state.
"""

from __future__ import annotations

import codecs
import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..records import BadRecord, Comment, Record, RecordProblem, parse_date
from ..sources import Opened, max_record_bytes
from . import ReadContext

WP_STATUS = {
    "publish": "published",
    "future": "scheduled",
    "draft": "draft",
    "pending": "draft",
    "private": "draft",
}
COMMENT_STATUS = {
    "1": "approved",
    "approve": "approved",
    "0": "pending",
    "hold": "pending",
    "trash": "removed",
    "spam": "spam",
}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _ns(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _child(el, name: str, ns_part: str = "") -> str:
    for c in el:
        if _local(c.tag) == name and ns_part in _ns(c.tag):
            return (c.text or "").strip() if name != "encoded" else (c.text or "")
    return ""


CHUNK = 1 << 16  # bytes fed to the parser at a time
READ_WHOLE = frozenset({"item", "author", "category"})  # read at their end

# The XML declaration's encoding, at the start of the file (after a UTF-8 BOM).
_DECLARED = re.compile(
    rb"^(\xef\xbb\xbf)?\s*<\?xml\s[^>]*?\bencoding\s*=\s*([\"'])([A-Za-z][\w.:-]*)\2"
)
# Encodings the parser (expat) reads itself, by Python's codec names.
_EXPAT_READS = frozenset(
    {"utf-8", "utf-16", "utf-16-le", "utf-16-be", "ascii", "iso8859-1"}
)


class _NotInEncoding(ValueError):
    pass


def _as_parsed(stream) -> Iterator[bytes]:
    """The file's bytes in chunks the parser reads: as they are, or, when the
    declaration names an encoding expat does not read (the multi-byte ones of
    old Japanese, Chinese and Korean sites: EUC-JP, Shift_JIS, GB18030, Big5,
    EUC-KR...), decoded by Python's codec as they come and given as UTF-8,
    the declaration saying so. LookupError: an encoding Python does not know
    (or a codec of its that is not a text encoding);
    ``_NotInEncoding``: bytes that encoding does not have."""
    head = stream.read(CHUNK)
    found = _DECLARED.match(head)
    codec = codecs.lookup(found.group(3).decode("ascii")) if found else None
    if codec is not None:
        # LookupError for Python's codecs that are not text encodings
        # ("rot13", "zlib", "base64"...): they do not read bytes as text.
        # (Encoding, as decoding b"" is never checked.)
        "".encode(codec.name)
    if codec is None or found is None or found.group(1) or codec.name in _EXPAT_READS:
        while head:
            yield head
            head = stream.read(CHUNK)
        return
    named = found.group(3).decode("ascii")
    decoder = codec.incrementaldecoder("strict")
    start, end = found.span(3)
    chunk, final = head[end:], False
    yield head[:start] + b"UTF-8"  # the declaration is ASCII in all of them
    while True:
        try:
            text = decoder.decode(chunk, final=final)
        except UnicodeDecodeError as exc:
            raise _NotInEncoding(f"not {named} text ({exc.reason})") from None
        if text:
            yield text.encode("utf-8")
        if final:
            return
        chunk = stream.read(CHUNK)
        final = not chunk


def read(path: Path, ctx: ReadContext) -> Iterator[Record | BadRecord]:
    """Each post of the export, as it is parsed.

    Memory stays flat whatever the file holds: an element outside the posts
    is let go as soon as it ends (only <item>s were, and 20 million empty
    elements beside them took 1.8 GB), and a post is refused while it is
    read once it passes ``max_record_bytes`` (one 2 GB post was built whole
    first, 4.18 GB); the rest of that file is not read, since the parser
    must take a post whole or stop."""
    authors: dict[str, str] = {}
    listed: set[str] = set()  # category slugs the channel lists
    site = ""
    number = 0
    cap = max_record_bytes()
    with ctx.track(Opened(path)) as opened:
        # Only start and end events: each comes with an element (typeshed
        # also allows the namespace events' tuples).
        parser: Any = ET.XMLPullParser(events=("start", "end"))
        open_elements: list = []
        # The outermost element read whole (a post, an author, a category)
        # and the bytes fed before it began: within it nothing is let go.
        whole: Any = None
        whole_from = fed = 0
        try:
            chunks = _as_parsed(opened.stream)
            while True:
                chunk = next(chunks, b"")
                if chunk:
                    parser.feed(chunk)
                else:
                    parser.close()
                for event, el in parser.read_events():
                    if event == "start":
                        open_elements.append(el)
                        if whole is None and _local(el.tag) in READ_WHOLE:
                            whole, whole_from = el, fed
                        continue
                    open_elements.pop()
                    name = _local(el.tag)
                    if name == "author" and "wordpress.org/export" in _ns(el.tag):
                        login = _child(el, "author_login")
                        authors[login] = _child(el, "author_display_name") or login
                    elif name == "category" and "wordpress.org/export" in _ns(el.tag):
                        listed.add(_child(el, "category_nicename"))
                    elif name == "base_site_url" and not site:
                        site = (el.text or "").strip()
                    elif name == "item" and el is whole:
                        number += 1
                        position = f"{ctx.name(path)}#item{number}"
                        try:
                            record = _post(
                                el, position, site or path.name, authors, listed, ctx
                            )
                        except RecordProblem as exc:
                            yield BadRecord(position, str(exc))
                        else:
                            if record is not None:
                                yield record
                    if el is whole:
                        whole = None
                        el.clear()
                    if whole is None and open_elements:
                        open_elements[-1].remove(el)  # done with: let it go
                fed += len(chunk)
                if whole is not None and fed - whole_from > cap:
                    what = "post" if _local(whole.tag) == "item" else _local(whole.tag)
                    yield BadRecord(
                        f"{ctx.name(path)}#item{number + 1}",
                        f"{what} over {cap:,} bytes "
                        "(NEWSROOM_IMPORT_MAX_RECORD_BYTES); the rest of the file "
                        "is not read",
                    )
                    return
                if not chunk:
                    break
        except ET.ParseError as exc:
            yield BadRecord(f"{ctx.name(path)}:{exc.position[0]}", f"broken XML: {exc}")
        except (LookupError, _NotInEncoding) as exc:  # see ``_as_parsed``
            yield BadRecord(ctx.name(path), f"cannot read: {exc}")


def _post(
    item,
    position: str,
    site: str,
    authors: dict[str, str],
    listed: set[str],
    ctx: ReadContext,
) -> Record | None:
    if _child(item, "post_type") == "attachment":
        _attachment(item, ctx)
        return None
    if _child(item, "post_type") not in ("post", ""):
        return None  # pages, menu items: not articles
    wp_status = _child(item, "status")
    if wp_status in ("trash", "auto-draft", "inherit"):
        return None
    title = " ".join(html.unescape(_child(item, "title")).split())
    if not title:
        raise RecordProblem("missing title")
    published = parse_date(_child(item, "post_date_gmt")) or parse_date(
        _child(item, "pubDate") or None
    )
    categories, tags, tag_slugs = [], [], {}
    for c in item:
        if _local(c.tag) != "category" or not c.text:
            continue
        term = " ".join(html.unescape(c.text).split())
        nicename = c.get("nicename", "")
        if c.get("domain") == "category":
            categories.append((term, nicename))
        elif c.get("domain") == "post_tag":
            tags.append(term)
            tag_slugs[term] = nicename
    # The section: the first category the channel itself lists (an export
    # filtered by category lists only that one), else the first; the other
    # categories are kept as tags.
    categories.sort(key=lambda c: c[1] not in listed)
    section, section_slug = categories[0] if categories else ("", "")
    for term, nicename in categories[1:]:
        tags.append(term)
        tag_slugs[term] = nicename
    if ctx.section:
        section, section_slug = ctx.section, ""
    creator = _child(item, "creator")
    link = _child(item, "link")
    post_id = _child(item, "post_id")
    thumbnail = _postmeta(item).get("_thumbnail_id", "")
    withheld = ""
    if _child(item, "post_password"):
        withheld = "password-protected"
    elif wp_status == "private":
        withheld = "private"
    return Record(
        picture=f"wp-attachment:{thumbnail}" if thumbnail else f"wp-parent:{post_id}",
        position=position,
        headline=title,  # cut after cleaning (validate.line)
        body=_child(item, "encoded", "purl.org/rss/1.0/modules/content").strip(),
        standfirst=" ".join(_child(item, "encoded", "excerpt").split())[:1000],
        source=f"wordpress:{site}"[:200],
        source_id=post_id,
        url=link if link.startswith("http") and "?p=" not in link else "",
        published_at=published,
        status="draft" if withheld else WP_STATUS.get(wp_status, "draft"),
        withheld=withheld,
        section=section,
        section_slug=section_slug,
        tags=tags,
        tag_slugs=tag_slugs,
        authors=[authors.get(creator, creator)] if creator else [],
        slug=_child(item, "post_name"),
        comments=_comments(item),
    )


def _postmeta(item) -> dict[str, str]:
    meta = {}
    for m in item:
        if _local(m.tag) == "postmeta":
            meta[_child(m, "meta_key")] = _child(m, "meta_value")
    return meta


def _attachment(item, ctx: ReadContext) -> None:
    """Remember an attachment (a featured image or a post's picture)."""
    url = _child(item, "attachment_url") or _child(item, "guid")
    if url:
        ctx.attachments[_child(item, "post_id")] = {
            "url": url,
            "alt": _postmeta(item).get("_wp_attachment_image_alt", ""),
            "caption": " ".join(_child(item, "encoded", "excerpt").split()),
            "title": " ".join(html.unescape(_child(item, "title")).split()),
            "parent": _child(item, "post_parent"),
        }


def _comments(item) -> list[Comment]:
    out = []
    for c in item:
        if _local(c.tag) != "comment":
            continue
        kind = _child(c, "comment_type")
        if kind not in ("", "comment"):
            continue  # pingbacks and trackbacks are not reader comments
        state = COMMENT_STATUS.get(_child(c, "comment_approved"))
        if state is None:
            continue
        parent = _child(c, "comment_parent")
        try:
            created = parse_date(_child(c, "comment_date_gmt"))
        except RecordProblem:
            created = None
        out.append(
            Comment(
                source_id=_child(c, "comment_id"),
                name=_child(c, "comment_author") or "Anonymous",
                email=_child(c, "comment_author_email"),
                body=_child(c, "comment_content"),
                created_at=created,
                status=state,
                parent_source_id="" if parent in ("", "0") else parent,
            )
        )
    return out
