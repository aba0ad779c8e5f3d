"""What converting a picture's colour profile to sRGB costs (docs/media.md,
"Colours").

    .venv/bin/python bench/colour.py [--runs 7]

A 2000x1500 sample photo (``samples.photo``) is stored as a JPEG and as a
PNG original with no profile, an sRGB profile and an Adobe RGB (1998) one
(``samples.icc_profile``), in a temporary media directory. For each, the
JPEG renditions 1920w, 640w and 1200x630 are made (``renditions.render``)
and the upload is checked (``checks.clean_upload``, which converts to sRGB).
Printed: the median of ``--runs`` of this thread's CPU, in ms.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def median_ms(fn, runs: int) -> float:
    spent = []
    for _ in range(runs):
        started = time.thread_time()
        fn()
        spent.append(time.thread_time() - started)
    return statistics.median(spent) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings.test")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.test import override_settings
    from PIL import Image as PILImage
    from PIL import ImageCms

    from newsroom.media import renditions, samples
    from newsroom.media.checks import clean_upload
    from newsroom.media.models import Image

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    profiles = (("none", None), ("sRGB", srgb), ("Adobe RGB", samples.icc_profile()))
    specs = ("1920w", "640w", "1200x630")
    print(f"2000x1500 photo, ms of this thread's CPU, median of {args.runs}")
    print("| original | profile | " + " | ".join(specs) + " | clean_upload |")
    print("|---|---|" + "---:|" * (len(specs) + 1))
    with tempfile.TemporaryDirectory() as tmp, override_settings(MEDIA_ROOT=tmp):
        base = PILImage.open(io.BytesIO(samples.photo(2000, 1500, seed=4)))
        base.load()
        for fmt, ext in (("JPEG", "jpg"), ("PNG", "png")):
            for label, icc in profiles:
                out = io.BytesIO()
                extra = {"icc_profile": icc} if icc else {}
                if fmt == "JPEG":
                    extra["quality"] = 92
                base.save(out, fmt, **extra)
                raw = out.getvalue()
                name = default_storage.save(
                    f"originals/{label.replace(' ', '')}.{ext}", ContentFile(raw)
                )
                image = Image(key="0" * 16, width=2000, height=1500, file=name)
                cells = [
                    median_ms(
                        lambda s=spec, i=image: renditions.render(
                            i, renditions.SPECS[s], "jpg"
                        ),
                        args.runs,
                    )
                    for spec in specs
                ]
                cells.append(
                    median_ms(lambda r=raw, n=f"p.{ext}": clean_upload(r, n), args.runs)
                )
                print(
                    f"| {fmt} | {label} | "
                    + " | ".join(f"{c:.0f}" for c in cells)
                    + " |"
                )


if __name__ == "__main__":
    main()
