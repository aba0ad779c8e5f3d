"""Adding to the library: the one function admin uploads, importers and the demo use."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from .checks import CleanImage, clean_upload, content_hash
from .models import Image


def find_duplicate(data: bytes) -> Image | None:
    """The library's image made from these exact bytes, if any."""
    return Image.objects.filter(content_hash=content_hash(data)).first()


def add_image(data: bytes, name: str = "", **fields) -> tuple[Image, bool]:
    """Check ``data`` and store it; the same file again returns the existing image.

    Raises ``ValidationError`` with a reader-facing message when the file is
    refused (see ``checks.clean_upload``). ``fields`` are the model's editable
    fields (alt, decorative, caption, credit, source_url, focal_x, focal_y).
    """
    existing = find_duplicate(data)
    if existing is not None:
        return existing, False
    image = prepare(clean_upload(data, name), **fields)
    try:
        with transaction.atomic():
            image.save()
    except IntegrityError:  # the same file, added at the same moment
        image.file.delete(save=False)
        return Image.objects.get(content_hash=image.content_hash), False
    return image, True


def prepare(clean: CleanImage, image: Image | None = None, **fields) -> Image:
    """An unsaved ``Image`` for a checked file, its original already stored."""
    image = image or Image(**fields)
    image.key = clean.content_hash[:16]
    image.content_hash = clean.content_hash
    image.width, image.height = clean.width, clean.height
    stored = f"{clean.content_hash[:2]}/{clean.content_hash}.{clean.extension}"
    image.file.save(stored, ContentFile(clean.data), save=False)
    return image
