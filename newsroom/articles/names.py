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


def lock_slugs(model) -> None:
    """Take the lock of ``model``'s addresses (stories' slugs) until the
    current transaction ends. Whoever checks that a slug is free and then
    takes it (the editor's form, a save with no slug, an import's batch)
    takes it first: two stories saved with one slug at once, the second
    waits for the first and then sees its row, where both passed the check
    and the second INSERT was a 500.

    One lock a transaction, however many stories it writes: PostgreSQL's
    lock table is one for the whole server (``max_locks_per_transaction``
    x ``max_connections`` entries), and a lock per slug made an import's
    batch of 1,000 hold 1,000, so a big enough transaction answered "out
    of shared memory" to every connection. Only saves that choose or change
    an address wait for each other, for as long as one such transaction."""
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return
    _lock(f"newsroom.slug:{model._meta.db_table}")


def _key(name: str) -> int:
    return zlib.crc32(name.encode())


def _lock(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_key(name)])
