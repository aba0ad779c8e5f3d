"""Sections, tags and authors by slug: found when they exist, made when not.

Ids are cached for the whole run (an import touches a handful of names
millions of times); the writer forgets the cache when a batch rolls back.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from django.utils.text import slugify

from newsroom.articles.models import Author, Section, Tag
from newsroom.articles.names import lock_names

from .records import Record


@lru_cache(maxsize=65536)  # the same few names come back on every record
def make_slug(name: str, max_length: int) -> str:
    slug = slugify(name)[:max_length].strip("-")
    if slug:
        return slug
    # Names with no Latin letters (e.g. Korean) still need an ASCII URL part.
    return "t-" + hashlib.sha1(name.encode()).hexdigest()[:10]  # noqa: S324


def display_name(name: str) -> str:
    name = " ".join(name.split())
    return name[:1].upper() + name[1:] if name.islower() else name


class Names:
    def __init__(self, default_section: str) -> None:
        self.default_section = default_section
        self.forget()

    def forget(self) -> None:
        self.sections: dict[str, int] = {}
        self.tags: dict[str, int] = {}
        self.authors: dict[str, int] = {}

    def _section_name(self, record: Record) -> str:
        return (record.section or self.default_section).strip()

    def section_slug(self, record: Record) -> str:
        return record.section_slug or make_slug(self._section_name(record), 80)

    def tag_slug(self, record: Record, name: str) -> str:
        return record.tag_slugs.get(name) or make_slug(name, 100)

    def ensure(self, records: list[Record]) -> None:
        """Make sure every section, tag and author the records name exists."""
        sections, tags, authors = {}, {}, {}
        for r in records:
            slug = self.section_slug(r)
            if slug not in self.sections:
                sections[slug] = display_name(self._section_name(r))[:80]
            for name in r.tags:
                slug = self.tag_slug(r, name)
                if slug not in self.tags:
                    tags[slug] = " ".join(name.split())[:100]
            for name in r.authors:
                slug = make_slug(name, 120)
                if slug not in self.authors:
                    authors[slug] = name[:120]
        if sections:
            self._ensure(Section, sections, self.sections, unique_name=True)
        if tags:
            self._ensure(Tag, tags, self.tags, unique_name=True)
        if authors:
            self._ensure(Author, authors, self.authors, unique_name=False)

    def _ensure(
        self, model, wanted: dict[str, str], cache: dict[str, int], *, unique_name: bool
    ) -> None:
        found = dict(
            model.objects.filter(slug__in=list(wanted)).values_list("slug", "id")
        )
        missing = {s: n for s, n in wanted.items() if s not in found}
        if missing:
            # A slug the desk changed since (kept while public): the same one.
            found.update(model.objects.renamed_from(list(missing)))
            missing = {s: n for s, n in missing.items() if s not in found}
        if missing and unique_name:
            # Same name under another slug (an editor renamed the slug): reuse it.
            by_name = dict(
                model.objects.filter(name__in=list(missing.values())).values_list(
                    "name", "id"
                )
            )
            for slug, name in list(missing.items()):
                if name in by_name:
                    found[slug] = by_name[name]
                    del missing[slug]
        if missing:
            # An editor adding one of these names holds this lock from the
            # form's check to its commit: wait for it, then take its row.
            lock_names(model)
            names_used: set[str] = set()
            rows = []
            for slug, name in missing.items():
                if unique_name and name in names_used:
                    name = f"{name} ({slug})"[: len(name) + len(slug) + 3]
                names_used.add(name)
                rows.append(model(slug=slug, name=name))
            # Another import may make the same names at the same moment: its
            # rows are the ones wanted (PostgreSQL waits for it to commit,
            # then inserts nothing), and both imports go on with them.
            model.objects.bulk_create(rows, ignore_conflicts=True)
            found.update(
                model.objects.filter(slug__in=list(missing)).values_list("slug", "id")
            )
            if unique_name:  # taken under another slug meanwhile: reuse it
                names = {row.slug: row.name for row in rows if row.slug not in found}
                by_name = dict(
                    model.objects.filter(name__in=list(names.values())).values_list(
                        "name", "id"
                    )
                )
                found.update(
                    (slug, by_name[name])
                    for slug, name in names.items()
                    if name in by_name
                )
        cache.update(found)

    def section_id(self, record: Record) -> int:
        return self.sections[self.section_slug(record)]

    def tag_ids(self, record: Record) -> list[int]:
        ids = []
        for name in record.tags:
            pk = self.tags[self.tag_slug(record, name)]
            if pk not in ids:
                ids.append(pk)
        return ids

    def author_ids(self, record: Record) -> list[int]:
        ids = []
        for name in record.authors:
            pk = self.authors[make_slug(name, 120)]
            if pk not in ids:
                ids.append(pk)
        return ids
