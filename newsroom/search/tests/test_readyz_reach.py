"""/readyz on a node whose index the database no longer reaches: the outbox
was pruned past it, or the database was restored since it was built."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from newsroom.articles.tests import factories as f
from newsroom.search import nodes
from newsroom.search.indexer import drain
from newsroom.search.models import SearchNode

from .test_nodes import _no_hole_grace, as_node, found, prune_everything  # noqa: F401


@pytest.mark.django_db
def test_readyz_is_not_ready_on_an_index_below_the_pruned_outbox(
    settings, tmp_path, client
):
    """Node b's indexer stopped; a went on (an edit, a new story) and the
    outbox was pruned past b. b's web server still served b's old index,
    and /readyz said 200 with no lag: nothing after b's position is left in
    the outbox to count, so the load balancer kept sending readers to a
    replica that missed the changes (search_status alone said "rebuilds on
    start")."""
    settings.NEWSROOM_SEARCH_NODE_TIMEOUT = 60
    settings.NEWSROOM_SEARCH_MAX_LAG = 30
    old = f.article("Mayor opens bridge")
    drain(as_node(settings, "a", tmp_path / "a"), wait=10)
    drain(as_node(settings, "b", tmp_path / "b"), wait=10)
    SearchNode.objects.filter(name="b").update(
        heartbeat=timezone.now() - timedelta(hours=2)
    )
    old.headline = "Mayor closes bridge"
    old.save()
    f.article("Ferry service resumes")
    drain(as_node(settings, "a", tmp_path / "a"), wait=10)
    prune_everything()
    b = as_node(settings, "b", tmp_path / "b")
    assert found(b, "ferry") == []  # b's index missed it
    response = client.get("/readyz")
    assert response.status_code == 503, response.json()
    assert response.json()["checks"]["search_lag"]["ok"] is False


@pytest.mark.django_db
def test_readyz_is_not_ready_on_an_index_of_an_earlier_epoch(
    settings, tmp_path, client
):
    """After a restore (a new epoch) a node's index describes the database
    before it; its outbox position may even be above every id the restored
    outbox holds, so it counted no lag and /readyz said 200."""
    settings.NEWSROOM_SEARCH_MAX_LAG = 30
    f.article("Written after the backup")
    b = as_node(settings, "b", tmp_path / "b")
    drain(b, wait=10)
    nodes.new_epoch()  # manage.py restore
    response = client.get("/readyz")
    assert response.status_code == 503, response.json()
