"""Search and share counts through the API."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from newsroom.articles.tests import factories as f
from newsroom.search import aliases
from newsroom.search.backends import get_backend, reset_backends
from newsroom.search.indexer import drain
from newsroom.search.tests.conftest import backend_settings
from newsroom.shares.counters import share_counts
from newsroom.shares.models import Network, ShareCount

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def index(tmp_path, settings):
    """A fresh tantivy index for this test; call it to apply the outbox."""
    settings.NEWSROOM_SEARCH_BACKENDS = backend_settings(tmp_path / "search")
    aliases.clear()
    backend = get_backend()
    yield lambda: drain(backend, wait=10)
    reset_backends()
    aliases.clear()


def test_search_matches_the_results_page(client, index):
    """Same engine, same ranking: the API's hits are the page's, in order,
    with highlighted snippets and facet counts."""
    for i in range(3):
        f.article(
            f"Reservoir levels fall {i}",
            section_name="Science",
            body="The reservoir is low after a dry summer.",
            tags=("Water",),
        )
    f.article(
        "Reservoir plan approved",
        section_name="Politics",
        body="Parliament approved a new reservoir.",
    )
    f.article("Nothing related", body="Football results.")
    index()
    data = client.get(f"{API}/search?q=reservoir").json()
    assert data["total"] == 4
    page = client.get("/search/?q=reservoir").content.decode()
    slugs = re.findall(r'href="/article/([^/"]+)/"', page)
    api_slugs = [h["url"].rstrip("/").rsplit("/", 1)[1] for h in data["hits"]]
    assert api_slugs == list(dict.fromkeys(s for s in slugs if s in api_slugs))
    assert all("<mark>" in h["headline_html"] + h["snippet_html"] for h in data["hits"])
    sections = {v["key"]: v["count"] for v in data["facets"]["section"]}
    assert sections == {"science": 3, "politics": 1}
    assert {v["label"] for v in data["facets"]["section"]} == {"Science", "Politics"}
    now = timezone.now()
    assert data["facets"]["month"][0]["label"] == now.strftime("%B %Y")


def test_search_filters_sort_and_query_language(client, index):
    """Filters narrow, sort=oldest orders by date, -word excludes, "phrases" hold."""
    now = timezone.now()
    old = f.article(
        "Harbour ferry returns",
        section_name="World",
        body="The old ferry is back.",
        published_at=now - timedelta(days=9),
    )
    new = f.article(
        "Harbour ferry delayed",
        section_name="Business",
        body="Storms delay the ferry.",
        published_at=now - timedelta(days=1),
    )
    index()

    def ids(query: str) -> list[int]:
        response = client.get(f"{API}/search?{query}")
        assert response.status_code == 200, response.content
        return [h["id"] for h in response.json()["hits"]]

    assert ids("q=ferry&section=world") == [old.pk]
    assert ids("q=ferry&sort=oldest") == [old.pk, new.pk]
    assert ids("q=ferry&sort=newest") == [new.pk, old.pk]
    assert ids("q=ferry+-storms") == [old.pk]
    assert ids("q=%22ferry+delayed%22") == [new.pk]


def test_search_never_returns_a_non_public_article(client, index):
    """A scheduled article is in the index but not in the API's hits."""
    f.article("Eclipse tonight", body="The eclipse.")
    f.article(
        "Eclipse tomorrow",
        body="The eclipse.",
        status="scheduled",
        published_at=timezone.now() + timedelta(days=1),
    )
    index()
    data = client.get(f"{API}/search?q=eclipse").json()
    assert [h["headline"] for h in data["hits"]] == ["Eclipse tonight"]


def test_search_syntax_errors_are_not_errors(client, index):
    """Unbalanced quotes and stray operators still answer 200."""
    index()
    for q in ['"unclosed', "((((", "-", "OR OR", "*"]:
        assert client.get(f"{API}/search", {"q": q}).status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "page=0",
        "page=101",
        "sort=best",
        "year=0",
        "month=13",
        "from=soon",
        "q=" + "x" * 501,
    ],
)
def test_search_bad_values_are_422(client, index, query):
    """Out-of-range pages, unknown sorts and bad dates are 422, never 500."""
    response = client.get(f"{API}/search?{query}")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"


def test_search_next_link_pages_through(client, index):
    """`next` is set while more hits remain and reaches the rest."""
    for i in range(12):
        f.article(f"Glacier report {i}", body="Glacier ice.")
    index()
    first = client.get(f"{API}/search?q=glacier").json()
    assert len(first["hits"]) == 10 and first["next"]
    second = client.get(first["next"]).json()
    assert len(second["hits"]) == 2 and second["next"] is None
    assert not {h["id"] for h in first["hits"]} & {h["id"] for h in second["hits"]}


def test_share_counts_list_every_network(client):
    """Every network is listed, zeros included, with the total."""
    a = f.article("Shared")
    ShareCount.objects.create(article=a, network=Network.X, count=4)
    ShareCount.objects.create(article=a, network=Network.EMAIL, count=1)
    data = client.get(f"{API}/articles/{a.pk}/shares").json()
    counts = {n["network"]: n["count"] for n in data["networks"]}
    assert counts == {**dict.fromkeys(Network.values, 0), "x": 4, "email": 1}
    assert data["total"] == 5
    assert {n["label"] for n in data["networks"]} >= {"X", "Email"}


def test_share_counts_follow_the_share_links(client):
    """A share through the site's own share button (a POST) shows in the API count."""
    a = f.article("Spread")
    before = share_counts(a.pk)["facebook"]
    ua = "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"
    url = reverse("shares:share", args=["facebook", str(a.pk)])
    client.post(url, HTTP_USER_AGENT=ua, REMOTE_ADDR="203.0.113.7")
    data = client.get(f"{API}/articles/{a.pk}/shares").json()
    facebook = next(n for n in data["networks"] if n["network"] == "facebook")
    assert facebook["count"] == before + 1


def test_share_counts_of_a_draft_are_404(client):
    """Only public articles have share counts in the API."""
    draft = f.article("Draft", status="draft")
    response = client.get(f"{API}/articles/{draft.pk}/shares")
    assert response.status_code == 404
