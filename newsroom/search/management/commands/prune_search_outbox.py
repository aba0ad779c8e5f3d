"""Delete outbox rows old enough that every live search node has applied them."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Max
from django.utils import timezone

from newsroom.search import nodes
from newsroom.search.backends import get_backend
from newsroom.search.management import arguments
from newsroom.search.models import IndexChange

log = logging.getLogger("newsroom.search.nodes")


class Command(BaseCommand):
    help = (
        "Delete search outbox rows older than --days that every live search "
        "node has applied (nodes report themselves from run_indexer). A node "
        "silent for longer than NEWSROOM_SEARCH_NODE_TIMEOUT is left out and "
        "rebuilds from the database when it returns."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=arguments.DAYS, default=7.0)
        arguments.add_backend(parser)

    def handle(self, *args, days: float, backend: str, **options) -> None:
        if days < 0:
            raise CommandError("--days must be zero or more")
        local = get_backend(backend).last_outbox_id()
        applied, silent = nodes.prune_bound(fallback=local)
        for node in silent:
            since = node.heartbeat.isoformat(timespec="seconds")
            message = (
                f"search node {node.name!r} silent since {since} (at "
                f"#{node.applied}): no longer kept; it rebuilds on return"
            )
            log.warning(message)
            self.stderr.write(message)
        cutoff = timezone.now() - timedelta(days=days)
        doomed = IndexChange.objects.filter(id__lte=applied, created_at__lt=cutoff)
        through = doomed.aggregate(m=Max("id"))["m"]
        if through is not None:
            nodes.record_prune(through)  # before the delete: never understated
        deleted, _ = doomed.filter(id__lte=through or 0).delete()
        self.stdout.write(
            f"deleted {deleted} outbox rows applied by every live node (up to "
            f"#{applied}) and older than {days:g} days"
        )
