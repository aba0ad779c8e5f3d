"""Where each machine's search index stands: position, lag, generation."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from newsroom.search import nodes
from newsroom.search.models import SearchNode


class Command(BaseCommand):
    help = (
        "Print each search node's outbox position, lag (rows and seconds), "
        "generation, state and last heartbeat, and how far the outbox was pruned."
    )

    def handle(self, *args, **options) -> None:
        now = timezone.now()
        timeout = nodes.node_timeout()
        pruned = nodes.pruned_through()
        rows = []
        for node in SearchNode.objects.all():
            lag = nodes.lag(node.applied)
            silent = now - node.heartbeat
            note = "silent: dropped from pruning" if silent > timeout else ""
            if node.applied < pruned:
                note = "below the pruned outbox: rebuilds on start"
            rows.append(
                [
                    node.name,
                    node.state,
                    f"#{node.applied}",
                    str(lag.rows),
                    f"{lag.seconds:.1f}",
                    node.generation or "-",
                    f"{silent.total_seconds():.0f}",
                    note,
                ]
            )
        head = ["node", "state", "position", "lag rows", "lag s", "generation"]
        head += ["heartbeat s ago", "note"]
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
        for row in [head, *rows]:
            cells = zip(row, widths, strict=True)
            self.stdout.write("  ".join(c.ljust(w) for c, w in cells).rstrip())
        if not rows:
            self.stdout.write("no search node has reported (is run_indexer running?)")
        self.stdout.write(f"outbox pruned through #{pruned}")
