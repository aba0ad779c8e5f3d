"""Rate-limit counters, kept in the database so every server process shares them.

Django's default cache is per process (locmem): with four gunicorn workers a
client would get four times its limit. A row per client network, scope and
time window is shared by all processes on all machines using this database.
"""

from __future__ import annotations

from django.db import models


class RateBucket(models.Model):
    """Requests one client network made in one fixed window of one scope."""

    key = models.CharField(max_length=120)  # "<scope>:<anonymised network>"
    window = models.BigIntegerField()  # window start, Unix seconds
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window"], name="ratebucket_unique")
        ]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window}: {self.count}"
