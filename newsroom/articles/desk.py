"""The desk: who moved a story where, what the front page leads with, who has a
story open, and preview links that work without an account.

Kept in the articles app (its migrations, its admin) because each of these is
about an article; the reader pages ask :func:`curated_ids` and never the models.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from newsroom.core.links import absolute_url

# A reader who opens a story in the admin "has it open" this long after the
# page was last loaded or pinged.
EDITING_WINDOW = timedelta(minutes=2)
PREVIEW_SALT = "newsroom.articles.preview"
PREVIEW_DAYS = 7


class Transition(models.Model):
    """One move of a story between states, with who, when and why."""

    article = models.ForeignKey(
        "articles.Article", on_delete=models.CASCADE, related_name="transitions"
    )
    from_status = models.CharField(max_length=10)
    to_status = models.CharField(max_length=10)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    note = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"

    @property
    def label(self) -> str:
        labels = {
            ("draft", "review"): "submitted for review",
            ("review", "draft"): "sent back",
        }
        if self.to_status in ("published", "scheduled") and self.from_status not in (
            "published",
            "scheduled",
        ):
            return "published" if self.to_status == "published" else "scheduled"
        if self.to_status == "draft" and self.from_status in ("published", "scheduled"):
            return "unpublished"
        return labels.get((self.from_status, self.to_status), self.to_status)


class PinQuerySet(models.QuerySet):
    def active(self, now=None) -> PinQuerySet:
        now = now or timezone.now()
        return self.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))


class Pin(models.Model):
    """A story an editor placed on the front page or a section front.

    Position 0 is the lead; higher positions follow in order. A pin with an
    expiry stops applying at that time by itself (no job needed).
    """

    article = models.ForeignKey(
        "articles.Article", on_delete=models.CASCADE, related_name="pins"
    )
    section = models.ForeignKey(
        "articles.Section",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text="Empty: the home page. A section: that section's front.",
    )
    position = models.PositiveSmallIntegerField(
        default=0, help_text="0 leads; 1, 2, 3 … follow in order."
    )
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty: until an editor removes it."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = PinQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["section_id", "position", "-created_at"]

    def __str__(self) -> str:
        where = self.section.name if self.section_id else "Home"
        return f"{where} #{self.position}: {self.article}"


def curated_ids(section_id: int | None = None, now=None) -> list[int]:
    """Ids of public stories pinned to the home page (or a section), in order."""
    from .models import Article

    now = now or timezone.now()
    pins = (
        Pin.objects.active(now)
        .filter(section_id=section_id, article__in=Article.objects.published(now))
        .order_by("position", "-created_at")
        .values_list("article_id", flat=True)
    )
    seen: list[int] = []
    for pk in pins:
        if pk not in seen:
            seen.append(pk)
    return seen


class EditSession(models.Model):
    """Someone has a story open in the admin (a soft lock, never a hard one)."""

    article = models.ForeignKey(
        "articles.Article", on_delete=models.CASCADE, related_name="edit_sessions"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "user"], name="editsession_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.article_id}"


def others_editing(article_id: int, user, now=None) -> list[str]:
    """Names of other people who had this story open in the last minutes."""
    now = now or timezone.now()
    rows = (
        EditSession.objects.filter(
            article_id=article_id, seen_at__gt=now - EDITING_WINDOW
        )
        .exclude(user=user)
        .select_related("user")
    )
    return [r.user.get_full_name() or r.user.get_username() for r in rows]


def mark_editing(article_id: int, user) -> None:
    try:
        with transaction.atomic():
            EditSession.objects.update_or_create(
                article_id=article_id, user=user, defaults={"seen_at": timezone.now()}
            )
    except IntegrityError:
        pass  # the story was deleted meanwhile: nobody has it open


def new_preview_id() -> str:
    return secrets.token_urlsafe(12)


class PreviewLink(models.Model):
    """A signed, expiring, revocable link that shows a draft without an account."""

    key = models.CharField(max_length=32, unique=True, default=new_preview_id)
    article = models.ForeignKey(
        "articles.Article", on_delete=models.CASCADE, related_name="preview_links"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"preview of {self.article_id} until {self.expires_at:%Y-%m-%d}"

    @property
    def usable(self) -> bool:
        return not self.revoked and self.expires_at > timezone.now()


def preview_token(link: PreviewLink) -> str:
    return signing.dumps({"k": link.key, "a": link.article_id}, salt=PREVIEW_SALT)


def create_preview_link(request, article) -> str | None:
    """A new signed, expiring, revocable link; returns its absolute URL, or
    None when the story was deleted meanwhile."""
    try:
        with transaction.atomic():
            link = PreviewLink.objects.create(
                article=article,
                created_by=request.user,
                expires_at=timezone.now() + timedelta(days=PREVIEW_DAYS),
            )
    except IntegrityError:
        return None
    return absolute_url(reverse("web:shared-preview", args=[preview_token(link)]))


def open_preview_token(token: str) -> PreviewLink | None:
    """The usable link a token names, or None (tampered, expired, revoked)."""
    try:
        data = signing.loads(
            token, salt=PREVIEW_SALT, max_age=timedelta(days=PREVIEW_DAYS)
        )
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    link = (
        PreviewLink.objects.select_related("article")
        .filter(key=str(data.get("k", "")), article_id=data.get("a"))
        .first()
    )
    return link if link is not None and link.usable else None
