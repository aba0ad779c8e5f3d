"""Plain executemany inserts for the bulk paths (importers and the generator).

The ORM's bulk_create prepares every value of every row through the field
machinery; for a million articles that costs more than the database's own
work. These helpers prepare values by type and insert with executemany; the
ids come first (executemany cannot return generated keys).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from django.conf import settings
from django.db import DatabaseError, connection

CHECKPOINT_SECONDS = 0.5  # between the background WAL checkpoints
WAL_RESTART_FRAMES = 32_768  # pages (128 MB): then the WAL file starts over


class sqlite_bulk_writes:
    """SQLite only: a bigger page cache for this connection, and the
    WAL checkpoints (the only fsyncs of WAL with synchronous=NORMAL) moved to
    a thread with its own connection, so a batch's commit never waits for
    the disk. A PASSIVE checkpoint copies what it can without blocking the
    writer or the readers; durability is what synchronous=NORMAL gives.

    Measured (30,000 new articles into a 1,000,000-article database): with
    SQLite's 2 MB cache and a checkpoint every 1,000 pages, a commit of
    1,000 articles took 191 ms, more than all the Python work of the batch;
    random-order index inserts (slugs, content hashes) dirty a page each.
    """

    def __init__(self, cache_mb: int = 256) -> None:
        self.cache_mb = cache_mb
        self.thread: threading.Thread | None = None
        self.stop = threading.Event()

    def __enter__(self) -> sqlite_bulk_writes:
        conn = connection
        if conn.vendor != "sqlite" or conn.in_atomic_block:
            # Inside a caller's transaction nothing commits before it ends.
            return self
        with conn.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = -{int(self.cache_mb) * 1024}")
            cursor.execute("PRAGMA journal_mode")
            if cursor.fetchone()[0].lower() != "wal":
                return self  # e.g. an in-memory test database
            cursor.execute("PRAGMA wal_autocheckpoint = 0")
        path = conn.settings_dict["NAME"]
        self.thread = threading.Thread(
            target=self._run, args=(str(path),), name="sqlite-checkpoint", daemon=True
        )
        self.thread.start()
        return self

    def _run(self, path: str) -> None:
        import sqlite3

        # A short busy timeout: a RESTART checkpoint holds new writers back
        # while it waits for readers, and the import's own writes wait at
        # most 20 s; giving up after 2 s (the next round tries again) keeps
        # a slow reader from ever making a batch fail.
        db = sqlite3.connect(path, timeout=2, check_same_thread=False)
        try:
            while not self.stop.wait(CHECKPOINT_SECONDS):
                try:
                    _, frames, _ = db.execute(
                        "PRAGMA wal_checkpoint(PASSIVE)"
                    ).fetchone()
                    if frames > WAL_RESTART_FRAMES:
                        # With the writer always appending, a PASSIVE
                        # checkpoint never catches up and the WAL would grow
                        # without end: wait for a gap between batches, copy
                        # the rest and start the WAL file over.
                        db.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
                except sqlite3.Error:  # busy or locked: the next round tries
                    continue
        finally:
            db.close()

    def __exit__(self, *exc) -> None:
        if self.thread is None:
            return
        self.stop.set()
        self.thread.join()
        try:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_autocheckpoint = 1000")  # the default
                # Copy the rest and shrink the WAL file back to nothing (it
                # grew to about WAL_RESTART_FRAMES pages); waits for readers.
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                # Planner statistics for what was written. With none (SQLite
                # never gathers them itself) the search page's check of its
                # ten hit ids read every public article through the
                # (status, published_at) index at 1,000,000 articles: 190 ms
                # a page instead of ten primary-key lookups. Sampled
                # (analysis_limit), ANALYZE takes ~0.2 s at that size.
                cursor.execute("PRAGMA analysis_limit = 1000")
                cursor.execute("ANALYZE")
        except DatabaseError:
            if exc[0] is None:  # leaving normally: say so; else keep the real error
                raise


def allocate_ids(model, n: int) -> list[int]:
    """Reserve ``n`` primary keys of ``model``; call inside the transaction.

    SQLite: the transaction holds the write lock from BEGIN (IMMEDIATE mode),
    so taking max(id, AUTOINCREMENT's high-water mark) + 1 is safe and never
    reuses a deleted id. PostgreSQL: the sequence hands them out.
    """
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                "FROM generate_series(1, %s)",
                [table, n],
            )
            return [row[0] for row in cursor.fetchall()]
        quoted = connection.ops.quote_name(table)
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {quoted}")  # noqa: S608
        top = cursor.fetchone()[0]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        top = max(top, row[0] if row else 0)
    return list(range(top + 1, top + 1 + n))


def insert_sql(model, columns: list[str]) -> str:
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    return f"INSERT INTO {qn(model._meta.db_table)} ({cols}) VALUES ({marks})"  # noqa: S608


def insert_rows(model, columns: list[str], rows: list) -> None:
    """INSERT the rows: executemany on SQLite, COPY on PostgreSQL.

    On PostgreSQL, executemany sends one INSERT per row (pipelined) and the
    server parses and plans each: 30,000 articles took 14.9 s, two thirds of
    it waiting on the server. COPY streams them as one statement.
    """
    if not rows:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            qn = connection.ops.quote_name
            cols = ", ".join(qn(c) for c in columns)
            copy_sql = f"COPY {qn(model._meta.db_table)} ({cols}) FROM STDIN"
            # Django's errors, as every other statement raises: an importer
            # took a duplicate key here for a crash, not a record to retry.
            with connection.wrap_database_errors, cursor.cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
            return
        cursor.executemany(insert_sql(model, columns), rows)


def datetime_adapter():
    """A function preparing an aware datetime for this connection, as
    ``connection.ops.adapt_datetimefield_value`` does, for the common case
    (SQLite storing UTC) without its per-call checks (about 9 us a value)."""
    generic = connection.ops.adapt_datetimefield_value
    if (
        connection.vendor != "sqlite"
        or not settings.USE_TZ
        or str(connection.timezone) != "UTC"
    ):
        return generic

    def adapt(value):
        if value is None or value.tzinfo is None:
            return generic(value)
        return str(value.astimezone(UTC).replace(tzinfo=None))

    return adapt


def field_defaults(model) -> dict[str, object]:
    """Each concrete field's default, by attname (callables are called once)."""
    return {f.attname: f.get_default() for f in model._meta.concrete_fields}


def _prepared(fields, item: dict, adapt_dt) -> list:
    row = []
    for f in fields:
        value = item[f.attname]
        if isinstance(value, datetime):
            value = adapt_dt(value)
        elif not isinstance(value, (str, int, float, bool, type(None))):
            value = f.get_db_prep_save(value, connection)
        row.append(value)
    return row


def insert_dicts(model, values: list[dict]) -> None:
    """Insert rows given as {attname: value} (every concrete field present),
    without building model instances: plain values go as they are, datetimes
    through ``datetime_adapter``, anything else through its field."""
    if not values:
        return
    fields = model._meta.concrete_fields
    adapt_dt = datetime_adapter()
    rows = [_prepared(fields, item, adapt_dt) for item in values]
    insert_rows(model, [f.column for f in fields], rows)


def update_dicts(model, attnames: list[str], values: list[dict]) -> None:
    """``UPDATE ... SET <attnames> WHERE pk`` for each {attname: value} (with
    the pk under "id"), in one executemany; values prepared as in
    ``insert_dicts``."""
    if not values:
        return
    by_name = {f.attname: f for f in model._meta.concrete_fields}
    fields = [by_name[name] for name in attnames]
    qn = connection.ops.quote_name
    sets = ", ".join(f"{qn(f.column)} = %s" for f in fields)
    sql = (
        f"UPDATE {qn(model._meta.db_table)} SET {sets} "  # noqa: S608
        f"WHERE {qn(model._meta.pk.column)} = %s"
    )
    adapt_dt = datetime_adapter()
    rows = [[*_prepared(fields, item, adapt_dt), item["id"]] for item in values]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
