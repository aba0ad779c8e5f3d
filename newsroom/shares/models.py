"""Share counters, the visits that dedupe them, and bucketed read counts.

None of these rows holds an IP address or a user agent: a visit is a keyed
hash (see ``newsroom.net.visitor_key``) that cannot be turned back into either.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from newsroom.articles.models import Article


class Network(models.TextChoices):
    FACEBOOK = "facebook", "Facebook"
    X = "x", "X"
    LINKEDIN = "linkedin", "LinkedIn"
    WHATSAPP = "whatsapp", "WhatsApp"
    TELEGRAM = "telegram", "Telegram"
    EMAIL = "email", "Email"
    COPY = "copy", "Copy link"


class ShareCount(models.Model):
    """How many distinct visitor-days shared an article on one network."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="share_counts"
    )
    network = models.CharField(max_length=10, choices=Network.choices)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "network"], name="sharecount_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.article_id} {self.network}: {self.count}"


class ShareVisit(models.Model):
    """One counted share: at most one per visitor, article, network and day.

    ``key`` is an HMAC of the anonymised network, user agent, day, article and
    network; its unique index is what makes the count idempotent under races.
    Rows older than NEWSROOM_STATS_KEEP_DAYS are pruned (they only feed the
    "most shared" lists once their day is over).
    """

    key = models.CharField(max_length=64, unique=True)
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="share_visits"
    )
    network = models.CharField(max_length=10, choices=Network.choices)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.article_id} {self.network} at {self.created_at:%Y-%m-%d %H:%M}"


class ReadCount(models.Model):
    """Article views in one hour, written in batches by ``reads.flush``."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="read_counts"
    )
    hour = models.DateTimeField(db_index=True)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "hour"], name="readcount_unique")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} at {self.hour:%Y-%m-%d %H}:00: {self.count}"
