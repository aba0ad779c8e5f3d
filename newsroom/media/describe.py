"""A library image as data: for the API, JSON-LD, social cards and feeds.

URLs are absolute on SITE_URL (our own origin, never the picture's source).
"""

from __future__ import annotations

from newsroom.core.links import absolute_url

from .models import Image
from .renditions import SPECS, output_size, url

# JSON-LD ``image``: 16:9, 4:3 and 1:1, as search engines ask for news.
JSONLD_SPECS = ("1200x675", "1200x900", "1200x1200")
SOCIAL_SPEC = "1200x630"
FEED_SPEC = "1280w"


def rendition(image: Image, spec: str, ext: str = "jpg") -> dict:
    width, height = output_size(image, SPECS[spec])
    return {
        "url": absolute_url(url(image, spec, ext)),
        "width": width,
        "height": height,
        "type": "image/webp" if ext == "webp" else "image/jpeg",
    }


def alt_text(image: Image) -> str:
    return "" if image.decorative else image.alt


def api_image(image: Image | None) -> dict | None:
    """The API's ``image`` object: alt, caption, credit and rendition URLs."""
    if image is None:
        return None
    return {
        "alt": alt_text(image),
        "caption": image.caption,
        "credit": image.credit,
        "width": image.width,
        "height": image.height,
        "renditions": {
            spec: rendition(image, spec)["url"]
            for spec in ("640w", "1280w", "640x360", "1200x630", "320x320")
        },
    }


def jsonld_images(image: Image) -> list[dict]:
    return [
        {
            "@type": "ImageObject",
            "url": (r := rendition(image, spec))["url"],
            "width": r["width"],
            "height": r["height"],
            **({"caption": image.caption} if image.caption else {}),
            **({"creditText": image.credit} if image.credit else {}),
        }
        for spec in JSONLD_SPECS
    ]


def social_image(image: Image) -> dict:
    """og:image / twitter:image: a 1200×630 JPEG (what every network reads)."""
    return rendition(image, SOCIAL_SPEC)


def image_version(image: Image) -> str:
    """Changes whenever markup made from ``image`` would (for cache keys)."""
    return f"{image.key}:{image.focal_code}:{image.decorative}:{image.alt}" + (
        f":{image.caption}:{image.credit}"
    )
