"""Importers bring pictures: each written article gets its source's lead picture.

After the articles are written, every record that named a picture (a feed's
``media:content`` or image enclosure, a WordPress featured image or its first
attachment, a page's ``og:image`` or first figure) has it brought into the
media library and set as the article's lead image, unless it has one.

- A URL is fetched once per run, and never again when the library already
  holds a picture from it (``Image.source_url``); fetches are bounded (a
  deadline of ``FETCH_SECONDS`` for the whole answer) and go to public
  addresses only (newsroom/ingest/fetch.py, as for a feed's URL).
- A path is read only inside the source file's own directory.
- A failed picture never fails its article: it is counted and reported.
- A lead image is set with ``update`` (no save signal), so the content
  version is moved here (``core.versions``): kept pages and feeds start
  again on every node. The search index holds no pictures (the results page
  reads them from the database), so nothing is queued for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO
from urllib.parse import urljoin

from django.conf import settings
from django.core.exceptions import ValidationError

from newsroom.articles.models import Article
from newsroom.core import versions
from newsroom.media.library import add_image
from newsroom.media.models import Image

from .fetch import FetchError, fetch
from .importers import ReadContext
from .records import Record

# One picture's fetch, redirects and every read included.
FETCH_SECONDS = 10.0
FETCH_REDIRECTS = 3


def _read_capped(path: Path, limit: int) -> bytes | str:
    """A local picture's bytes, or why not: a file past ``limit`` is refused
    from its size, and no more than ``limit`` and a byte is ever read (a
    4 GB file took 4 GB of memory before the size check). Only a regular
    file is opened (a FIFO would wait for ever, a device never end)."""
    try:
        if not path.is_file():
            return "cannot read: not a regular file"
        size = path.stat().st_size
        if size > limit:
            return f"too large: {size} bytes (limit {limit})"
        with path.open("rb") as source:
            data = source.read(limit + 1)
    except OSError as exc:
        return f"cannot read: {exc.strerror}"
    if len(data) > limit:  # it grew since
        return f"too large: more than {limit} bytes (limit {limit})"
    return data


@dataclass
class _Job:
    source: str
    source_id: str
    url: str  # the article's canonical URL, its identity when source_id is ""
    ref: str
    alt: str
    caption: str
    base: Path
    ctx: ReadContext
    page_url: str


@dataclass
class Pictures:
    jobs: list[_Job] = field(default_factory=list)
    added: int = 0
    failed: int = 0
    _seen: dict[str, Image | str] = field(default_factory=dict)

    def note(self, record: Record, ctx: ReadContext, source_file: Path) -> None:
        if record.picture:
            self.jobs.append(
                _Job(
                    record.source,
                    record.source_id,
                    record.url,
                    record.picture,
                    record.picture_alt,
                    record.picture_caption,
                    source_file.parent,
                    ctx,
                    record.url or ctx.url,
                )
            )

    def attach(self, err: TextIO) -> None:
        added = self.added
        try:
            self._attach(err)
        finally:
            if self.added > added:
                versions.bump()

    def _attach(self, err: TextIO) -> None:
        for job in self.jobs:
            if job.source_id:
                found = Article.objects.filter(
                    source=job.source, source_id=job.source_id
                )
            elif job.url:
                # The record's own source: another source's story with that
                # URL is not this record's (the writer left it alone too).
                found = Article.objects.filter(source=job.source, canonical_url=job.url)
            else:
                continue
            article = found.only("id", "lead_image_id").first()
            if article is None or article.lead_image_id:
                continue
            ref, alt, caption = self._resolve(job)
            if not ref:
                continue
            image = self._image(ref, job, alt, caption)
            if isinstance(image, str):
                self.failed += 1
                err.write(f"picture {ref[:200]}: {image}\n")
                continue
            Article.objects.filter(pk=article.pk).update(lead_image=image)
            self.added += 1

    @staticmethod
    def _resolve(job: _Job) -> tuple[str, str, str]:
        """The picture's address, alt text and caption."""
        kind, _, key = job.ref.partition(":")
        if kind == "wp-attachment":
            found = job.ctx.attachments.get(key)
        elif kind == "wp-parent":
            found = next(
                (a for a in job.ctx.attachments.values() if a["parent"] == key), None
            )
        else:
            return job.ref, job.alt, job.caption
        if not found:
            return "", "", ""
        return found["url"], found["alt"] or found["title"], found["caption"]

    def _image(self, ref: str, job: _Job, alt: str, caption: str) -> Image | str:
        if job.page_url and not ref.startswith(("http://", "https://", "/")):
            local = (job.base / ref).resolve()
            if not local.is_file():
                try:
                    ref = urljoin(job.page_url, ref)
                except ValueError as exc:  # "HTTP://[::1/x.jpg"
                    return f"cannot read the address {ref[:200]!r}: {exc}"
        if ref in self._seen:
            return self._seen[ref]
        result = self._bring(ref, job, alt, caption)
        self._seen[ref] = result
        return result

    @staticmethod
    def _bring(ref: str, job: _Job, alt: str, caption: str) -> Image | str:
        fields = {"alt": alt[:300], "caption": caption, "decorative": False}
        if ref.startswith(("http://", "https://")):
            existing = Image.objects.filter(source_url=ref[:500]).first()
            if existing is not None:
                return existing
            try:
                data = fetch(
                    ref,
                    max_bytes=settings.NEWSROOM_MEDIA_MAX_BYTES,
                    seconds=FETCH_SECONDS,
                    max_redirects=FETCH_REDIRECTS,
                    accept="image/*",
                ).body
            except FetchError as exc:
                return str(exc)
            fields["source_url"] = ref[:500]
        else:
            path = (job.base / ref).resolve()
            if not path.is_relative_to(job.base.resolve()):
                return "refused: a path outside the source's directory"
            read = _read_capped(path, settings.NEWSROOM_MEDIA_MAX_BYTES)
            if isinstance(read, str):
                return read
            data = read
        try:
            # No name: a CMS often serves a JPEG at a .png address; the
            # content itself is still checked in full.
            image, _ = add_image(data, "", **fields)
        except ValidationError as exc:
            return " ".join(exc.messages)
        return image
