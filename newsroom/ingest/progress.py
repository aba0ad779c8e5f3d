"""Progress: a rich bar (count, rate, ETA) on a terminal, plain lines otherwise."""

from __future__ import annotations

import time
from typing import TextIO

from .conf import conf


def make_progress(mode: str, stream: TextIO, total_bytes: int):
    if mode == "auto":
        mode = "bar" if getattr(stream, "isatty", lambda: False)() else "lines"
    if mode == "bar":
        return BarProgress(stream, total_bytes)
    if mode == "lines":
        every = conf.NEWSROOM_IMPORT_PROGRESS_SECONDS
        return LineProgress(stream, total_bytes, every)
    return NoProgress()


class NoProgress:
    def update(self, count: int, done_bytes: int | None) -> None:
        pass

    def close(self, summary) -> None:
        pass


class LineProgress:
    """One line every few seconds: count, rate, how far into the input, ETA."""

    def __init__(self, stream: TextIO, total_bytes: int, every: float) -> None:
        self.stream, self.total, self.every = stream, total_bytes, float(every)
        self.started = self.last = time.monotonic()
        self.count = 0
        self.done = 0

    def update(self, count: int, done_bytes: int | None) -> None:
        self.count = count
        if done_bytes is not None:
            self.done = done_bytes
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            self.stream.write(self.line(now) + "\n")
            self.stream.flush()

    def line(self, now: float) -> str:
        elapsed = max(now - self.started, 1e-9)
        rate = self.count / elapsed
        text = f"progress: {self.count} records, {rate:.0f}/s"
        if self.total and self.done:
            share = min(self.done / self.total, 1.0)
            eta = elapsed * (1 - share) / share if share else 0
            text += f", {share:.0%} of input, ETA {eta:.0f}s"
        return text

    def close(self, summary) -> None:
        pass


class BarProgress:
    def __init__(self, stream: TextIO, total_bytes: int) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("importing"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TextColumn("{task.fields[count]} records"),
            TextColumn("{task.fields[rate]}/s"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(file=stream),
            transient=False,
        )
        # The bar advances by bytes of input (known up front), so the ETA is
        # honest even when the number of records is not known.
        self.task = self.progress.add_task(
            "import", total=total_bytes or None, count=0, rate=0
        )
        self.started = time.monotonic()
        self.progress.start()

    def update(self, count: int, done_bytes: int | None) -> None:
        rate = count / max(time.monotonic() - self.started, 1e-9)
        kwargs = {"count": count, "rate": f"{rate:.0f}"}
        if done_bytes is not None:
            kwargs["completed"] = done_bytes
        self.progress.update(self.task, **kwargs)

    def close(self, summary) -> None:
        self.progress.stop()
