"""Pictures made with code, for tests, the demo and the benchmark (no files shipped)."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image as PILImage
from PIL import ImageDraw


def photo(
    width: int = 1600,
    height: int = 1000,
    fmt: str = "JPEG",
    seed: int = 0,
    exif: PILImage.Exif | None = None,
) -> bytes:
    """A picture with structure (gradient, shapes) so encoders do real work."""
    img = PILImage.linear_gradient("L").resize((width, height)).convert("RGB")
    draw = ImageDraw.Draw(img)
    for n in range(12):
        k = (seed * 31 + n * 17) % 97
        x, y = (k * 13 % width), (k * 29 % height)
        r = max(8, (k % 7 + 2) * min(width, height) // 30)
        draw.ellipse(
            (x - r, y - r, x + r, y + r), fill=((k * 5) % 255, (k * 11) % 255, 140)
        )
    out = io.BytesIO()
    kwargs = {"exif": exif} if exif is not None else {}
    img.save(out, fmt, **kwargs)
    return out.getvalue()


def gps_exif(orientation: int = 6) -> PILImage.Exif:
    """EXIF with a GPS position, a camera serial and a rotation to apply."""
    exif = PILImage.Exif()
    exif[0x0112] = orientation  # Orientation: 6 = rotate 90° clockwise to view
    exif[0x010F] = "TestCam"  # Make
    gps = {1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.0)}
    exif[0x8825] = gps  # GPSInfo IFD
    return exif


def png_bomb(side: int = 30000) -> bytes:
    """A valid 1-bit PNG of ``side``² pixels in a few tens of kB."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + b"\x00" * ((side + 7) // 8)
    comp = zlib.compressobj(9)
    idat = b"".join(comp.compress(row) for _ in range(side)) + comp.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", idat)
        + chunk(b"IEND", b"")
    )
