"""Health for load balancers: ``/healthz`` (alive) and ``/readyz`` (ready).

Both answer JSON with ``Cache-Control: no-store``, read no session, set no
cookie and count no read. ``/readyz`` answers 200 only when the database
answers, this machine's search index is open and complete, the outbox still
reaches its position (not pruned past it) in the database's epoch (no
restore since it was built), it is at most ``NEWSROOM_SEARCH_MAX_LAG``
seconds behind the outbox, no other running index directory reports under
this node's name, and the database has every migration this code ends on
(the last of each app); else 503 with the failing checks named. An index
the outbox no longer reaches has no rows left to count as lag: it missed
changes, and its indexer rebuilds it. Cost: one ``SELECT 1``, two one-row
reads, two indexed queries and the migrations table (a few hundred short
rows).
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

from newsroom.search import nodes
from newsroom.search.backends import get_backend
from newsroom.search.models import SearchNode


def _json(data: dict, status: int = 200) -> JsonResponse:
    response = JsonResponse(data, status=status)
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive and answering (it touches nothing else)."""
    return _json({"status": "ok"})


def _name_check(backend) -> dict:
    """This node's name is not reported by another running index directory
    (two machines under one name overwrite each other's position)."""
    name = nodes.node_name()
    row = SearchNode.objects.filter(name=name).values("instance", "state", "heartbeat")
    found = next(iter(row), None)
    if found is not None and nodes.taken_by_another(found, backend.node_id()):
        return {"ok": False, "error": nodes.clash_message(name)}
    return {"ok": True}


@cache
def needed_migrations() -> frozenset[tuple[str, str]]:
    """The last migration of each app in this code (read from disk once per
    process): a database that has them all has the schema the code reads."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    return frozenset(loader.graph.leaf_nodes())


def _missing_migrations() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations")
        applied = set(cursor.fetchall())
    return sorted(f"{app}.{name}" for app, name in needed_migrations() - applied)


@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, dict] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = {"ok": True}
    except DatabaseError as exc:
        checks["database"] = {"ok": False, "error": type(exc).__name__}
    if checks["database"]["ok"]:
        # An upgrade half done, a node started before migrate, an older
        # backup restored: pages may fail on the schema, so not ready.
        try:
            missing = _missing_migrations()
            checks["migrations"] = (
                {"ok": False, "missing": missing} if missing else {"ok": True}
            )
        except DatabaseError as exc:
            checks["migrations"] = {"ok": False, "error": type(exc).__name__}
    backend = get_backend()
    usable = backend.usable()
    checks["search_index"] = {
        "ok": usable,
        "generation": backend.live_generation(),
        "node": nodes.node_name(),
    }
    if usable and checks["database"]["ok"]:
        applied = backend.last_outbox_id()
        try:
            lag = nodes.lag(applied)
            pruned, epoch = nodes.outbox_state()
            checks["search_node"] = _name_check(backend)
        except DatabaseError as exc:
            checks["search_lag"] = {"ok": False, "error": type(exc).__name__}
        else:
            limit = settings.NEWSROOM_SEARCH_MAX_LAG
            live_epoch = backend.live_epoch()
            reached = applied >= pruned and live_epoch in (None, epoch)
            checks["search_lag"] = {
                "ok": reached and lag.seconds <= limit,
                "rebuild_needed": not reached,
                "position": applied,
                "rows": lag.rows,
                "seconds": round(lag.seconds, 1),
                "max_seconds": limit,
            }
    else:
        checks["search_lag"] = {"ok": False, "error": "no index or no database"}
    ready = all(c["ok"] for c in checks.values())
    return _json(
        {"status": "ready" if ready else "not ready", "checks": checks},
        200 if ready else 503,
    )
