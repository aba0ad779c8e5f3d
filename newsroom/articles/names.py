"""One lock per table of names (sections, tags, authors, stories' slugs),
on PostgreSQL.

Names and slugs are unique. Whoever checks that a name is free and then
makes it (an editor's form, an import's batch, a story saved with no slug)
takes the table's lock first: it is a transaction-level advisory lock, held
until that transaction ends, so a second writer waits, then sees the
first's row instead of failing at its INSERT. SQLite's IMMEDIATE
transactions already serialise writers.

One lock a table, however many rows a transaction writes: PostgreSQL's lock
table is one for the whole server (``max_locks_per_transaction`` x
``max_connections`` entries). A lock per story's slug made an import's batch
of 1,000 hold 1,000, and a big enough transaction answered "out of shared
memory" to every connection.
"""

from __future__ import annotations

import zlib

from django.db import connection


def lock_names(model) -> None:
    """Take ``model``'s names lock until the current transaction ends."""
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return
    _lock(f"newsroom.names:{model._meta.db_table}")


def _lock(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(name.encode())])
