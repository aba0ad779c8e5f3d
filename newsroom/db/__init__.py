"""Database helpers shared by every app (no models): bulk SQL, queries built
once and run with new values (``prepared``), SQLite tuning, and a deletion
that takes what was added meanwhile with it (``deletes``)."""
