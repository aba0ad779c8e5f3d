"""The importers' optional settings (see newsroom/core/conf.py)."""

from newsroom.core.conf import AppSettings, Option, at_least

conf = AppSettings(
    "ingest",
    NEWSROOM_IMPORT_BATCH_SIZE=Option(1000, int, at_least(1)),
    NEWSROOM_IMPORT_WORKERS=Option(1, int, at_least(1)),
    NEWSROOM_IMPORT_DEFAULT_SECTION=Option("News", str),
    NEWSROOM_IMPORT_SQLITE_CACHE_MB=Option(256, int, at_least(0)),
    # Seconds between progress lines on a long import.
    NEWSROOM_IMPORT_PROGRESS_SECONDS=Option(5.0, (int, float), at_least(0)),
    # Bounds on what one import may read: the whole source, one record, one
    # document (after decompression).
    NEWSROOM_IMPORT_MAX_BYTES=Option(16 << 30, int, at_least(1)),
    NEWSROOM_IMPORT_MAX_RECORD_BYTES=Option(16 << 20, int, at_least(1)),
    NEWSROOM_IMPORT_MAX_DOCUMENT_BYTES=Option(64 << 20, int, at_least(1)),
    # Fetching URLs: an overall deadline, redirects followed, and private
    # networks an operator allows on purpose (public addresses only otherwise).
    NEWSROOM_IMPORT_FETCH_SECONDS=Option(60, (int, float), at_least(1)),
    NEWSROOM_IMPORT_FETCH_REDIRECTS=Option(5, int, at_least(0)),
    NEWSROOM_FETCH_ALLOWED_NETWORKS=Option([], (list, tuple)),
)
