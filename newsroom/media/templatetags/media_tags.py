"""``{% figure image "lead" %}`` and ``{% picture image "thumb" %}`` in templates."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from .. import html

register = template.Library()


@register.simple_tag
def figure(image, layout: str = "lead", lazy: bool = False, css_class: str = "figure"):
    if image is None:
        return ""
    return html.figure(image, layout, lazy=lazy, css_class=css_class)


@register.simple_tag
def picture(image, layout: str = "thumb", lazy: bool = True, css_class: str = ""):
    if image is None:
        return SafeString("")
    return html.picture(image, layout, lazy=lazy, css_class=css_class)
