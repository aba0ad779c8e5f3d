"""Is an upload really a picture we accept? One intake for admin, importers and API.

``clean_upload`` reads the bytes once and rules: the size cap, Pillow's own
identification (an SVG, an HTML page or a text file is not an image to it),
the allowed formats, the name's extension against the real format (a PNG
renamed ``.jpg`` is refused), the pixel cap before any pixel is decoded
(decompression bombs), and a full decode. What it keeps is re-encoded from
the pixels with the EXIF orientation applied first, so no metadata (GPS,
camera serials) survives into the stored original or any rendition, and
its colours are converted to sRGB from the profile it carries
(``colour.to_srgb``): no profile is kept either.
"""

from __future__ import annotations

import hashlib
import io
import struct
import warnings
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError

from .colour import to_srgb

# Pillow format name -> (stored extension, extensions a file of it may carry)
FORMATS = {
    "JPEG": ("jpg", {".jpg", ".jpeg", ".jpe", ".jfif"}),
    # A JPEG carrying a second picture (MPF: a camera's large preview, a
    # phone's HDR gain map, a stereo pair): its first picture, as a JPEG.
    "MPO": ("jpg", {".jpg", ".jpeg", ".jpe", ".jfif", ".mpo"}),
    "PNG": ("png", {".png"}),
    "WEBP": ("webp", {".webp"}),
    "GIF": ("png", {".gif"}),  # the first frame, kept as a PNG
}


@dataclass(frozen=True)
class CleanImage:
    """A checked picture: its re-encoded bytes and what the library stores."""

    data: bytes
    extension: str
    width: int
    height: int
    content_hash: str  # sha256 of the bytes as uploaded (finds re-uploads)
    source_format: str


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def _upright(picture: PILImage.Image) -> PILImage.Image:
    """The picture turned as its EXIF orientation says; as it is when its
    EXIF block cannot be read (Pillow raises ``SyntaxError`` for one whose
    header is not TIFF's). No EXIF is kept either way."""
    try:
        return ImageOps.exif_transpose(picture)
    except (OSError, SyntaxError, ValueError, EOFError, struct.error):
        return picture


def clean_upload(data: bytes, name: str = "") -> CleanImage:
    """Check ``data`` (named ``name``): return it cleaned or raise ValidationError."""
    max_bytes = settings.NEWSROOM_MEDIA_MAX_BYTES
    if len(data) > max_bytes:
        raise _refuse(
            f"The file is {len(data) / 1e6:.1f} MB; the limit is "
            f"{max_bytes / 1e6:.0f} MB.",
            "too_large",
        )
    if not data:
        raise _refuse("The file is empty.", "empty")
    max_pixels = settings.NEWSROOM_MEDIA_MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            probe = PILImage.open(io.BytesIO(data))
            fmt = probe.format
            width, height = probe.size
            if fmt not in FORMATS:
                raise _refuse(
                    f"{fmt} pictures are not accepted: upload a JPEG, PNG, WebP "
                    "or GIF.",
                    "format",
                )
            suffix = PurePosixPath(name).suffix.lower()
            if suffix and suffix not in FORMATS[fmt][1]:
                raise _refuse(
                    f"The file is named {suffix} but is really a {fmt}: rename it "
                    "or export it again.",
                    "extension",
                )
            if width * height > max_pixels or not width or not height:
                raise _refuse(
                    f"The picture is {width}×{height} pixels; the limit is "
                    f"{max_pixels / 1e6:.0f} megapixels (a decompression bomb "
                    "or a scan too large to serve).",
                    "pixels",
                )
            probe.verify()  # structure and checksums; the object is spent after
            picture = PILImage.open(io.BytesIO(data))
            picture.seek(0)  # a GIF's first frame
            picture.load()
    except ValidationError:
        raise
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning):
        raise _refuse(
            f"The picture is larger than {max_pixels / 1e6:.0f} megapixels "
            "(a decompression bomb).",
            "pixels",
        ) from None
    except UnidentifiedImageError:
        raise _refuse(
            "This file is not a picture (SVG, HTML and other documents are "
            "refused): upload a JPEG, PNG, WebP or GIF.",
            "not_image",
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise _refuse(
            f"The picture is damaged or truncated and cannot be read ({exc}).",
            "damaged",
        ) from None
    upright = _upright(picture)
    if upright.mode.startswith("I"):
        # 16-bit greys (a PNG's 0..65535) into 0..255: a plain conversion
        # clips every value over 255 to white.
        upright = upright.convert("I").point(lambda v: v / 257).convert("L")
    upright = to_srgb(upright)
    extension = FORMATS[fmt][0]
    out = io.BytesIO()
    if extension == "jpg":
        upright = upright.convert("RGB")
        upright.save(out, "JPEG", quality=92, optimize=True)
    elif extension == "webp":
        upright.save(out, "WEBP", quality=92)
    else:
        if upright.mode not in ("RGB", "RGBA", "L", "LA"):
            upright = upright.convert("RGBA")
        upright.save(out, "PNG", optimize=True)
    return CleanImage(
        data=out.getvalue(),
        extension=extension,
        width=upright.width,
        height=upright.height,
        content_hash=content_hash(data),
        source_format=fmt,
    )
