"""Search nodes: every machine's indexer reports where its index stands.

A node is one index directory and the indexer that writes it. The indexer
registers its name, live generation, applied outbox position and a
heartbeat in the database (``SearchNode``), so that

- ``prune_search_outbox`` never deletes rows a live node still needs;
- a node whose position fell below what the outbox still holds knows it
  must rebuild (``OutboxPrune`` says how far the outbox was cut);
- ``manage.py search_status`` and ``/readyz`` can tell how far behind it is.
"""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Min
from django.utils import timezone

from .conf import conf
from .models import IndexChange, OutboxPrune, SearchNode

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 2.0  # an idle indexer still reports this often


def node_name() -> str:
    """``NEWSROOM_NODE_NAME``, else the host name: unique per index directory."""
    return conf.NEWSROOM_NODE_NAME or socket.gethostname()


def node_timeout() -> timedelta:
    return timedelta(seconds=settings.NEWSROOM_SEARCH_NODE_TIMEOUT)


# A name another index directory reports under is its own while its indexer
# runs: it reported within this many seconds and did not stop cleanly. A
# running indexer reports every HEARTBEAT_SECONDS, a fill every batch.
CLAIM_SECONDS = 60.0


class NameTaken(Exception):
    """This node's name is reported by another index directory that runs."""


def taken_by_another(held: Mapping, instance: str, now: datetime | None = None) -> bool:
    """Whether a node's row (its ``instance``, ``state`` and ``heartbeat``)
    holds the name for another running directory than ``instance``."""
    if not held["instance"] or not instance or held["instance"] == instance:
        return False
    if held["state"] == SearchNode.State.STOPPED:
        return False
    heartbeat: datetime = held["heartbeat"]
    return ((now or timezone.now()) - heartbeat).total_seconds() < CLAIM_SECONDS


def clash_message(name: str) -> str:
    return (
        f"search node name {name!r} is reported by another index directory "
        "whose indexer is running; give each machine its own "
        "NEWSROOM_NODE_NAME (this node is not ready until then)"
    )


def report(
    generation: str | None,
    applied: int,
    state: str = SearchNode.State.FOLLOWING,
    *,
    started: datetime | None = None,
    instance: str = "",
) -> None:
    """Record this node's position and a heartbeat (one locked upsert);
    ``NameTaken`` when another running index directory holds the name."""
    now = timezone.now()
    name = node_name()
    values = {
        "generation": generation or "",
        "applied": int(applied),
        "state": state,
        "heartbeat": now,
    }
    if instance:
        values["instance"] = instance
    if started is not None:
        values["started_at"] = started
    with transaction.atomic():
        row = SearchNode.objects.select_for_update().filter(name=name).first()
        if row is None:
            try:
                with transaction.atomic():
                    SearchNode.objects.create(
                        name=name, **{"started_at": now, **values}
                    )
                return
            except IntegrityError:  # another directory created it meanwhile
                row = SearchNode.objects.select_for_update().get(name=name)
        held = {k: getattr(row, k) for k in ("instance", "state", "heartbeat")}
        if taken_by_another(held, instance, now):
            raise NameTaken(clash_message(name))
        SearchNode.objects.filter(pk=row.pk).update(**values)


def live_nodes(now: datetime | None = None):
    """Nodes heard from within the timeout, stopped ones too: an indexer
    stopped for a restart or an upgrade must find its rows when it returns."""
    cutoff = (now or timezone.now()) - node_timeout()
    return SearchNode.objects.filter(heartbeat__gte=cutoff)


def pruned_through() -> int:
    """The highest outbox id that may have been deleted (0: none ever)."""
    return outbox_state()[0]


def outbox_state() -> tuple[int, str]:
    """(pruned through, epoch) in one query."""
    row = OutboxPrune.objects.filter(pk=1).values_list("pruned_through", "epoch")
    return next(iter(row), (0, ""))


def new_epoch() -> str:
    """After a restore: every index built before must rebuild."""
    epoch = uuid.uuid4().hex
    with transaction.atomic():
        row, _ = OutboxPrune.objects.select_for_update().get_or_create(
            pk=1, defaults={"pruned_at": timezone.now()}
        )
        row.epoch = epoch
        row.save()
    return epoch


def prune_bound(fallback: int) -> tuple[int, list[SearchNode]]:
    """The highest outbox id every live node has applied, and the nodes left
    out of the rule because they have been silent too long. ``fallback`` (the
    local index's position) applies when no node is live."""
    cutoff = timezone.now() - node_timeout()
    bound = live_nodes().aggregate(m=Min("applied"))["m"]
    silent = list(SearchNode.objects.filter(heartbeat__lt=cutoff))
    return (fallback if bound is None else bound), silent


def record_prune(through: int) -> None:
    with transaction.atomic():
        row, _ = OutboxPrune.objects.select_for_update().get_or_create(
            pk=1, defaults={"pruned_at": timezone.now()}
        )
        if through > row.pruned_through:
            row.pruned_through = through
            row.pruned_at = timezone.now()
            row.save()


@dataclass(frozen=True)
class Lag:
    rows: int  # outbox rows past the position
    seconds: float  # age of the oldest of them (0 when none)


def lag(applied: int) -> Lag:
    """How far an index at outbox position ``applied`` is behind (two
    indexed queries: the oldest unapplied row and the highest id)."""
    first = (
        IndexChange.objects.filter(id__gt=applied)
        .order_by("id")
        .values_list("created_at", flat=True)
        .first()
    )
    if first is None:
        return Lag(0, 0.0)
    high = IndexChange.objects.aggregate(m=Max("id"))["m"] or applied
    seconds = max(0.0, (timezone.now() - first).total_seconds())
    return Lag(max(0, high - applied), seconds)
