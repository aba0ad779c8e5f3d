"""The picture library: one ``Image`` per distinct file, with what readers need."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from newsroom.core.text import clean_text


def _unit() -> list:
    return [MinValueValidator(0.0), MaxValueValidator(1.0)]


class Image(models.Model):
    """A checked picture (see ``checks.clean_upload``); renditions come from it.

    ``key`` names its renditions (``/media/r/<key>/...``): it is taken from
    the content hash, so a changed file is a new image with new names and a
    rendition can be cached forever.
    """

    file = models.FileField(upload_to="originals/", max_length=200, editable=False)
    key = models.CharField(max_length=16, unique=True, editable=False)
    content_hash = models.CharField(
        max_length=64, unique=True, editable=False, help_text="sha256 of the upload"
    )
    width = models.PositiveIntegerField(editable=False)
    height = models.PositiveIntegerField(editable=False)
    alt = models.CharField(
        "alt text",
        max_length=300,
        blank=True,
        help_text="What the picture shows, for readers who cannot see it.",
    )
    decorative = models.BooleanField(
        default=False,
        help_text="Adds nothing to the text: screen readers skip it (no alt text).",
    )
    caption = models.TextField(blank=True)
    credit = models.CharField(
        "credit / copyright",
        max_length=300,
        blank=True,
        help_text='Shown under the picture, e.g. "Photo: Ana Lima / CC BY 4.0".',
    )
    source_url = models.URLField(blank=True, max_length=500)
    focal_x = models.FloatField(default=0.5, validators=_unit())
    focal_y = models.FloatField(default=0.5, validators=_unit())
    uploaded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.caption[:60] or self.alt[:60] or f"Image {self.key}"

    def save(self, *args, **kwargs) -> None:
        # As the article fields are (core.text): typed in the admin, handed in
        # by an importer or by code, the words readers see hold no control
        # characters (XML feeds admit none) and the one-line ones no bidi
        # override. A caption keeps its lines.
        self.alt = clean_text(self.alt, multiline=False)
        self.credit = clean_text(self.credit, multiline=False)
        self.caption = clean_text(self.caption)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if not self.decorative and not self.alt.strip():
            raise ValidationError(
                {"alt": "Describe the picture, or mark it decorative."}
            )

    @property
    def focal_code(self) -> str:
        """The focal point in a crop's name: percentages, ``f50x33``."""
        return f"f{round(self.focal_x * 100)}x{round(self.focal_y * 100)}"
