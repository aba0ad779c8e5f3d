"""A self-hosted image code drawn with Pillow.

The image is a few characters, each rotated and shifted, on a wavy, noisy
background. There is no written alternative in the page: anything a page says
in words a bot reads too. Readers who cannot see the image take the
proof-of-work path instead (``confirmation/proof.py``, docs/comments.md).

Blind guessing: ``len(ALPHABET) ** LENGTH`` codes (23**5, about 6.4 million)
and one try per code, so a guess passes about once in 6.4 million; ``LENGTH``
may not go below 3 (23**3 = 12,167, still more than 10,000).
"""

from __future__ import annotations

import io
import math
import random

from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from .base import BaseConfirmation

# No look-alikes (0/O, 1/I/L, 2/Z, 5/S, 8/B), since case does not matter.
ALPHABET = "ACDEFHJKMNPRTUVWXY34679"
WIDTH, HEIGHT = 220, 70


class ImageCodeBackend(BaseConfirmation):
    supports_image = True

    def __init__(self, options: dict) -> None:
        super().__init__(options)
        self.length = int(options.get("LENGTH", 5))
        if self.length < 3:
            raise ImproperlyConfigured(
                "NEWSROOM_CONFIRMATION LENGTH must be at least 3 "
                "(blind guessing must pass less than 1 in 10,000)"
            )
        self._fonts: dict[int, ImageFont.FreeTypeFont] = {}

    def code_for(self, challenge_id: str, where: str) -> str:
        # Each HMAC byte mod 23: the likeliest character has 12/256 instead of
        # 1/23, so the best blind guess passes (12/256)**5, about 1 in 4.4 million.
        digest = self.digest(challenge_id, "code", where)
        return "".join(ALPHABET[b % len(ALPHABET)] for b in digest[: self.length])

    def image_url(self, token: str) -> str:
        return reverse("comments:code_image", args=[token])

    def _font(self, size: int) -> ImageFont.FreeTypeFont:
        if size not in self._fonts:
            path = self.options.get("FONT")
            self._fonts[size] = (
                ImageFont.truetype(path, size)
                if path
                else ImageFont.load_default(size=size)
            )
        return self._fonts[size]

    def render_png(self, challenge_id: str, where: str) -> bytes:
        """The code as a distorted PNG; the same id and scope draw the same image."""
        code = self.code_for(challenge_id, where)
        rnd = random.Random(self.digest(challenge_id, "image", where))
        image = Image.new("RGB", (WIDTH, HEIGHT), (246, 243, 236))
        draw = ImageDraw.Draw(image)
        for _ in range(6):  # background clutter the glyphs sit on
            box = [rnd.randint(-40, WIDTH), rnd.randint(-40, HEIGHT)]
            box += [box[0] + rnd.randint(30, 120), box[1] + rnd.randint(20, 80)]
            draw.arc(
                box,
                rnd.randint(0, 360),
                rnd.randint(0, 360),
                fill=_ink(rnd, 120),
                width=2,
            )
        step = (WIDTH - 30) / max(len(code), 1)
        for i, char in enumerate(code):
            font = self._font(rnd.randint(34, 42))
            glyph = Image.new("L", (60, 70), 0)
            ImageDraw.Draw(glyph).text((10, 5), char, font=font, fill=255)
            glyph = glyph.rotate(rnd.uniform(-28, 28), resample=Image.BICUBIC)
            x = int(12 + i * step + rnd.uniform(-4, 4))
            y = int(rnd.uniform(-8, 4))
            image.paste(Image.new("RGB", glyph.size, _ink(rnd, 0)), (x, y), glyph)
        image = _wave(image, rnd)
        draw = ImageDraw.Draw(image)
        for _ in range(3):  # strokes across the glyphs defeat simple segmentation
            points = [
                (x, rnd.randint(10, HEIGHT - 10)) for x in range(0, WIDTH + 40, 40)
            ]
            draw.line(points, fill=_ink(rnd, 40), width=2)
        for _ in range(250):
            draw.point(
                (rnd.randrange(WIDTH), rnd.randrange(HEIGHT)), fill=_ink(rnd, 60)
            )
        image = image.filter(ImageFilter.SMOOTH)
        out = io.BytesIO()
        image.save(out, "PNG", optimize=False)
        return out.getvalue()


def _ink(rnd: random.Random, lighten: int) -> tuple[int, int, int]:
    return tuple(min(255, rnd.randint(10, 90) + lighten) for _ in range(3))


def _wave(image: Image.Image, rnd: random.Random) -> Image.Image:
    """Shift columns up and down along a sine, bending every glyph differently."""
    amplitude, period = rnd.uniform(3, 6), rnd.uniform(60, 110)
    phase = rnd.uniform(0, math.tau)
    out = Image.new("RGB", image.size, (246, 243, 236))
    for x in range(0, WIDTH, 2):
        dy = int(amplitude * math.sin(phase + x * math.tau / period))
        out.paste(image.crop((x, 0, x + 2, HEIGHT)), (x, dy))
    return out
