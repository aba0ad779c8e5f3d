"""/healthz and /readyz: what a load balancer asks each node."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from newsroom.articles.tests import factories as f
from newsroom.search.indexer import drain
from newsroom.search.models import IndexChange
from newsroom.search.tests.conftest import search_backend  # noqa: F401
from newsroom.shares import reads

pytestmark = pytest.mark.django_db


def test_healthz_is_alive_json_and_never_cached(client):
    """/healthz answers 200 JSON, no-store, with no cookie set."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"
    assert not response.cookies


def test_readyz_follows_the_index_and_its_lag(
    client,
    settings,
    search_backend,  # noqa: F811
    monkeypatch,
):
    """Not ready without a complete index; ready once it is live and caught up;
    not ready again when the outbox waits longer than NEWSROOM_SEARCH_MAX_LAG."""
    # PostgreSQL: ids other tests used are not transactions in flight here.
    monkeypatch.setattr("newsroom.search.indexer.HOLE_GRACE", 0.0)
    settings.NEWSROOM_SEARCH_MAX_LAG = 30
    f.article("Ready story")
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["search_index"]["ok"] is False
    drain(search_backend, wait=10)
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["search_lag"]["rows"] == 0
    assert response["Cache-Control"] == "no-store"
    f.article("Waiting story")
    IndexChange.objects.filter(id__gt=search_backend.last_outbox_id()).update(
        created_at=timezone.now() - timedelta(seconds=31)
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    lag = response.json()["checks"]["search_lag"]
    assert lag["ok"] is False and lag["seconds"] >= 31 and lag["rows"] >= 1


def test_health_checks_count_no_read_and_set_no_cookie(client, search_backend):  # noqa: F811
    """Probes every second must not inflate read counts or start sessions."""
    reads.buffer.clear()
    for path in ("/healthz", "/readyz"):
        response = client.get(path, HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux)")
        assert not response.cookies
    assert reads.buffer.pending() == 0
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


def test_readyz_is_not_ready_while_migrations_are_missing(
    client,
    monkeypatch,
    search_backend,  # noqa: F811
):
    """A node whose database lacks a migration this code needs (an upgrade
    half done, a restore of an older backup, a node restarted before
    ``migrate``) is not ready: every page it serves may be a 500. /readyz
    answered 200 there (the shares app migrated back to zero: every page
    500, /readyz 200), so the load balancer kept sending readers to it."""
    from django.db import connection

    from newsroom.web import health

    monkeypatch.setattr("newsroom.search.indexer.HOLE_GRACE", 0.0)
    drain(search_backend, wait=10)
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["migrations"] == {"ok": True}
    app, name = sorted(health.needed_migrations())[-1]
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM django_migrations WHERE app = %s AND name = %s", [app, name]
        )
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == {
        "ok": False,
        "missing": [f"{app}.{name}"],
    }
