"""Which library pictures each story's body shows (``BodyPicture``), and a
picture's edit reaching those stories.

A body places library pictures (``![alt](image:42 "caption")``); the story's
save makes each a figure in its stored HTML (``body_html``), with the
picture's alt text and credit (and its caption, unless the body gives one).
The pairs are written whenever a story's HTML is: its save (``post_save``)
and every bulk writer of it (imports, the generator, ``render_articles``:
``articles_written``), read from the HTML itself, which names each picture's
renditions by its key (``/r/<key>/``). See ``apps.py`` for the receivers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from newsroom.db.holds import hold
from newsroom.media.models import Image

from .models import Article, BodyPicture
from .rendering import render_markdown
from .signals import announce_written

# A rendition's address: ``/media/r/<key>/640w.jpg`` (media/renditions.py).
_RENDITION = re.compile(r"/r/([0-9a-f]{16})/")
# The class of a body's figure (rendering._library_images): a page without
# it shows no library picture, and is not read further.
_BODY_FIGURE = "figure--body"


def record(htmls: dict[int, str]) -> None:
    """Store which library pictures these stories show, from their HTML
    (``{story id: body_html}``), in place of what was stored for them."""
    if not htmls:
        return
    BodyPicture.objects.filter(article_id__in=list(htmls)).delete()
    shown = {
        pk: set(_RENDITION.findall(html))
        for pk, html in htmls.items()
        if _BODY_FIGURE in html
    }
    keys = set().union(*shown.values())
    if not keys:
        return
    by_key = dict(Image.objects.filter(key__in=keys).values_list("key", "pk"))
    # Held until the story's save commits: a picture deleted meanwhile is
    # left out (its deletion waits, then takes the row), where its row made
    # the foreign key fail at COMMIT.
    there = hold(Image, by_key.values())
    BodyPicture.objects.bulk_create(
        [
            BodyPicture(article_id=pk, image_id=by_key[key])
            for pk, found in shown.items()
            for key in sorted(found)
            if by_key.get(key) in there
        ],
        ignore_conflicts=True,
    )


def record_written(
    article_ids: Iterable[int], html: Mapping[int, str] | None = None
) -> None:
    """``record`` for stories a bulk writer wrote: from the HTML it wrote
    (``html``, by id), or else read back (only the stories showing a
    figure; reading every one back cost a third of an import's time)."""
    ids = list(article_ids)
    if not ids:
        return
    if html is not None and set(ids) <= set(html):
        record({pk: html[pk] for pk in ids})
        return
    BodyPicture.objects.filter(article_id__in=ids).delete()
    record(
        dict(
            Article.objects.filter(pk__in=ids, body_html__contains=_BODY_FIGURE)
            .order_by()
            .values_list("pk", "body_html")
        )
    )


def render_showing(image: Image) -> list[int]:
    """Make again the HTML of the stories whose body shows ``image``, after
    its edit: a figure keeps the alt text, caption and credit it was made
    with, so a corrected credit or alt text reached the story only at its
    next save. Written only where the Markdown is still the one the HTML is
    made from (as ``render_articles`` does: no revision, no change of the
    story's version, so an editor's open form is not made stale); the search
    index and the caches follow (``articles_written``). The ids written."""
    ids = BodyPicture.objects.filter(image_id=image.pk).values("article_id")
    written: dict[int, str] = {}
    rows = Article.objects.filter(pk__in=ids).order_by("pk")
    for pk, body, stored in rows.values_list("pk", "body", "body_html"):
        html = render_markdown(body)
        if html != stored and Article.objects.filter(pk=pk, body=body).update(
            body_html=html
        ):
            written[pk] = html
    announce_written(render_showing, list(written), html=written)
    return list(written)
