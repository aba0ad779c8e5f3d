"""Make every rendition of the library's pictures ahead of readers."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from newsroom.media.models import Image
from newsroom.media.renditions import DamagedOriginal, ensure_all, sweep_partial


class Command(BaseCommand):
    help = (
        "Make the missing renditions of every library image (or of --key ones); "
        "readers' first requests would make them otherwise. Also removes the "
        "half-written files killed processes left in var/media/partial/."
    )

    def add_arguments(self, parser):
        parser.add_argument("--key", action="append", default=[], help="image key")

    def handle(self, *args, key: list[str], **options):
        images = Image.objects.order_by("pk")
        if key:
            images = images.filter(key__in=key)
        swept = sweep_partial()
        if swept:
            self.stdout.write(f"{swept} half-written file(s) removed")
        started, made, count, failed = time.monotonic(), 0, 0, 0
        for image in images.iterator():
            try:
                made += ensure_all(image)
            except Image.DoesNotExist:  # deleted meanwhile: nothing to make
                continue
            except (OSError, DamagedOriginal) as exc:
                # A missing or damaged original: named and skipped, the rest
                # still made.
                failed += 1
                self.stderr.write(f"image {image.key} ({image.file.name}): {exc}")
            count += 1
        took = time.monotonic() - started
        self.stdout.write(
            f"{made} renditions made for {count} images in {took:.1f} s"
            + (f" ({made / took:.1f}/s)" if made and took else "")
        )
        if failed:
            raise CommandError(f"{failed} image(s) could not be rendered (above)")
