"""A deletion that takes what was added meanwhile with it.

Django's collector reads what refers to the rows it deletes, then deletes
them; on PostgreSQL a row that refers to them and commits in between (a
reader's comment holding the story's row, a reply holding its comment's)
is not seen, and the deletion's COMMIT breaks the foreign key: a 500, and
nothing deleted. The foreign keys are checked before the commit instead,
and on a break the deletion runs again, when the collector sees that row.
(SQLite's IMMEDIATE transactions serialise the writers: nothing to do.)
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import IntegrityError, connection, transaction

TRIES = 3


def delete_whole(delete: Callable[[], object]) -> None:
    """Run ``delete``, again if a row added meanwhile refers to what it took."""
    for attempt in range(TRIES):
        try:
            with transaction.atomic():
                delete()
                if connection.vendor == "postgresql":
                    connection.check_constraints()  # now, not at COMMIT
            return
        except IntegrityError:
            if connection.vendor == "postgresql" and connection.in_atomic_block:
                with connection.cursor() as cursor:  # as check_constraints ends
                    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            if attempt == TRIES - 1:
                raise
