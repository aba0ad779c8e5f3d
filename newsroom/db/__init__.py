"""Database helpers shared by every app: bulk SQL and SQLite tuning (no models)."""
