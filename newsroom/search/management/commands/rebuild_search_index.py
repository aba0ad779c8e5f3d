"""Build a fresh search index from the database and swap it in atomically."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from newsroom.search import indexer
from newsroom.search.backends import get_backend
from newsroom.search.management import arguments


class Command(BaseCommand):
    help = (
        "Rebuild the search index into a new directory and swap it in; "
        "searches keep answering from the old one meanwhile."
    )

    def add_arguments(self, parser) -> None:
        arguments.add_backend(parser)
        parser.add_argument(
            "--wait",
            type=arguments.SECONDS,
            default=120.0,
            help="seconds to wait for a running indexer to swap",
        )

    def handle(self, *args, backend: str, wait: float, **options) -> None:
        search = get_backend(backend)
        started = time.monotonic()

        def progress(n: int) -> None:
            if n and n % 10000 == 0:
                self.stdout.write(f"  {n} documents")

        try:
            generation, count = indexer.rebuild(search, wait=wait, progress=progress)
        except (TimeoutError, NotImplementedError) as exc:
            raise CommandError(str(exc)) from exc
        took = time.monotonic() - started
        self.stdout.write(
            f"rebuilt {count} documents into {generation} in {took:.1f} s; it is live"
        )
