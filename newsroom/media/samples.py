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


# Primaries (x, y of red, green, blue) and white point of published spaces.
ADOBE_RGB = ((0.64, 0.33), (0.21, 0.71), (0.15, 0.06))
DISPLAY_P3 = ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060))
D65 = (0.3127, 0.3290)
D50_XYZ = (0.9642, 1.0, 0.8249)  # the ICC connection space's white


def _xyz(x: float, y: float) -> tuple[float, float, float]:
    return x / y, 1.0, (1 - x - y) / y


def _mul(m, v) -> tuple[float, ...]:
    return tuple(sum(a * b for a, b in zip(row, v, strict=True)) for row in m)


def _to_d50(white: tuple[float, float]):
    """Bradford chromatic adaptation from ``white`` to D50 (a 3×3 matrix)."""
    brad = ((0.8951, 0.2664, -0.1614), (-0.7502, 1.7135, 0.0367),
            (0.0389, -0.0685, 1.0296))  # fmt: skip
    inv = ((0.9869929, -0.1470543, 0.1599627), (0.4323053, 0.5183603, 0.0492912),
           (-0.0085287, 0.0400428, 0.9684867))  # fmt: skip
    src, dst = _mul(brad, _xyz(*white)), _mul(brad, D50_XYZ)
    scale = [[brad[i][j] * dst[i] / src[i] for j in range(3)] for i in range(3)]
    return [
        [sum(inv[i][k] * scale[k][j] for k in range(3)) for j in range(3)]
        for i in range(3)
    ]


def _colorants(primaries, white) -> list[tuple[float, ...]]:
    """The D50 XYZ of each primary at full strength (the rXYZ/gXYZ/bXYZ tags)."""
    p = [_xyz(*xy) for xy in primaries]  # columns, each scaled by S below
    w = _xyz(*white)

    # Solve P · S = W (Cramer's rule) so that R = G = B = 1 is the white.
    def det(m):
        return (
            m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
        )

    rows = [[p[j][i] for j in range(3)] for i in range(3)]  # P, a column a primary
    d = det(rows)
    s = []
    for k in range(3):
        m = [[w[i] if j == k else rows[i][j] for j in range(3)] for i in range(3)]
        s.append(det(m) / d)
    adapt = _to_d50(white)
    return [_mul(adapt, tuple(c * s[k] for c in p[k])) for k in range(3)]


def icc_profile(
    primaries=ADOBE_RGB,
    white=D65,
    gamma: float = 563 / 256,
    description: str = "Adobe RGB (1998) compatible (test)",
    grey: bool = False,
) -> bytes:
    """A minimal valid ICC v2 display profile: an RGB matrix/TRC one (or, with
    ``grey``, a greyscale one) made from published primaries, for tests.

    Layout (ICC.1:2001-04): a 128-byte header (size, version 2.1, class
    ``mntr``, colour space ``RGB ``/``GRAY``, connection space ``XYZ ``,
    ``acsp``, D50 illuminant), a tag count and 12-byte entries (signature,
    offset, size), then the tags, each 4-byte aligned: ``desc`` (text
    description), ``cprt`` (text), ``wtpt`` (D50: the colorants are already
    Bradford-adapted to it), ``rXYZ``/``gXYZ``/``bXYZ`` (colorants, XYZ
    type: s15Fixed16 numbers) and ``rTRC``/``gTRC``/``bTRC`` (one ``curv``
    gamma, u8Fixed8), or ``kTRC`` alone for grey.
    """

    def s15(v: float) -> bytes:
        return struct.pack(">i", round(v * 65536))

    def xyz(v) -> bytes:
        return b"XYZ \0\0\0\0" + b"".join(s15(c) for c in v)

    ascii_ = description.encode("ascii") + b"\0"
    desc = (
        b"desc\0\0\0\0" + struct.pack(">I", len(ascii_)) + ascii_
        + b"\0" * 8 + b"\0\0\0" + b"\0" * 67
    )  # fmt: skip
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, round(gamma * 256)) + b"\0\0"
    tags = [(b"desc", desc), (b"cprt", b"text\0\0\0\0No copyright\0")]
    tags.append((b"wtpt", xyz(D50_XYZ)))
    if grey:
        tags.append((b"kTRC", curve))
    else:
        red, green, blue = _colorants(primaries, white)
        tags += [(b"rXYZ", xyz(red)), (b"gXYZ", xyz(green)), (b"bXYZ", xyz(blue))]
        tags += [(b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve)]
    offset = 128 + 4 + 12 * len(tags)
    table, body = [], b""
    for sig, data in tags:
        table.append(struct.pack(">4sII", sig, offset + len(body), len(data)))
        body += data + b"\0" * (-len(data) % 4)
    size = offset + len(body)
    header = (
        struct.pack(">I4sI4s4s4s", size, b"", 0x02100000, b"mntr",
                    b"GRAY" if grey else b"RGB ", b"XYZ ")
        + struct.pack(">6H", 2026, 1, 1, 0, 0, 0) + b"acsp" + b"\0" * 28
        + b"".join(s15(c) for c in D50_XYZ) + b"\0" * 48
    )  # fmt: skip
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + b"".join(table) + body
