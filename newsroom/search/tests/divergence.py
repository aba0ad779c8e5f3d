"""Comparing a node's index with the database, for the replica tests."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from tantivy import Query

from newsroom.articles.models import Article, Section


def indexed(backend) -> dict[int, tuple[str, int]]:
    """Every document of the live index: id -> (headline, timestamp)."""
    searcher = backend.searcher()
    res = searcher.search(Query.all_query(), searcher.num_docs, count=False)
    out = {}
    for _, address in res.hits:
        doc = searcher.doc(address)
        if doc.get_first("id"):
            out[doc.get_first("id")] = (doc.get_first("headline"), doc.get_first("ts"))
    return out


def diverged(backend) -> dict[int, tuple]:
    """Where the index and the public articles disagree: id -> (index, db)."""
    db = {
        pk: (headline, int(when.timestamp()))
        for pk, headline, when in Article.objects.published().values_list(
            "pk", "headline", "published_at"
        )
    }
    index = indexed(backend)
    return {
        pk: (index.get(pk), db.get(pk))
        for pk in db.keys() | index.keys()
        if index.get(pk) != db.get(pk)
    }


def many_articles(n: int, section: Section) -> list[int]:
    now = timezone.now()
    Article.objects.bulk_create(
        Article(
            headline=f"Filed under the old name {i}",
            slug=f"old-name-{i}",
            body="text",
            body_html="<p>text</p>",
            section=section,
            status=Article.Status.PUBLISHED,
            published_at=now - timedelta(hours=1, seconds=i),
        )
        for i in range(n)
    )
    return list(Article.objects.filter(section=section).values_list("pk", flat=True))
