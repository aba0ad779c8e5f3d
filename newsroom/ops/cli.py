"""manage.py's last word on a database error: one line, exit 1.

cron and systemd read a command's exit code and mail or log its output: a
database that is not migrated (a fresh install, a cron job pointed at the
wrong var/), half migrated (an upgrade stopped half way) or not answering
is one line saying which and what to do, not a traceback. ``--traceback``
still gives the traceback.
"""

from __future__ import annotations

from django.db import DatabaseError, connections


def database_error_line(exc: DatabaseError, command: str) -> str:
    first = next(iter(str(exc).strip().splitlines()), "") or type(exc).__name__
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    connections.close_all()  # the failed one may be mid-transaction
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError:
        return f"the database does not answer: {first}"
    finally:
        connections.close_all()
    if plan and command != "migrate":
        return (
            f"the database is not migrated: {len(plan)} migrations not applied; "
            f"run manage.py migrate ({first})"
        )
    return f"{command} failed on a database error: {first} (--traceback for more)"
