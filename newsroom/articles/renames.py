"""Filters on a slug an editor has since changed (a section's, tag's or
author's): the same query with the slug it has now.

A list or search filtered on the old slug finds nothing, for good: a saved
search, a link in an old story, a client's saved filter. Callers ask only
when their answer came back empty, so a filter that works costs nothing.
"""

from __future__ import annotations

from django.http import QueryDict

from newsroom.core import params

from .models import Author, Section, Tag

NAMED: dict[str, type[Section | Tag | Author]] = {
    "section": Section,
    "tag": Tag,
    "author": Author,
}


def renamed_query(query: QueryDict) -> QueryDict | None:
    """``query`` with each ``section``, ``tag`` and ``author`` slug that a
    public one had before a rename replaced by its slug now, or None when
    none moved. A slug that a public one holds now is that one's: taking a
    slug over drops it from the one that had it before
    (``keep_old_name_slug``)."""
    moved = query.copy()
    for key, model in NAMED.items():
        # As the search reads it: no slug (a NUL, markup) is no old slug.
        slug = params.slug(query.get(key, ""))
        now = model.objects.moved_from(slug) if slug else None
        if now is not None:
            moved[key] = now
    return None if moved == query else moved
