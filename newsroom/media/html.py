"""Picture markup: ``<picture>`` with WebP and JPEG srcsets, width and height.

Every value is escaped here; templates and the Markdown renderer call these.
Width and height are always given, so the browser keeps the space before the
file arrives (no layout shift).
"""

from __future__ import annotations

from django.utils.safestring import SafeString, mark_safe

from newsroom.core.html import escape

from .models import Image
from .renditions import CROPS, SPECS, WIDTHS, Spec, output_size, url

# What the markup below reads from an Image: ``.only()`` these (as
# ``lead_image__<field>``) to draw pictures without loading whole rows.
MARKUP_FIELDS = ("key", "width", "height", "alt", "decorative", "focal_x", "focal_y")

# A layout: the specs of its srcset and its sizes attribute.
LAYOUTS: dict[str, tuple[tuple[str, ...], str]] = {
    "lead": (tuple(f"{w}w" for w in WIDTHS), "(min-width: 820px) 760px, 100vw"),
    "body": (tuple(f"{w}w" for w in WIDTHS), "(min-width: 820px) 760px, 100vw"),
    "card": (
        tuple(f"{w}x{h}" for w, h in CROPS["16x9"][:3]),
        "(min-width: 1100px) 300px, (min-width: 700px) 45vw, 100vw",
    ),
    "card_lead": (
        tuple(f"{w}x{h}" for w, h in CROPS["16x9"][:4]),
        "(min-width: 1100px) 640px, 100vw",
    ),
    "thumb": (("160x160", "320x320"), "80px"),
    "portrait": (("160x160", "320x320"), "120px"),
}


def _srcset(image: Image, specs: tuple[str, ...], ext: str) -> str:
    seen: set[int] = set()
    parts = []
    for name in specs:
        w, _ = output_size(image, SPECS[name])
        if w not in seen:  # a small original: 1280w and 1920w are one file
            seen.add(w)
            parts.append(f"{url(image, name, ext)} {w}w")
    return ", ".join(parts)


def picture(
    image: Image, layout: str, lazy: bool = True, css_class: str = ""
) -> SafeString:
    specs, sizes = LAYOUTS[layout]
    fallback: Spec = SPECS[specs[1] if len(specs) > 1 else specs[0]]
    width, height = output_size(image, fallback)
    alt = "" if image.decorative else image.alt
    loading = ' loading="lazy" decoding="async"' if lazy else ' fetchpriority="high"'
    cls = f' class="{escape(css_class)}"' if css_class else ""
    return mark_safe(  # noqa: S308 - every value escaped
        f'<picture><source type="image/webp" '
        f'srcset="{escape(_srcset(image, specs, "webp"))}" sizes="{sizes}">'
        f'<img{cls} src="{escape(url(image, fallback.name))}" '
        f'srcset="{escape(_srcset(image, specs, "jpg"))}" sizes="{sizes}" '
        f'width="{width}" height="{height}" alt="{escape(alt)}"{loading}>'
        "</picture>"
    )


def caption_html(image: Image, caption: str | None = None) -> str:
    text = image.caption if caption is None else caption
    parts = []
    if text:
        parts.append(f'<span class="figure__caption">{escape(text)}</span>')
    if image.credit:
        parts.append(f'<span class="figure__credit">{escape(image.credit)}</span>')
    return f"<figcaption>{' '.join(parts)}</figcaption>" if parts else ""


def figure(
    image: Image,
    layout: str = "lead",
    lazy: bool = True,
    css_class: str = "figure",
    caption: str | None = None,
) -> SafeString:
    """A ``<figure>``: the picture, then its caption and credit."""
    return mark_safe(  # noqa: S308 - escaped in picture() and caption_html()
        f'<figure class="{escape(css_class)}">{picture(image, layout, lazy)}'
        f"{caption_html(image, caption)}</figure>"
    )
