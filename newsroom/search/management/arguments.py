"""Arguments the search commands share, refused by argparse when unusable:
a command run from cron or systemd must not start on a NaN, a negative
poll (the indexer spins a core) or a backend alias nobody configured."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

from django.conf import settings


def number(
    low: float, high: float, *, above: bool = False, whole: bool = False
) -> Callable[[str], float]:
    """An argparse type: a finite number in [low, high] (low excluded with
    ``above``), or a whole one with ``whole``."""

    def parse(text: str) -> float:
        try:
            value = int(text) if whole else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if (
            not math.isfinite(value)
            or value > high
            or value < low
            or (above and value == low)
        ):
            side = ">" if above else "at least"
            raise argparse.ArgumentTypeError(
                f"{text} is not {side} {low:g} and at most {high:g}"
            )
        return value

    parse.__name__ = "whole number" if whole else "number"
    return parse


DAYS = number(0, 365_000)  # a thousand years: a cutoff a date can still hold
SECONDS = number(0, 7 * 24 * 3600.0)


def add_backend(parser) -> None:
    parser.add_argument(
        "--backend",
        default="default",
        choices=sorted(settings.NEWSROOM_SEARCH_BACKENDS),
        help="backend alias (NEWSROOM_SEARCH_BACKENDS)",
    )
