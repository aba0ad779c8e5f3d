"""Apply the search outbox to the index continuously (``make run`` starts it)."""

from __future__ import annotations

import os
import signal
import sys

from django.core.management.base import BaseCommand
from django.db import connections

from newsroom.search import indexer
from newsroom.search.backends import get_backend
from newsroom.search.management import arguments


class Command(BaseCommand):
    help = "Keep the search index following the database (the only index writer)."

    def add_arguments(self, parser) -> None:
        arguments.add_backend(parser)
        parser.add_argument(
            "--poll",
            type=arguments.number(0, 3600, above=True),
            default=0.2,
            help="seconds between outbox checks when idle",
        )
        parser.add_argument(
            "--batch-size",
            type=arguments.number(1, 1_000_000, whole=True),
            default=indexer.BATCH_SIZE,
            help="outbox rows per index commit",
        )
        parser.add_argument(
            "--once", action="store_true", help="apply what is in the outbox, then exit"
        )

    def handle(
        self, *args, backend: str, poll: float, once: bool, batch_size: int, **options
    ) -> None:
        search = get_backend(backend)
        if once:
            n = indexer.drain(search, wait=None, batch_size=batch_size)
            self.stdout.write(f"applied {n} outbox rows")
            return
        stopping = {"now": False}

        def stop(signum, frame) -> None:
            # Checked while waiting for the writer lock (a standby indexer),
            # between fill batches and between outbox batches: it exits
            # within a batch, never in the middle of a commit.
            stopping["now"] = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"search indexer for {backend!r} waiting for the writer lock")
        self.stdout.flush()
        indexer.run(
            search, poll=poll, stop=lambda: stopping["now"], batch_size=batch_size
        )
        if stopping["now"]:
            # Stopped by a signal with everything committed and reported:
            # skip the interpreter's teardown, which alone took 2-4 s on a
            # loaded machine (a supervisor waits for the exit, not a flush).
            self.stdout.write("search indexer stopped")
            self.stdout.flush()
            sys.stderr.flush()
            connections.close_all()
            os._exit(0)
