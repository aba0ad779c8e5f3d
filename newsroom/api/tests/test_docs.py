"""docs/api.md lists every route, and the docs page loads nothing from elsewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
METHODS = {"get", "post", "put", "patch", "delete"}


def schema_routes(client) -> list[str]:
    schema = client.get("/api/v1/openapi.json").json()
    return sorted(
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method in item
        if method in METHODS
    )


@pytest.mark.django_db
def test_every_route_in_the_schema_is_in_docs_api_md(client):
    """A route added to any router without a line in docs/api.md fails here."""
    docs = (ROOT / "docs" / "api.md").read_text()
    routes = schema_routes(client)
    assert "GET /api/v1/articles" in routes
    missing = [r for r in routes if f"`{r}`" not in docs]
    assert not missing, f"routes missing from docs/api.md: {missing}"


@pytest.mark.django_db
def test_docs_api_md_lists_no_route_that_does_not_exist(client):
    """A route removed from the code must leave the docs too."""
    docs = (ROOT / "docs" / "api.md").read_text()
    documented = set(
        re.findall(r"`((?:GET|POST|PUT|PATCH|DELETE) /api/v1/[^`]*)`", docs)
    )
    # The schema and the docs page are served by ninja outside the schema.
    documented -= {"GET /api/v1/openapi.json", "GET /api/v1/docs"}
    stale = sorted(documented - set(schema_routes(client)))
    assert not stale, f"docs/api.md lists routes that do not exist: {stale}"


@pytest.mark.django_db
def test_schema_documents_the_error_shape_on_every_route(client):
    """Every operation documents its 4xx answers with the one error schema."""
    schema = client.get("/api/v1/openapi.json").json()
    for path, item in schema["paths"].items():
        for method, op in item.items():
            errors = {
                code: r for code, r in op["responses"].items() if code.startswith("4")
            }
            assert {"422", "429"} <= set(errors), (method, path)
            for response in errors.values():
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorOut"), (method, path)


@pytest.mark.django_db
def test_docs_page_uses_local_static_files_only(client):
    """The Swagger page's scripts and styles come from this site's /static/."""
    html = client.get("/api/v1/docs").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    assert all(a.startswith("/static/") for a in assets), assets
    assert '"validatorUrl": null' in html


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_docs_page_renders_the_schema_without_any_outside_request(live_server, page):
    """In Chromium the docs page lists the routes, and every request it makes
    goes to this server (no CDN, no validator badge)."""
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(f"{live_server.url}/api/v1/docs")
    page.get_by_text("/api/v1/articles/by-slug/{slug}").first.wait_for()
    assert requested
    outside = [
        u
        for u in requested
        if not u.startswith(live_server.url) and not u.startswith("data:")
    ]
    assert not outside, outside
