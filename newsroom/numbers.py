"""Whole numbers typed by readers: ASCII digits only.

``str.isdigit()`` is true for "¹" and "²", which ``int()`` refuses (a 500
where a 400 or a plain page belongs), and ``str.isdecimal()`` admits "٣"
and other scripts' digits: ids and parameters in URLs are ASCII.
"""

from __future__ import annotations


def is_int(value: object) -> bool:
    """True for a non-empty string of the ASCII digits 0-9."""
    return isinstance(value, str) and value.isascii() and value.isdigit()
