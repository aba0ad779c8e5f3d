"""One lock per table of names (sections, tags, authors), on PostgreSQL.

Names and slugs are unique. Whoever checks that a name is free and then
makes it (an editor's form, an import's batch) takes the table's lock first:
it is a transaction-level advisory lock, held until that transaction ends, so
a second writer waits, then sees the first's row instead of failing at its
INSERT. SQLite's IMMEDIATE transactions already serialise writers.
"""

from __future__ import annotations

import zlib

from django.db import connection


def lock_names(model) -> None:
    """Take ``model``'s names lock until the current transaction ends."""
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return
    _lock(f"newsroom.names:{model._meta.db_table}")


def lock_slug(model, slug: str) -> None:
    """Take the lock of one slug of ``model`` (a story's address) until the
    current transaction ends: two stories saved with one slug at once, the
    second waits for the first and then sees its row, where both passed the
    check and the second INSERT was a 500. Per slug, so saves of other
    stories never wait."""
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return
    _lock(f"newsroom.slug:{model._meta.db_table}:{slug}")


def lock_slugs(model, slugs) -> None:
    """``lock_slug`` for many slugs in one statement (an import's batch), in
    the order of their keys, as every batch takes them."""
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return
    keys = sorted({_key(f"newsroom.slug:{model._meta.db_table}:{s}") for s in slugs})
    if not keys:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_advisory_xact_lock(k)) FROM "
            "(SELECT unnest(%s::bigint[]) AS k ORDER BY k OFFSET 0) AS keys",
            [keys],
        )


def _key(name: str) -> int:
    return zlib.crc32(name.encode())


def _lock(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_key(name)])
