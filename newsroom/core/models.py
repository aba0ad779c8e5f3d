"""Shared counters and spends, in the database so every process and node agrees.

Django's default cache is per process (locmem) unless Redis is configured: with
two granian workers a per-process limit would be twice the limit, and a token
spent in one worker could be spent again in the other. These rows are shared
by every process on every machine that uses the database.
"""

from __future__ import annotations

from django.db import models


class RateCounter(models.Model):
    """Hits one key (scope and client network) made in one fixed time window."""

    key = models.CharField(max_length=200)
    window = models.BigIntegerField()  # window start, Unix seconds
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window"], name="ratecounter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window}: {self.count}"


class SpentToken(models.Model):
    """A single-use token (a code, a stamp, a link) that has been used."""

    token = models.CharField(max_length=200, unique=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.token
