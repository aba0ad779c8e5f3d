"""Two index directories under one node name (two machines cloned from one
image keep one host name; a copied settings file keeps NEWSROOM_NODE_NAME).

Each report overwrote the other's in the one ``SearchNode`` row: the
position that ``prune_search_outbox`` keeps rows for, and what
``search_status`` and ``/readyz`` say, flipped between two replicas every
heartbeat, and nothing said there were two. Now each index directory keeps
an id of its own (``node-id``); a name held by another directory whose
indexer is running is refused, said in the log, and that node's
``/readyz`` is 503 naming the clash until it has a name of its own."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from newsroom.articles.tests import factories as f
from newsroom.search.indexer import drain
from newsroom.search.models import SearchNode

from .test_nodes import _no_hole_grace, as_node  # noqa: F401


def running(name: str) -> None:
    """As the row of an indexer that is running (it reported just now)."""
    SearchNode.objects.filter(name=name).update(
        state=SearchNode.State.FOLLOWING, heartbeat=timezone.now()
    )


@pytest.mark.django_db
def test_a_second_index_directory_cannot_take_a_running_nodes_name(
    settings, tmp_path, client, caplog
):
    f.article("Harbour reopens")
    first = as_node(settings, "web", tmp_path / "first")
    drain(first, wait=10)
    row = SearchNode.objects.get(name="web")
    assert row.instance == first.node_id() != ""
    running("web")
    assert client.get("/readyz").status_code == 200

    f.article("Ferry timetable changes")
    second = as_node(settings, "web", tmp_path / "second")
    assert second.node_id() != first.node_id()
    with caplog.at_level(logging.ERROR, logger="newsroom.search"):
        drain(second, wait=10)
    assert "search node name 'web' is reported by another index directory" in (
        caplog.text
    )
    kept = SearchNode.objects.get(name="web")
    assert (kept.instance, kept.generation, kept.applied) == (
        row.instance,
        row.generation,
        row.applied,
    )
    response = client.get("/readyz")
    assert response.status_code == 503, response.json()
    check = response.json()["checks"]["search_node"]
    assert check["ok"] is False and "another index directory" in check["error"]

    # The first directory's node still answers ready under its name.
    as_node(settings, "web", tmp_path / "first")
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_the_name_passes_on_when_its_indexer_stopped_or_went_silent(
    settings, tmp_path, client
):
    """A machine rebuilt with an empty disk keeps its name: once the old
    directory's indexer stopped cleanly, or has not reported for a minute
    (it crashed), the new directory takes the name over."""
    f.article("Harbour reopens")
    drain(as_node(settings, "web", tmp_path / "old"), wait=10)
    SearchNode.objects.filter(name="web").update(state=SearchNode.State.STOPPED)
    new = as_node(settings, "web", tmp_path / "new")
    drain(new, wait=10)
    assert SearchNode.objects.get(name="web").instance == new.node_id()
    assert client.get("/readyz").status_code == 200

    SearchNode.objects.filter(name="web").update(
        state=SearchNode.State.FOLLOWING,
        heartbeat=timezone.now() - timedelta(minutes=5),
    )
    newer = as_node(settings, "web", tmp_path / "newer")
    drain(newer, wait=10)
    assert SearchNode.objects.get(name="web").instance == newer.node_id()


@pytest.mark.django_db
def test_the_directory_id_survives_restarts_and_rebuilds(settings, tmp_path):
    """The id is the directory's, not the process's: a restart or a rebuild
    of the same directory keeps its name."""
    f.article("Harbour reopens")
    backend = as_node(settings, "web", tmp_path / "index")
    drain(backend, wait=10)
    before = backend.node_id()
    running("web")
    again = as_node(settings, "web", tmp_path / "index")
    assert again.node_id() == before
    drain(again, wait=10)
    assert SearchNode.objects.get(name="web").instance == before


@pytest.mark.django_db
def test_an_indexer_of_the_release_before_can_still_register(settings):
    """During a rolling upgrade (docs/operations.md, "Upgrades") the old
    release's indexer inserts its row without the new column: the database
    fills it in (Django drops a field's default from the schema unless it is
    a ``db_default``, and the insert failed NOT NULL on PostgreSQL)."""
    from django.db import connection

    table = SearchNode._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (name, generation, applied, state, started_at,"
            " heartbeat) VALUES (%s, '', 0, 'following', %s, %s)",
            ["old-release", timezone.now(), timezone.now()],
        )
    assert SearchNode.objects.get(name="old-release").instance == ""
