"""Pictures in RSS and Atom: Media RSS ``<media:content>`` with credit and caption.

A feed item passes ``image=<describe.rendition dict + caption/credit>`` through
``item_extra_kwargs``; items without one are written as before.
"""

from __future__ import annotations

from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed

MEDIA_NS = "http://search.yahoo.com/mrss/"


class _MediaMixin:
    def root_attributes(self):
        attrs = super().root_attributes()
        attrs["xmlns:media"] = MEDIA_NS
        return attrs

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        image = item.get("image")
        if not image:
            return
        handler.startElement(
            "media:content",
            {
                "url": image["url"],
                "type": image["type"],
                "medium": "image",
                "width": str(image["width"]),
                "height": str(image["height"]),
            },
        )
        if image.get("alt"):
            handler.addQuickElement("media:title", image["alt"])
        if image.get("caption"):
            handler.addQuickElement("media:description", image["caption"])
        if image.get("credit"):
            handler.addQuickElement("media:credit", image["credit"])
        handler.endElement("media:content")


class MediaRssFeed(_MediaMixin, Rss201rev2Feed):
    pass


class MediaAtomFeed(_MediaMixin, Atom1Feed):
    pass
