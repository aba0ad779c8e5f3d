"""Small helpers to make articles in tests (plain functions, no magic)."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

from django.utils import timezone
from django.utils.text import slugify

from newsroom.articles.models import Article, Author, Byline, Section, Tag

_n = count(1)


def section(name: str = "World") -> Section:
    obj, _ = Section.objects.get_or_create(slug=slugify(name), defaults={"name": name})
    return obj


def tag(name: str) -> Tag:
    obj, _ = Tag.objects.get_or_create(slug=slugify(name), defaults={"name": name})
    return obj


def author(name: str = "Amira Haddad") -> Author:
    obj, _ = Author.objects.get_or_create(slug=slugify(name), defaults={"name": name})
    return obj


def article(
    headline: str | None = None,
    *,
    body: str = "A first paragraph.\n\nA second.",
    section_name: str = "World",
    tags: tuple[str, ...] = (),
    authors: tuple[str, ...] = ("Amira Haddad",),
    status: str = "published",
    published_at=None,
    **fields,
) -> Article:
    n = next(_n)
    obj = Article.objects.create(
        headline=headline or f"Test story number {n}",
        body=body,
        section=section(section_name),
        status=status,
        published_at=published_at
        if published_at is not None
        else (timezone.now() - timedelta(minutes=n) if status != "draft" else None),
        **fields,
    )
    for position, name in enumerate(authors):
        Byline.objects.create(article=obj, author=author(name), position=position)
    if tags:
        obj.tags.set([tag(t) for t in tags])
    return obj
