"""Whole numbers typed by readers: ASCII digits only.

``str.isdigit()`` is true for "¹" and "²", which ``int()`` refuses (a 500
where a 400 or a plain page belongs), and ``str.isdecimal()`` admits "٣"
and other scripts' digits: ids and parameters in URLs are ASCII. And
``int()`` refuses more digits than ``sys.get_int_max_str_digits()`` (4,300),
so a longer run is no number either.
"""

from __future__ import annotations

import sys


def is_int(value: object) -> bool:
    """True for a non-empty string of the ASCII digits 0-9 that ``int()`` reads."""
    if not (isinstance(value, str) and value.isascii() and value.isdigit()):
        return False
    most = sys.get_int_max_str_digits()
    return not most or len(value) <= most
