"""Comparing a node's index with the database, for the replica tests."""

from __future__ import annotations

import threading
from datetime import timedelta

from django.db import connections, transaction
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


class HeldOpen:
    """A transaction, on its own thread and connection, that saves
    ``article`` (its outbox row is a hole for the indexer while it stays
    open), then publishes the article and commits on ``commit()``, or when
    the block ends (PostgreSQL: SQLite hands out ids in commit order)."""

    def __init__(self, article: Article) -> None:
        self.article = article
        self.opened, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        try:
            with transaction.atomic():
                Article.objects.get(pk=self.article.pk).save()  # the hole
                self.opened.set()
                self.release.wait(timeout=60)
                Article.objects.filter(pk=self.article.pk).update(
                    status=Article.Status.PUBLISHED, published_at=timezone.now()
                )
        finally:
            connections.close_all()

    def __enter__(self) -> HeldOpen:
        self.thread.start()
        assert self.opened.wait(timeout=30), "the transaction did not open"
        return self

    def commit(self) -> None:
        self.release.set()
        self.thread.join(timeout=30)

    def __exit__(self, *exc) -> None:
        self.commit()
