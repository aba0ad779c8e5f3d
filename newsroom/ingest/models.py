"""What the importers remember about the records they brought in.

Kept beside the article (not on it) so the articles app stays the same: the
canonical URL has no index on Article, and a fingerprint of every imported
field lets a re-run tell "unchanged" from "changed" without reading bodies.
"""

from __future__ import annotations

from django.db import models


class Provenance(models.Model):
    article = models.OneToOneField(
        "articles.Article",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="import_provenance",
    )
    # sha256 of the canonical URL ("" when the record had none).
    url_key = models.CharField(max_length=64, blank=True, db_index=True)
    # sha256 of everything the importer wrote; equal means "nothing to update".
    fingerprint = models.CharField(max_length=64)
    imported_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"provenance of article {self.article_id}"


class ImportedComment(models.Model):
    """Which comment a comment of an export became (so a re-run adds none)."""

    source = models.CharField(max_length=200)
    source_id = models.CharField(max_length=200)
    # No foreign key: the comments app is optional for the importer.
    comment_id = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_id"], name="imported_comment_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source}#{self.source_id} -> comment {self.comment_id}"


class SourceClaim(models.Model):
    """The import (a path or URL) that first used a source name."""

    name = models.CharField(max_length=200, unique=True)
    origin = models.CharField(max_length=500)
    claimed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} (from {self.origin})"
