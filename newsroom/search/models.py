"""The search outbox, editor-managed alias groups, and the query log.

Outbox rows are written in the same transaction as the change they describe,
so the index can never miss a committed change: the indexer applies rows in
id order and records the last id it applied inside the index itself.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.utils import timezone

from newsroom.db.bulk import datetime_adapter, insert_rows

from . import wake


class IndexChange(models.Model):
    class Op(models.TextChoices):
        UPSERT = "upsert", "Index or re-index"
        DELETE = "delete", "Remove"

    id = models.BigAutoField(primary_key=True)
    # Not a foreign key: a delete must outlive the article it removes.
    article_id = models.BigIntegerField(db_index=True)
    op = models.CharField(max_length=6, choices=Op.choices, default=Op.UPSERT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"#{self.id} {self.op} article {self.article_id}"


def enqueue(article_ids: Iterable[int], op: str = IndexChange.Op.UPSERT) -> int:
    """Record that these articles changed; call inside the writing transaction.

    Bulk writers that bypass model signals (importers, the generator) send
    ``articles.signals.articles_written``, whose receiver calls this; code
    inside search may call it directly. Returns the number of rows written.
    """
    # Plain rows, not model instances: a million-article import writes a
    # million of these, and bulk_create's per-field preparation cost more
    # than the INSERTs.
    now = datetime_adapter()(timezone.now())
    rows = [(int(pk), str(op), now) for pk in article_ids]
    insert_rows(IndexChange, ["article_id", "op", "created_at"], rows)
    if rows:
        wake.notify()  # the indexers apply it as soon as this commits
    return len(rows)


class SearchNode(models.Model):
    """One machine's search index, as its indexer last reported it.

    ``prune_search_outbox`` keeps every outbox row a live node (heartbeat
    within ``NEWSROOM_SEARCH_NODE_TIMEOUT``) has not applied yet; a node
    silent for longer is dropped from that rule and rebuilds when it returns.
    """

    class State(models.TextChoices):
        FOLLOWING = "following", "Following the outbox"
        REBUILDING = "rebuilding", "Rebuilding from the database"
        STOPPED = "stopped", "Stopped"

    name = models.CharField(max_length=200, unique=True)
    # The reporting index directory's own id (its ``node-id`` file): a name
    # another directory reports under is refused while that one runs. A
    # default in the database too: an indexer of the release before, still
    # running during a rolling upgrade, inserts rows without it.
    instance = models.CharField(max_length=40, blank=True, default="", db_default="")
    generation = models.CharField(max_length=200, blank=True)
    applied = models.BigIntegerField(default=0)  # the index's outbox watermark
    state = models.CharField(max_length=12, choices=State.choices)
    started_at = models.DateTimeField()
    heartbeat = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} at #{self.applied} ({self.state})"


class OutboxPrune(models.Model):
    """Outbox rows up to ``pruned_through`` are gone (one row, id 1).

    An index whose watermark is below it can no longer replay what it
    missed and must rebuild from the database. ``epoch`` changes when the
    database is restored from a backup: every index built before must
    rebuild too (its outbox positions mean nothing any more).
    """

    pruned_through = models.BigIntegerField(default=0)
    pruned_at = models.DateTimeField()
    epoch = models.CharField(max_length=40, blank=True, default="")

    def __str__(self) -> str:
        return f"outbox pruned through #{self.pruned_through}"


class AliasGroup(models.Model):
    """Names for one thing: a search for any of them finds all of them."""

    terms = models.TextField(
        help_text="The names, separated by | or one per line, e.g. "
        "ISIS | ISIL | IS | Daesh. Multi-word names match as phrases."
    )
    note = models.CharField(max_length=200, blank=True)
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["terms"]
        verbose_name = "alias group"

    def __str__(self) -> str:
        return " | ".join(self.term_list())

    def term_list(self) -> list[str]:
        parts = self.terms.replace("\n", "|").split("|")
        return list(dict.fromkeys(p.strip() for p in parts if p.strip()))


class SearchQuery(models.Model):
    """What readers searched on one day: the normalised words, how many
    searches, how many found nothing, and the most results one found.

    No IP address, user, session or user agent is stored; one network
    counts at most ``NEWSROOM_SEARCH_ANALYTICS_PER_NETWORK`` times a query a
    day, so a script cannot push its string to the top (analytics.py).
    """

    query = models.CharField(max_length=200)
    day = models.DateField(db_index=True)
    searches = models.PositiveIntegerField(default=0)
    zero_hits = models.PositiveIntegerField(default=0)
    results = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day", "-searches"]
        verbose_name = "search query"
        verbose_name_plural = "search queries"
        constraints = [
            models.UniqueConstraint(fields=["query", "day"], name="search_query_day")
        ]

    def __str__(self) -> str:
        return f"{self.query!r} on {self.day} ({self.searches})"
