"""Colour: every picture the site serves is in sRGB, with no profile in it.

A camera's Adobe RGB photo, a phone's Display P3 one or a print workflow's
CMYK JPEG says what its numbers mean in an embedded ICC profile. Read as
sRGB (what a browser assumes of a picture without a profile) they look
washed out or wrong, so ``to_srgb`` converts the pixels with littlecms
(Pillow's ImageCms) and drops the profile: the stored original, every
rendition, og:image and the feeds then mean what a page's CSS colours mean.

No sRGB profile is embedded in the output: untagged is sRGB to every
browser (CSS Color 4), and a profile would add about 600 bytes to each of
the small renditions (a 160×160 WebP is a few kB).

A profile is a stranger's bytes: one that cannot be read, that is for
another kind of picture (a greyscale or Lab profile on an RGB picture), that
cannot be converted from, or that is over ``MAX_PROFILE_BYTES`` is ignored
and the pixels are kept as they are. A picture without a profile, or with
one that maps to sRGB unchanged, costs a dictionary look-up and, once per
process for each profile, a small probe (``_is_srgb``).
"""

from __future__ import annotations

import hashlib
import io

from PIL import Image as PILImage
from PIL import ImageCms

# The largest profile read: CMYK press profiles are 0.5 to 2 MB.
MAX_PROFILE_BYTES = 4 * 1024 * 1024
# What Photoshop's "Convert to sRGB" does by default: colours sRGB can show
# are kept exactly, the others clipped to the nearest; black point
# compensation maps a press profile's black to sRGB's.
INTENT = ImageCms.Intent.RELATIVE_COLORIMETRIC
FLAGS = ImageCms.Flags.BLACKPOINTCOMPENSATION
# The profile's colour space (header bytes 16-20) each picture mode needs,
# and the classes of profile a picture can be converted from.
SPACES = {"RGB": b"RGB ", "RGBA": b"RGB ", "L": b"GRAY", "LA": b"GRAY",
          "CMYK": b"CMYK"}  # fmt: skip
CLASSES = {b"mntr", b"scnr", b"prtr", b"spac"}
ERRORS = (ImageCms.PyCMSError, OSError, ValueError, TypeError)


def to_srgb(picture: PILImage.Image) -> PILImage.Image:
    """``picture`` with its pixels in sRGB and no ``icc_profile`` in its info
    (``picture`` itself when there is nothing to convert)."""
    icc = picture.info.pop("icc_profile", None)
    if not icc or len(icc) > MAX_PROFILE_BYTES:
        return picture
    if picture.mode in ("P", "PA"):
        alpha = picture.mode == "PA" or "transparency" in picture.info
        picture = picture.convert("RGBA" if alpha else "RGB")
    space = SPACES.get(picture.mode)
    if space is None or icc[16:20] != space or icc[12:16] not in CLASSES:
        return picture  # a profile for another kind of picture: ignored
    try:
        if _is_srgb(icc, picture.mode):
            return picture
        return _convert(picture, icc)
    except ERRORS:
        return picture  # unreadable or unusable: the pixels as they are


def _transform(icc: bytes, mode: str) -> ImageCms.ImageCmsTransform:
    """From the profile to sRGB, for pictures of ``mode`` (RGB, L or CMYK)."""
    source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    srgb = ImageCms.createProfile("sRGB")
    return ImageCms.buildTransform(
        source, srgb, mode, "RGB", renderingIntent=INTENT, flags=FLAGS
    )


def _convert(picture: PILImage.Image, icc: bytes) -> PILImage.Image:
    alpha = picture.getchannel("A") if picture.mode in ("RGBA", "LA") else None
    base = {"RGBA": "RGB", "LA": "L"}.get(picture.mode, picture.mode)
    colour = picture.convert(base) if alpha is not None else picture
    out = ImageCms.applyTransform(colour, _transform(icc, base))
    assert out is not None  # not in place
    out.info.pop("icc_profile", None)  # ImageCms tags it sRGB: untagged is
    if base == "L":
        out = out.convert("L")  # a grey stays one channel (R = G = B)
    if alpha is not None:
        out.putalpha(alpha)
    return out


# Profiles probed by this process (by sha256 and mode): sRGB or not.
_probed: dict[tuple[bytes, str], bool] = {}
PROBED_KEPT = 256


def _is_srgb(icc: bytes, mode: str) -> bool:
    """Does the profile leave sRGB values as they are (within one step)?
    Phones and many cameras embed one sRGB profile or another: probed once
    per profile and process, then a look-up."""
    key = (hashlib.sha256(icc).digest(), mode)
    known = _probed.get(key)
    if known is None:
        known = _probe(icc, mode)
        if len(_probed) >= PROBED_KEPT:
            _probed.clear()
        _probed[key] = known
    return known


def _probe(icc: bytes, mode: str) -> bool:
    """Colours through the conversion: the same values back, or not."""
    if mode == "CMYK":
        return False
    base = "L" if mode in ("L", "LA") else "RGB"
    if base == "L":
        probe = PILImage.frombytes("L", (256, 1), bytes(range(256)))
        want = probe.convert("RGB")
    else:
        steps = (0, 51, 102, 153, 204, 255)
        cube = bytes(c for r in steps for g in steps for b in steps for c in (r, g, b))
        probe = want = PILImage.frombytes("RGB", (len(steps) ** 3, 1), cube)
    got = ImageCms.applyTransform(probe, _transform(icc, base))
    assert got is not None
    return all(
        abs(a - b) <= 1 for a, b in zip(got.tobytes(), want.tobytes(), strict=True)
    )
