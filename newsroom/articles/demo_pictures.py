"""Pictures for the demo newsroom: four licensed photographs and drawn ones.

The photographs come from scikit-image's sample data (licences in
``demo/pictures/README.txt``); every other story gets an illustration drawn
here by code for its subject, credited as such. No picture comes from the
seed's site or from anywhere outside the repository.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFilter

from .demo_loader import DEMO_DIR

PICTURES_DIR = DEMO_DIR / "pictures"
DRAWN_CREDIT = "Illustration: The Newsroom demo, drawn by code (CC0)"


@dataclass(frozen=True)
class DemoPicture:
    alt: str
    caption: str
    credit: str
    file: str = ""  # a file under demo/pictures/, else drawn
    kind: str = ""  # what to draw
    focal: tuple[float, float] = (0.5, 0.5)


PHOTOS = {
    "18": DemoPicture(
        "A cup of coffee with latte art on a wooden table",
        "Coffee prices have reached their highest level in 14 years.",
        "Photo: Rachel Michetti, courtesy of Pikolo Espresso Bar / CC0",
        file="coffee.jpg",
    ),
    "31": DemoPicture(
        "A Falcon 9 rocket lifting off in a cloud of exhaust",
        "A Falcon 9 launch from Cape Canaveral (file picture, 2015).",
        "Photo: SpaceX / public domain",
        file="rocket.jpg",
        focal=(0.5, 0.4),
    ),
    "27": DemoPicture(
        "Thousands of distant galaxies against a black sky",
        "The Hubble eXtreme Deep Field (file picture).",
        "Photo: NASA / public domain",
        file="hubble-deep-field.jpg",
    ),
    "42": DemoPicture(
        "Ancient Greek coins laid out on a grey background",
        "Greek coins from Pompeii in a museum collection (file picture).",
        "Photo: Brooklyn Museum / no known copyright restrictions",
        file="coins.jpg",
    ),
}

# Drawn subjects by demo file number; the rest by section.
SUBJECTS = {
    "03": "water",
    "05": "water",
    "07": "water",
    "08": "smoke",
    "30": "mountains",
    "32": "flowers",
    "28": "sea",
    "41": "storm",
    "40": "stage",
    "45": "stage",
    "15": "chart",
    "14": "chart",
    "19": "storm",
}
BY_SECTION = {
    "World": "city",
    "Politics": "columns",
    "Business": "chart",
    "Technology": "circuit",
    "Science": "orbit",
    "Sport": "track",
    "Culture": "stage",
}
ALTS = {
    "water": "An illustration of rising blue water under a grey sky",
    "sea": "An illustration of the deep sea, dark blue with drifting lights",
    "smoke": "An illustration of an orange sky hazy with smoke over hills",
    "mountains": "An illustration of snow-capped mountains and a shrinking glacier",
    "flowers": "An illustration of bright flowers in a green meadow",
    "storm": "An illustration of dark storm clouds over the sea",
    "stage": "An illustration of a stage lit by spotlights",
    "chart": "An illustration of a rising and falling line chart",
    "city": "An illustration of a city skyline at dusk",
    "columns": "An illustration of the columns of a parliament building",
    "circuit": "An illustration of glowing circuit lines",
    "orbit": "An illustration of a planet with a ring of orbits",
    "track": "An illustration of the lanes of a running track",
}


def picture_for(name: str, section: str) -> DemoPicture:
    number = name[:2]
    if number in PHOTOS:
        return PHOTOS[number]
    kind = SUBJECTS.get(number) or BY_SECTION.get(section, "city")
    return DemoPicture(ALTS[kind], "", DRAWN_CREDIT, kind=kind)


def picture_bytes(picture: DemoPicture, seed: str) -> tuple[bytes, str]:
    """The file's bytes and a name for the library's checks."""
    if picture.file:
        return (PICTURES_DIR / picture.file).read_bytes(), picture.file
    out = io.BytesIO()
    draw(picture.kind, seed).save(out, "JPEG", quality=86, optimize=True)
    return out.getvalue(), f"{seed}.jpg"


W, H = 1600, 900


def _sky(top, bottom) -> Image.Image:
    grad = Image.linear_gradient("L").resize((W, H))
    return Image.composite(
        Image.new("RGB", (W, H), bottom), Image.new("RGB", (W, H), top), grad
    )


def draw(kind: str, seed: str) -> Image.Image:  # noqa: C901 - one branch per kind
    rnd = random.Random(seed)
    palettes = {
        "water": ((120, 130, 140), (40, 70, 110)),
        "sea": ((10, 40, 80), (2, 10, 30)),
        "smoke": ((230, 140, 60), (120, 60, 40)),
        "mountains": ((150, 190, 230), (235, 240, 245)),
        "flowers": ((170, 210, 240), (90, 150, 70)),
        "storm": ((50, 55, 70), (20, 30, 45)),
        "stage": ((20, 10, 30), (70, 20, 40)),
        "chart": ((245, 243, 236), (225, 220, 210)),
        "city": ((250, 170, 110), (70, 60, 110)),
        "columns": ((210, 220, 235), (160, 170, 190)),
        "circuit": ((10, 30, 40), (5, 15, 25)),
        "orbit": ((5, 5, 25), (25, 10, 50)),
        "track": ((180, 70, 50), (150, 55, 40)),
    }
    img = _sky(*palettes[kind])
    d = ImageDraw.Draw(img, "RGBA")
    if kind in ("water", "sea", "storm"):
        if kind == "storm":
            for _ in range(14):
                x, y = rnd.randrange(W), rnd.randrange(H // 2)
                r = rnd.randrange(120, 320)
                d.ellipse(
                    (x - r, y - r // 2, x + r, y + r // 2), fill=(30, 30, 40, 150)
                )
        for band in range(9):
            y0 = H * 0.45 + band * 55
            colour = (30 + band * 6, 80 + band * 8, 140 - band * 6, 200)
            points = [
                (x, y0 + 18 * math.sin(x / (90 + band * 7) + rnd.random() * 6))
                for x in range(0, W + 20, 20)
            ]
            d.polygon(points + [(W, H), (0, H)], fill=colour)
        if kind == "sea":
            for _ in range(80):
                x, y = rnd.randrange(W), rnd.randrange(H // 2, H)
                d.ellipse((x, y, x + 6, y + 6), fill=(180, 230, 255, 160))
    elif kind in ("smoke", "mountains"):
        for layer in range(4):
            base = H * (0.45 + layer * 0.12)
            pts = [(0, H)]
            for x in range(0, W + 100, 100):
                pts.append((x, base - rnd.randrange(40, 260 - layer * 40)))
            pts.append((W, H))
            shade = 60 + layer * 35
            fill = (
                (shade, shade // 2, shade // 3, 230)
                if kind == "smoke"
                else (shade, shade + 20, shade + 40, 255)
            )
            d.polygon(pts, fill=fill)
            if kind == "mountains" and layer == 0:
                for x, y in pts[1:-1]:
                    d.polygon(
                        [(x - 60, y + 70), (x, y), (x + 60, y + 70)], fill="white"
                    )
        if kind == "smoke":
            img = img.filter(ImageFilter.GaussianBlur(3))
            d = ImageDraw.Draw(img, "RGBA")
            d.ellipse(
                (W * 0.7, H * 0.15, W * 0.7 + 90, H * 0.15 + 90),
                fill=(255, 90, 40, 200),
            )
    elif kind == "flowers":
        for _ in range(140):
            x, y = rnd.randrange(W), rnd.randrange(int(H * 0.5), H)
            r = rnd.randrange(8, 22)
            colour = rnd.choice(
                [(240, 200, 40), (230, 90, 120), (250, 250, 250), (160, 90, 200)]
            )
            d.line((x, y, x, y + 60), fill=(40, 110, 40, 255), width=3)
            d.ellipse((x - r, y - r, x + r, y + r), fill=colour + (255,))
    elif kind == "stage":
        for i in range(3):
            cx = W * (0.25 + i * 0.25)
            d.polygon(
                [(cx - 30, 0), (cx + 30, 0), (cx + 260, H), (cx - 260, H)],
                fill=(255, 240, 200, 60),
            )
        d.rectangle((0, H * 0.8, W, H), fill=(60, 30, 20, 255))
        d.rectangle((0, 0, W * 0.08, H), fill=(140, 20, 30, 255))
        d.rectangle((W * 0.92, 0, W, H), fill=(140, 20, 30, 255))
    elif kind == "chart":
        for gx in range(0, W, 100):
            d.line((gx, 0, gx, H), fill=(200, 195, 185, 255))
        for gy in range(0, H, 100):
            d.line((0, gy, W, gy), fill=(200, 195, 185, 255))
        y = H * 0.6
        pts = []
        for x in range(60, W - 40, 60):
            y = min(H - 80, max(80, y + rnd.randrange(-90, 80)))
            pts.append((x, y))
        for x, y in pts[::2]:
            d.rectangle((x - 18, y, x + 18, H), fill=(18, 63, 115, 70))
        d.line(pts, fill=(164, 22, 26, 255), width=10, joint="curve")
    elif kind in ("city", "columns"):
        if kind == "city":
            x = 0
            while x < W:
                w, h = rnd.randrange(60, 160), rnd.randrange(150, 560)
                d.rectangle((x, H - h, x + w, H), fill=(35, 30, 60, 255))
                for wy in range(H - h + 20, H - 20, 40):
                    for wx in range(x + 12, x + w - 12, 28):
                        if rnd.random() < 0.45:
                            d.rectangle(
                                (wx, wy, wx + 10, wy + 16), fill=(250, 210, 120, 255)
                            )
                x += w + rnd.randrange(4, 20)
        else:
            d.polygon(
                [(W * 0.1, 260), (W * 0.5, 80), (W * 0.9, 260)],
                fill=(235, 235, 240, 255),
            )
            d.rectangle((W * 0.1, 260, W * 0.9, 300), fill=(225, 225, 232, 255))
            for i in range(8):
                cx = W * 0.14 + i * (W * 0.72 / 7)
                d.rectangle((cx - 32, 300, cx + 32, H - 90), fill=(245, 245, 250, 255))
                d.rectangle((cx - 32, 300, cx - 20, H - 90), fill=(215, 215, 225, 255))
            d.rectangle((W * 0.05, H - 90, W * 0.95, H), fill=(200, 200, 210, 255))
    elif kind == "circuit":
        for _ in range(60):
            x, y = rnd.randrange(0, W, 40), rnd.randrange(0, H, 40)
            pts = [(x, y)]
            for _ in range(rnd.randrange(2, 6)):
                if rnd.random() < 0.5:
                    x += rnd.choice([-1, 1]) * rnd.randrange(40, 240, 40)
                else:
                    y += rnd.choice([-1, 1]) * rnd.randrange(40, 240, 40)
                pts.append((x, y))
            d.line(pts, fill=(60, 220, 200, 200), width=4)
            d.ellipse((x - 8, y - 8, x + 8, y + 8), fill=(120, 255, 230, 255))
    elif kind == "orbit":
        for _ in range(220):
            x, y = rnd.randrange(W), rnd.randrange(H)
            s = rnd.choice([1, 1, 2, 3])
            d.ellipse((x, y, x + s, y + s), fill=(255, 255, 255, 220))
        cx, cy = W * 0.55, H * 0.5
        for r in (380, 300, 230):
            d.ellipse(
                (cx - r, cy - r * 0.35, cx + r, cy + r * 0.35),
                outline=(180, 180, 255, 120),
                width=3,
            )
        d.ellipse((cx - 150, cy - 150, cx + 150, cy + 150), fill=(200, 120, 80, 255))
        d.ellipse((cx - 150, cy - 150, cx + 60, cy + 150), fill=(230, 160, 110, 255))
    elif kind == "track":
        for lane in range(9):
            y = H * 0.2 + lane * 75
            d.line((0, y, W, y), fill=(255, 255, 255, 230), width=6)
        d.rectangle(
            (W * 0.72, H * 0.2, W * 0.74, H * 0.2 + 600), fill=(255, 255, 255, 255)
        )
        d.rectangle((0, 0, W, H * 0.2), fill=(60, 130, 70, 255))
    return img


def attach_pictures() -> int:
    """Give every demo article without a lead picture its own; return how many.

    Run after ``load_demo`` (the command does both); running it again adds
    nothing, and a picture an editor chose is kept.
    """
    from newsroom.core import versions
    from newsroom.media.library import add_image

    from .demo_loader import DEMO_SOURCE, demo_articles
    from .models import Article

    sections = {item.name: item.section for item in demo_articles()}
    added = 0
    waiting = Article.objects.filter(source=DEMO_SOURCE, lead_image__isnull=True).only(
        "id", "source_id"
    )
    try:
        for article in waiting:
            picture = picture_for(
                article.source_id, sections.get(article.source_id, "")
            )
            data, name = picture_bytes(picture, article.source_id)
            image, _ = add_image(
                data,
                name,
                alt=picture.alt,
                caption=picture.caption,
                credit=picture.credit,
                focal_x=picture.focal[0],
                focal_y=picture.focal[1],
            )
            # No save(): the article's body and history stay as they are, and
            # kept pages and feeds are told below (update() sends no signal).
            Article.objects.filter(pk=article.pk).update(lead_image=image)
            added += 1
    finally:
        if added:
            versions.bump()
    return added
