"""Renditions: resized and cropped copies of a library image, made once.

A rendition's name says everything needed to make it again, and nothing a
stranger could vary freely: ``r/<key>/<spec>.<ext>`` for a width (the
picture's own ratio) or ``r/<key>/<focal>-<spec>.<ext>`` for a crop around
the focal point. Only the specs listed here exist, in WebP and JPEG, so a
request can make at most ``len(SPECS) * 2`` files per image. Files go through
Django's default storage (``STORAGES["default"]``): var/media/ on one
machine, any django-storages backend by configuration.

Pillow is used directly: the specs are few and fixed, the crop follows our
own focal point, names must be content-addressed, and Pillow is already a
dependency (easy-thumbnails and sorl name files by options hashes of their
own and keep a table of thumbnails; imagekit's "cachefile" strategies add
a layer this needs none of).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image as PILImage

from .colour import to_srgb
from .models import Image

WIDTHS = (320, 640, 960, 1280, 1920)
CROPS = {
    "16x9": ((320, 180), (640, 360), (960, 540), (1280, 720), (1200, 675)),
    "4x3": ((1200, 900),),
    "1x1": ((160, 160), (320, 320), (1200, 1200)),
    "social": ((1200, 630),),
}
EXTENSIONS = {"webp": ("WEBP", "image/webp"), "jpg": ("JPEG", "image/jpeg")}
QUALITY = {"webp": 78, "jpg": 82}


@dataclass(frozen=True)
class Spec:
    """A width (``640w``, ratio kept) or a box cropped to fill (``640x360``)."""

    width: int
    height: int = 0  # 0: the picture's own ratio

    @property
    def name(self) -> str:
        return f"{self.width}x{self.height}" if self.height else f"{self.width}w"

    @property
    def is_crop(self) -> bool:
        return bool(self.height)


SPECS: dict[str, Spec] = {
    s.name: s
    for s in [Spec(w) for w in WIDTHS]
    + [Spec(w, h) for boxes in CROPS.values() for (w, h) in boxes]
}
NAME_RE = re.compile(
    r"^r/(?P<key>[0-9a-f]{16})/(?:(?P<focal>f\d{1,3}x\d{1,3})-)?"
    r"(?P<spec>\d+[wx]\d*)\.(?P<ext>webp|jpg)$"
)


def crop_box(
    width: int, height: int, ratio: float, fx: float, fy: float
) -> tuple[int, int, int, int]:
    """The largest box of ``ratio`` (w/h) in the picture, centred on the focal
    point as far as the edges allow."""
    if width / height > ratio:
        cw, ch = round(height * ratio), height
    else:
        cw, ch = width, round(width / ratio)
    left = min(max(round(fx * width - cw / 2), 0), width - cw)
    top = min(max(round(fy * height - ch / 2), 0), height - ch)
    return left, top, left + cw, top + ch


def output_size(image: Image, spec: Spec) -> tuple[int, int]:
    """The rendition's pixel size, known without making it (never upscaled)."""
    if not spec.is_crop:
        w = min(spec.width, image.width)
        return w, max(1, round(image.height * w / image.width))
    left, top, right, bottom = crop_box(
        image.width, image.height, spec.width / spec.height, 0.5, 0.5
    )
    scale = min(1.0, (right - left) / spec.width)
    return max(1, round(spec.width * scale)), max(1, round(spec.height * scale))


def storage_name(image: Image, spec: Spec, ext: str) -> str:
    prefix = f"{image.focal_code}-" if spec.is_crop else ""
    return f"r/{image.key}/{prefix}{spec.name}.{ext}"


def url(image: Image, spec_name: str, ext: str = "jpg") -> str:
    """Our own origin's URL of a rendition (made on first request if need be)."""
    return settings.MEDIA_URL + storage_name(image, SPECS[spec_name], ext)


# Pillow's formats a stored original is read as: ``checks.clean_upload``
# re-encodes every upload as JPEG, PNG or WebP (GIF, the other format it
# takes, is read too; an MPO opens through JPEG).
STORED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")


class DamagedOriginal(Exception):
    """The stored original no longer decodes (the disk, a restore cut short,
    a file copied in by hand): the upload decoded it in full."""


def _decode(image: Image, spec: Spec) -> PILImage.Image:
    with default_storage.open(image.file.name, "rb") as fh:
        try:
            # Only what the library stores (checks.FORMATS re-encodes every
            # upload): a file copied in by hand that Pillow would read as
            # QOI or DDS failed in their decoders with IndexError or
            # NotImplementedError, a 500 on each request.
            picture = PILImage.open(fh, formats=STORED_FORMATS)
            target = output_size(image, spec)
            if picture.format == "JPEG":
                # Decode at the nearest 1/2, 1/4, 1/8 scale at or above the
                # target: several times faster for big photographs.
                picture.draft("RGB", (target[0] * 2, target[1] * 2))
            picture.load()
        except FileNotFoundError:
            raise
        except (
            OSError,
            SyntaxError,
            ValueError,
            PILImage.DecompressionBombError,
        ) as exc:  # Pillow's words for a file cut short, garbled or not a picture
            raise DamagedOriginal(str(exc) or type(exc).__name__) from exc
    return picture


def render(image: Image, spec: Spec, ext: str) -> bytes:
    """Make the rendition's bytes from the stored original."""
    picture = _decode(image, spec)
    target = output_size(image, spec)
    # An original stored before colours were converted at upload may still
    # carry a profile (a PNG's was kept): its renditions are in sRGB too. An
    # RGB one is converted after the resize (the same colours, on fewer
    # pixels); a grey one before, as its mode changes below.
    rgb = picture.mode in ("RGB", "RGBA")
    icc = picture.info.pop("icc_profile", None) if rgb else None
    picture = to_srgb(picture)
    sx, sy = picture.width / image.width, picture.height / image.height
    if spec.is_crop:
        left, top, right, bottom = crop_box(
            image.width, image.height, spec.width / spec.height,
            image.focal_x, image.focal_y,
        )  # fmt: skip
        box = (left * sx, top * sy, right * sx, bottom * sy)
    else:
        box = (0, 0, picture.width, picture.height)
    has_alpha = picture.mode in ("RGBA", "LA", "PA")
    picture = picture.convert("RGBA" if has_alpha else "RGB")
    out = picture.resize(target, PILImage.Resampling.LANCZOS, box=box)
    if icc:
        out.info["icc_profile"] = icc
        out = to_srgb(out)
    if has_alpha and ext != "webp":
        # JPEG has no transparency: on white, as a page shows it (the
        # pixels under a transparent area are black in most files).
        flat = PILImage.new("RGBA", out.size, (255, 255, 255, 255))
        flat.alpha_composite(out)
        out = flat.convert("RGB")
    buf = io.BytesIO()
    fmt = EXTENSIONS[ext][0]
    if fmt == "JPEG":
        out.save(buf, fmt, quality=QUALITY[ext], optimize=True, progressive=True)
    else:
        out.save(buf, fmt, quality=QUALITY[ext], method=4)
    return buf.getvalue()


# Renders one process runs at once: a 50-megapixel original is ~200 MB
# decoded, and a crowd (a fresh deployment, a bot walking every size) asks
# for many at the same moment.
RENDERS_AT_ONCE = 2
_renders = threading.BoundedSemaphore(RENDERS_AT_ONCE)
# One rendition is made by one thread of one process on this machine at a
# time: an flock on one of a fixed set of lock files (by the name's hash, so
# the files stay few); whoever waited finds the file made.
LOCK_STRIPES = 64
# Where a rendition is written before it is renamed into r/ (``_store``).
PARTIAL = "partial"


@contextlib.contextmanager
def _making(name: str) -> Iterator[None]:
    folder = Path(settings.VAR_DIR) / "locks" / "renditions"
    folder.mkdir(parents=True, exist_ok=True)
    stripe = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) % LOCK_STRIPES
    with open(folder / f"{stripe:02d}.lock", "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure(image: Image, spec: Spec, ext: str) -> str:
    """The rendition's storage name, made and stored first if it is missing
    (once, however many ask at the same time)."""
    name = storage_name(image, spec, ext)
    if default_storage.exists(name):
        return name
    with _making(name):
        if default_storage.exists(name):  # made while this one waited
            return name
        with _renders:
            data = render(image, spec, ext)
        _store(name, ContentFile(data))
    if not Image.objects.filter(pk=image.pk).exists():
        # Deleted while this was made: its files were removed after the
        # deletion's commit (``remove_files``), maybe before this one was
        # stored. Checked after storing, so one of the two removes it.
        default_storage.delete(name)
        raise Image.DoesNotExist(f"image {image.key} was deleted")
    return name


def remove_files(key: str, original: str) -> None:
    """Remove a deleted picture's original and every rendition: nginx serves
    any rendition on disk without asking the app (docs/media.md)."""
    if original:
        default_storage.delete(original)
    try:
        _, files = default_storage.listdir(f"r/{key}")
    except FileNotFoundError:  # none was made
        return
    for file in files:
        default_storage.delete(f"r/{key}/{file}")


def _store(name: str, content: ContentFile) -> None:
    """Put a rendition at ``name`` all at once: written in ``PARTIAL`` and
    renamed into place. nginx serves any file under r/ as soon as it exists
    and marks it immutable, so one written in place, or beside it under
    another name, could reach a reader half written; ``PARTIAL`` is on the
    same file system and never served (nginx answers 404 for all of
    /media/ but r/)."""
    try:
        path = Path(default_storage.path(name))
    except NotImplementedError:  # a remote storage: an object appears whole
        saved = default_storage.save(name, content)
        if saved != name:  # another machine made it meanwhile: keep theirs
            default_storage.delete(saved)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(default_storage.path(PARTIAL))
    partial.mkdir(exist_ok=True)
    tmp = partial / (
        f"{path.parent.name}-{path.name}.{os.getpid()}-{threading.get_ident()}.tmp"
    )
    try:
        with open(tmp, "wb") as fh:
            for chunk in content.chunks():
                fh.write(chunk)
        mode = getattr(default_storage, "file_permissions_mode", None)
        os.chmod(tmp, mode if mode is not None else 0o644)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# A file in PARTIAL this old was left by a process killed while writing it:
# a live one finishes in seconds.
PARTIAL_STALE_SECONDS = 3600


def sweep_partial(older_than: float = PARTIAL_STALE_SECONDS) -> int:
    """Remove what killed writers left in ``PARTIAL``; how many files."""
    try:
        partial = Path(default_storage.path(PARTIAL))
    except NotImplementedError:  # a remote storage writes nothing there
        return 0
    if not partial.is_dir():
        return 0
    cutoff, removed = time.time() - older_than, 0
    for entry in partial.iterdir():
        with contextlib.suppress(FileNotFoundError):  # another sweep took it
            if entry.is_file() and entry.stat().st_mtime < cutoff:
                entry.unlink()
                removed += 1
    return removed


def ensure_all(image: Image) -> int:
    """Every rendition of ``image`` (the command's and the importers' path)."""
    made = 0
    for spec in SPECS.values():
        for ext in EXTENSIONS:
            name = storage_name(image, spec, ext)
            if not default_storage.exists(name):
                ensure(image, spec, ext)
                made += 1
    return made
