"""Draw the site's logo and favicon set (run once; the PNGs/ICO are committed).

    .venv/bin/python scripts/make_icons.py

Made with Pillow and the DejaVu Serif font (free licence, Bitstream Vera
derived), so the files are the project's own work.
"""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

OUT = Path(__file__).resolve().parent.parent / "newsroom/web/static/newsroom"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf"
INK, ACCENT, PAPER = (26, 26, 26), (164, 22, 26), (255, 253, 248)


def mark(size: int) -> Image.Image:
    img = Image.new("RGB", (size, size), ACCENT)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, int(size * 0.78))
    draw.text((size / 2, size * 0.53), "N", font=font, fill=PAPER, anchor="mm")
    return img


def logo() -> Image.Image:
    img = Image.new("RGB", (600, 60), PAPER)
    img.paste(mark(60), (0, 0))
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 40)
    draw.text((78, 31), "The Newsroom", font=font, fill=INK, anchor="lm")
    return img


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    logo().save(OUT / "logo.png", optimize=True)
    mark(180).save(OUT / "apple-touch-icon.png", optimize=True)
    mark(192).save(OUT / "icon-192.png", optimize=True)
    mark(512).save(OUT / "icon-512.png", optimize=True)
    mark(64).save(OUT / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])


if __name__ == "__main__":
    main()
