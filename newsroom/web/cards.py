"""Story cards for the home and list pages, written in Python.

A card is small and appears up to 43 times on the home page; as a template
include each cost about 0.2 ms (variable lookups, localisation, three
``reverse()`` calls), most of a list page's time. Here a card is one f-string
with every value escaped, the same markup ``web/_card.html`` had.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import dateformat, timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from newsroom.media.html import picture

from .links import article_url, section_url

# A card's standfirst is a teaser: at most this many characters, cut at a word.
STANDFIRST_CHARS = 220


def cut_at_word(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` characters, else its longest prefix
    that ends at a word boundary, with an ellipsis (a hard cut only when one
    word is longer than most of the limit)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ")
    if text[len(head)] != " " and space >= limit // 2:
        head = head[:space]
    return head.rstrip(" ,;:.-–—") + "…"


def _dates(when) -> tuple[str, str]:
    if when is None:
        return "", ""
    if timezone.is_aware(when):
        when = timezone.localtime(when)
    return when.isoformat(), dateformat.format(when, "j M Y")


def _counts(a, url: str, shares: dict[int, int]) -> str:
    """Comment and share counts, only those that say something (not zero)."""
    out = ""
    comments, shared = int(a.comment_count), int(shares.get(a.pk, 0))
    if comments:
        word = "comment" if comments == 1 else "comments"
        out += (
            f'\n    &middot; <a class="card__comments" href="{url}#comments">'
            f"{comments} {word}</a>"
        )
    if shared:
        word = "share" if shared == 1 else "shares"
        out += f'\n    &middot; <span class="card__shares">{shared} {word}</span>'
    return out


def _media(a, url: str, big: bool, lazy: bool) -> str:
    image = a.lead_image if a.lead_image_id else None
    if image is None:
        return ""
    # The headline link below says where it goes: this one is skipped by
    # keyboards and screen readers, and the picture's alt text still shows.
    return (
        f'  <a class="card__media" href="{url}" tabindex="-1" aria-hidden="true">'
        f"{picture(image, 'card_lead' if big else 'card', lazy=lazy)}</a>\n"
    )


def card(
    a,
    shares: dict[int, int],
    big: bool = False,
    compact: bool = False,
    lazy: bool = True,
    level: int = 0,
) -> str:
    url = escape(article_url(a))
    # h2 for the home's lead and for a list page's stories (under its h1);
    # h3 under a block's own h2.
    level = str(level or (2 if big else 3))
    byline = ", ".join(escape(au.name) for au in a.byline())
    if byline:
        byline = f'<span class="card__byline">{byline}</span> &middot; '
    standfirst = ""
    if a.standfirst and not compact:
        cut = cut_at_word(a.standfirst, STANDFIRST_CHARS)
        standfirst = f'<p class="card__standfirst" dir="auto">{escape(cut)}</p>\n  '
    iso, day = _dates(a.published_at)
    media = _media(a, url, big, lazy and not big)
    classes = "card" + (" card--lead" if big else "") + (" card--pic" if media else "")
    return (
        f'<article class="{classes}">\n{media}'
        f'  <p class="card__kicker"><a href="{escape(section_url(a.section))}">'
        f"{escape(a.section.name)}</a></p>\n"
        f'  <h{level} class="card__headline" dir="auto"><a href="{url}">'
        f"{escape(a.headline)}</a></h{level}>\n  {standfirst}"
        f'<p class="card__meta">\n    {byline}'
        f'<time datetime="{iso}">{day}</time>{_counts(a, url, shares)}\n'
        "  </p>\n</article>"
    )


def cards(
    items: Iterable,
    shares: dict[int, int],
    big: bool = False,
    compact: bool = False,
    lazy: bool = True,
    level: int = 0,
) -> SafeString:
    """The cards of a list, every value escaped above."""
    return mark_safe(  # noqa: S308
        "".join(card(a, shares, big, compact, lazy, level) for a in items)
    )
