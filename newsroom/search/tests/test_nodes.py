"""Search nodes: registration, safe pruning, rebuilds when the outbox no longer
reaches back, crash-safe first fills, 503 without an index, prompt SIGTERM."""

from __future__ import annotations

import logging
import signal
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from newsroom.articles.models import Article
from newsroom.articles.tests import factories as f
from newsroom.search import nodes
from newsroom.search.backends import get_backend, reset_backends
from newsroom.search.backends.base import IndexUnavailable, SearchRequest
from newsroom.search.backends.tantivy_store import (
    META_ID,
    SCHEMA_VERSION,
    open_index,
    tantivy,
)
from newsroom.search.indexer import drain
from newsroom.search.models import IndexChange, SearchNode
from newsroom.search.query import parse

from .conftest import backend_settings
from .processes import IndexerProcess, wait_for


@pytest.fixture(autouse=True)
def _no_hole_grace(monkeypatch):
    """On PostgreSQL earlier tests moved the id sequence on: the ids below
    this test's first row look like transactions in flight and would hold
    the watermark back for HOLE_GRACE seconds. None is in flight here."""
    monkeypatch.setattr("newsroom.search.indexer.HOLE_GRACE", 0.0)


def found(backend, text: str) -> list[int]:
    return [h.id for h in backend.search(SearchRequest(parse(text), limit=50)).hits]


def prune_everything() -> None:
    """Every row old and applied elsewhere, then prune_search_outbox."""
    IndexChange.objects.update(created_at=timezone.now() - timedelta(days=30))
    call_command("prune_search_outbox", "--days", "7")


def outbox_gone() -> None:
    """As another machine's prune (or an import with --no-outbox) leaves it:
    the outbox no longer reaches back to the first article."""
    through = IndexChange.objects.order_by("-id").values_list("id", flat=True)
    nodes.record_prune(through.first() or 0)
    IndexChange.objects.all().delete()


def as_node(settings, name: str, path) -> object:
    """Switch this process to node ``name`` with its index under ``path``."""
    settings.NEWSROOM_NODE_NAME = name
    settings.NEWSROOM_SEARCH_BACKENDS = backend_settings(path)
    return get_backend()


@pytest.mark.django_db
def test_no_index_answers_503_never_an_empty_result(search_backend, client):
    """Before its first fill is live, a node answers the results page, the API
    and suggestions with 503 and Retry-After, and the page says why."""
    f.article("Glacier retreat measured")
    assert not search_backend.usable()
    with pytest.raises(IndexUnavailable):
        search_backend.search(SearchRequest(parse("glacier")))
    page = client.get("/search/", {"q": "glacier"})
    assert page.status_code == 503
    assert int(page["Retry-After"]) > 0
    assert "not available on this server yet" in page.content.decode()
    api = client.get("/api/v1/search", {"q": "glacier"})
    assert api.status_code == 503 and api["Retry-After"]
    assert api.json()["error"]["code"] == "search_unavailable"
    assert client.get("/search/suggest", {"q": "glac"}).status_code == 503
    drain(search_backend, wait=10)
    assert client.get("/search/", {"q": "glacier"}).status_code == 200


@pytest.mark.django_db
def test_empty_live_index_left_by_a_crashed_fill_is_rebuilt(
    search_backend, caplog, client
):
    """An older release's crash left an empty generation live with watermark
    0 and the outbox was pruned: search answers 503 (not 0 results), and the
    indexer's next start rebuilds from the database, loudly."""
    arts = [f.article(f"Harbour crane {n}", body="harbour") for n in range(3)]
    outbox_gone()
    assert not IndexChange.objects.exists()
    # As the old first run left it: a live generation holding only metadata.
    store = search_backend.store
    generation = store.new_generation()
    index = open_index(store.path(generation))
    writer = index.writer(15_000_000, 1)
    meta = tantivy.Document()
    meta.add_integer("id", META_ID)
    meta.add_integer("outbox", 0)
    meta.add_integer("schema", SCHEMA_VERSION)
    writer.add_document(meta)
    writer.commit()
    writer.wait_merging_threads()
    store.point_to(generation)
    assert not search_backend.usable()
    assert client.get("/search/", {"q": "harbour"}).status_code == 503
    with caplog.at_level(logging.WARNING, logger="newsroom.search"):
        drain(search_backend, wait=10)
    assert "fill that never completed" in caplog.text
    assert sorted(found(search_backend, "harbour")) == sorted(a.pk for a in arts)
    assert search_backend.live_generation() != generation


@pytest.mark.django_db
def test_prune_keeps_what_a_live_node_needs(settings, tmp_path, search_backend):
    """Two nodes: while one is behind, prune keeps every row it has not applied,
    whatever the other node applied."""
    settings.NEWSROOM_NODE_NAME = "ahead"
    f.article("First story")
    drain(search_backend, wait=10)
    behind = SearchNode.objects.get(name="ahead").applied
    SearchNode.objects.create(
        name="behind",
        applied=behind,
        state=SearchNode.State.STOPPED,
        started_at=timezone.now(),
        heartbeat=timezone.now() - timedelta(hours=1),
    )
    for n in range(3):
        f.article(f"Later story {n}")
    drain(search_backend, wait=10)
    assert SearchNode.objects.get(name="ahead").applied > behind
    IndexChange.objects.update(created_at=timezone.now() - timedelta(days=30))
    call_command("prune_search_outbox", "--days", "7")
    assert not IndexChange.objects.filter(id__lte=behind).exists()
    assert IndexChange.objects.filter(id__gt=behind).count() >= 3
    assert nodes.pruned_through() == behind


@pytest.mark.django_db
def test_a_silent_node_is_dropped_and_rebuilds_when_it_returns(
    settings, tmp_path, caplog, capsys
):
    """The issue's failure: prune ran while one node's indexer was stopped; that
    node missed a new article and kept a stale headline, silently. Now a node
    silent past NEWSROOM_SEARCH_NODE_TIMEOUT is dropped from the rule with a
    warning, and on its return it sees the outbox no longer reaches its
    position, logs it, rebuilds and converges."""
    settings.NEWSROOM_SEARCH_NODE_TIMEOUT = 60
    old = f.article("Mayor opens bridge")
    a = as_node(settings, "a", tmp_path / "a")
    drain(a, wait=10)
    b = as_node(settings, "b", tmp_path / "b")
    drain(b, wait=10)
    # Node b's indexer stops; a goes on with an edit and a new article.
    SearchNode.objects.filter(name="b").update(
        heartbeat=timezone.now() - timedelta(hours=2)
    )
    old.headline = "Mayor closes bridge"
    old.save()
    new = f.article("Ferry service resumes")
    a = as_node(settings, "a", tmp_path / "a")
    drain(a, wait=10)
    with caplog.at_level(logging.WARNING):
        prune_everything()
    assert "search node 'b' silent since" in caplog.text
    assert "'b'" in capsys.readouterr().err
    b = as_node(settings, "b", tmp_path / "b")
    assert found(b, "ferry") == []  # b's old index, still served meanwhile
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="newsroom.search"):
        drain(b, wait=10)
    assert "below what the outbox still holds" in caplog.text
    assert found(b, "ferry") == [new.pk]
    assert found(b, "closes") == [old.pk] and found(b, "opens") == []
    reset_backends()


@pytest.mark.django_db
def test_search_status_prints_each_node(settings, search_backend, capsys):
    """search_status lists every node with its position, lag and generation."""
    settings.NEWSROOM_NODE_NAME = "web-1"
    f.article("Status story")
    drain(search_backend, wait=10)
    f.article("Not yet applied")
    call_command("search_status")
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("web-1"))
    node = SearchNode.objects.get(name="web-1")
    assert f"#{node.applied}" in line and node.generation in line
    assert line.split()[3] == "2"  # lag in rows: the new article's two rows
    assert "outbox pruned through #0" in out


def generate(count: int, **options) -> None:
    call_command(
        "generate_articles",
        count=count,
        jobs=1,
        builtin_vocabulary=True,
        seed=7,
        verbosity=0,
        **options,
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("delay", [0.5, 1.5, 3.0])
def test_kill_9_during_a_first_fill_over_a_pruned_outbox(
    search_backend, tmp_path, delay
):
    """kill -9 at several points of a first fill, with the outbox pruned: the
    node never has an incomplete index live (it answers 503 or all of it),
    and the restarted indexer discards the half-filled generation, fills
    anew and has every public article."""
    generate(1500)
    outbox_gone()
    public = Article.objects.published().count()
    proc = IndexerProcess(tmp_path).start()
    try:
        time.sleep(delay)
        proc.kill(signal.SIGKILL)
        reset_backends()
        backend = get_backend()
        if backend.usable():
            assert len(backend.document_ids()) == public
        else:
            with pytest.raises(IndexUnavailable):
                backend.search(SearchRequest(parse("the")))
        proc = IndexerProcess(tmp_path).start()
        wait_for(backend.usable, timeout=120, interval=0.2)
        assert len(backend.document_ids()) == public
        gens = {p.name for p in backend.store.root.glob("gen-*")}
        assert backend.live_generation() in gens
        # The torso is gone: a generation beside the live one may stay only
        # if its fill completed (killed between sealing and going live, or
        # finished before the kill on a quiet machine), never half-filled.
        assert all(backend.store.is_sealed(g) for g in gens), gens
    finally:
        proc.kill(signal.SIGKILL)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_sigterm_stops_a_standby_and_a_running_indexer_within_2_s(
    search_backend, tmp_path
):
    """A standby indexer (another holds the writer lock) and the running one
    both exit within 2 s of SIGTERM; the running one reports itself stopped."""
    f.article("Before anything")
    drain(search_backend, wait=10)
    running = IndexerProcess(tmp_path).start()
    wait_for(
        lambda: (
            SearchNode.objects.filter(state=SearchNode.State.FOLLOWING)
            .filter(heartbeat__gt=timezone.now() - timedelta(seconds=1))
            .exists()
        ),
        timeout=30,
    )
    standby = IndexerProcess(tmp_path).start()
    waiting = "waiting for the writer lock"
    # Booted, its SIGTERM handler set, and waiting for the lock.
    wait_for(lambda: standby.log.read_text().count(waiting) >= 2, timeout=30)
    try:
        for proc in (standby, running):
            assert proc.proc.poll() is None
            start = time.monotonic()
            proc.proc.send_signal(signal.SIGTERM)
            proc.proc.wait(timeout=10)
            assert time.monotonic() - start < 2.0
        assert SearchNode.objects.get().state == SearchNode.State.STOPPED
    finally:
        standby.kill()
        running.kill()
