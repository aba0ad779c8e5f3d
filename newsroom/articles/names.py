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


def _lock(name: str) -> None:
    key = zlib.crc32(name.encode())
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
