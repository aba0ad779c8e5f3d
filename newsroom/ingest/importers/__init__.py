"""One module per source format; each turns a source into records.

An importer is ``read(path, ctx) -> Iterator[Record | BadRecord]``: it parses
and validates, nothing more. ``ctx`` carries the command's options and lets
the importer report how far into the file it is (for the progress bar).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..records import BadRecord, Record
from ..sources import FORMATS, Opened, shown

Reader = Callable[[Path, "ReadContext"], Iterator[Record | BadRecord]]


@dataclass
class ReadContext:
    section: str = ""
    url: str = ""  # set when the source was fetched from a URL
    root: Path | None = None  # the directory imported, when it is one
    encoding: str = ""  # a CSV's encoding (--encoding); "" for UTF-8 or a BOM's
    opened: list[Opened] = field(default_factory=list)
    # A WordPress export's attachments by post id: {"url", "alt", "caption",
    # "parent"}; read after the whole file, when pictures are brought in.
    attachments: dict[str, dict[str, str]] = field(default_factory=dict)

    def relative(self, path: Path) -> str:
        """The file's path under the imported directory (its name otherwise)."""
        if self.root is not None:
            try:
                return path.relative_to(self.root).as_posix()
            except ValueError:
                pass
        return path.name

    def name(self, path: Path) -> str:
        """The file as positions print it: relative, invisible characters escaped."""
        return shown(self.relative(path))

    def track(self, opened: Opened) -> Opened:
        self.opened.append(opened)
        return opened

    def bytes_done(self) -> int:
        return sum(o.done for o in self.opened)


def reader_for(fmt: str) -> Reader:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    return importlib.import_module(f"{__name__}.{fmt}").read
