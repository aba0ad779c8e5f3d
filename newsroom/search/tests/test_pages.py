"""The results page, the suggestions endpoint, aliases and the query log."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from newsroom.articles.tests import factories as f
from newsroom.search import analytics
from newsroom.search.models import AliasGroup, SearchQuery

pytestmark = pytest.mark.django_db


def page(client, **params) -> str:
    response = client.get("/search/", params)
    assert response.status_code == 200
    return response.content.decode()


def hits(html: str) -> list[str]:
    return re.findall(r'search-hit__headline"><a href="/article/([^/]+)/', html)


def test_results_show_count_headline_section_date_byline_snippet(
    client, search_backend, index_now
):
    """A hit shows headline, section, date, byline and a highlighted snippet;
    the page shows the total and keeps the query in the box."""
    f.article(
        "Aid groups warn of water crisis",
        body="Families flee the city as water runs short.",
        section_name="World",
        authors=("Amira Haddad",),
    )
    index_now()
    html = page(client, q="water crisis")
    assert "<strong>1</strong> result " in html
    assert "Aid groups warn of <mark>water</mark> <mark>crisis</mark>" in html
    assert "<mark>water</mark> runs short" in html
    assert 'href="/section/world/">World</a>' in html
    assert "Amira Haddad" in html and "<time datetime=" in html
    assert 'name="q"\n                 value="water crisis"' in html
    assert 'href="/static/search/search.css"' in html


def test_stored_and_typed_script_stay_text(client, search_backend, index_now):
    """A <script> in a stored headline or in the query is shown as text."""
    f.article("How <script>alert(1)</script> got in", standfirst="<script>x</script>")
    index_now()
    html = page(client, q="script")
    assert "<script>" not in html
    assert "&lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt;" in html
    typed = page(client, q='<script>alert(1)</script> "script')
    assert "<script>alert" not in typed
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in typed  # the query, echoed


def test_pagination_ten_per_page(client, search_backend, index_now):
    """Ten hits a page, with links to the next and previous pages."""
    for n in range(23):
        f.article(f"Harbour report {n}", body="harbour")
    index_now()
    first = page(client, q="harbour")
    assert "<strong>23</strong> results" in first and len(hits(first)) == 10
    assert "page 1 of 3" in first and 'rel="next" href="?q=harbour&amp;page=2"' in first
    third = page(client, q="harbour", page=3)
    assert len(hits(third)) == 3 and 'rel="prev"' in third
    assert set(hits(first)).isdisjoint(hits(page(client, q="harbour", page=2)))
    assert "Ignored" not in page(client, q="harbour", page="junk")
    assert "Results stop at page 100" in page(client, q="harbour", page="5000")


def test_facets_and_filters(client, search_backend, index_now):
    """Facet counts by section, author, tag and date; a facet link filters;
    a date range filters; bad values are named and ignored, never a 500."""
    old = timezone.now() - timedelta(days=800)
    f.article(
        "Flood in the valley",
        body="flood",
        section_name="World",
        tags=("Weather",),
        authors=("Ann Author",),
    )
    f.article(
        "Flood insurance costs",
        body="flood",
        section_name="Business",
        authors=("Bo Writer",),
        published_at=old,
    )
    index_now()
    html = page(client, q="flood")
    assert re.search(
        r'section=business">Business</a> <span class="facet__count">1', html
    )
    assert "Weather</a>" in html and "Ann Author</a>" in html
    assert f">{old.year}</a>" in html
    only = page(client, q="flood", section="business")
    assert hits(only) == ["flood-insurance-costs"]
    assert 'aria-current="true"' in only
    dated = page(client, q="flood", **{"from": (old + timedelta(days=1)).date()})
    assert hits(dated) == ["flood-in-the-valley"]
    by_year = page(client, q="flood", year=old.year)
    assert hits(by_year) == ["flood-insurance-costs"]
    assert f"{old.strftime('%B')} {old.year}</a>" in by_year  # its months
    bad = page(client, q="flood", section="<x>", year="abc", **{"from": "soon"})
    assert "Ignored an invalid section." in bad and len(hits(bad)) == 2
    assert "not YYYY-MM-DD" in bad


def test_sorts(client, search_backend, index_now):
    """Newest and oldest reorder the hits; the default is recency-aware."""
    f.article(
        "Bridge opens", body="bridge", published_at=timezone.now() - timedelta(days=300)
    )
    f.article("Bridge closes", body="bridge")
    index_now()
    assert hits(page(client, q="bridge", sort="oldest"))[0] == "bridge-opens"
    assert hits(page(client, q="bridge", sort="newest"))[0] == "bridge-closes"
    assert hits(page(client, q="bridge"))[0] == "bridge-closes"


def test_did_you_mean_and_automatic_retry(client, search_backend, index_now):
    """A misspelling with no results is retried respelled, and the page says
    so; a typo the vocabulary cannot fix falls back to fuzzy matching."""
    f.article("Fighters open gaps in Raqqa's old city wall", body="The wall.")
    f.article("Troops squeeze last pocket in Mosul", body="The old city.")
    index_now()
    html = page(client, q="Raqa")
    assert "No results for &ldquo;Raqa&rdquo;. Showing results for" in html
    assert "<strong>raqqa</strong>" in html and len(hits(html)) == 1
    html = page(client, q="Mosol")
    assert "<strong>mosul</strong>" in html and len(hits(html)) == 1
    html = page(client, q="pokcet")  # not in the headline vocabulary's 2 letters
    assert "similar spellings" in html or "Showing results for" in html
    assert len(hits(html)) == 1


def test_alias_group_from_admin_applies_and_says_so(client, search_backend, index_now):
    """An editor's alias group finds the other names; the hit says it matched
    through the alias; the stopword alias "IS" does not match everything."""
    f.article("Daesh fighters retreat", body="They left.")
    f.article("The weather is fine", body="It is sunny.")
    index_now()
    editor = get_user_model().objects.create_superuser("ed", "ed@example.com", "pw")
    client.force_login(editor)
    response = client.post(
        "/admin/search/aliasgroup/add/",
        {"terms": "ISIS | ISIL | IS | Daesh", "enabled": "on"},
    )
    assert response.status_code == 302
    client.logout()
    html = page(client, q="ISIS")
    assert hits(html) == ["daesh-fighters-retreat"]
    assert "Matched through the alias group ISIS | ISIL | IS | Daesh" in html
    direct = page(client, q="daesh")
    assert "Matched through" not in direct


def test_suggest_json(client, search_backend, index_now):
    """GET /search/suggest gives words and headlines (its speed is measured in
    bench/search.py's suggest class, not here: timed tests fail under load)."""
    f.article("Coalition fighters breach Raqqa wall", body="x")
    index_now()
    data = client.get("/search/suggest", {"q": "raq"}).json()
    assert data["terms"] == ["raqqa"]
    assert data["headlines"] == [
        {
            "headline": "Coalition fighters breach Raqqa wall",
            "url": "/article/coalition-fighters-breach-raqqa-wall/",
        }
    ]
    assert client.get("/search/suggest", {"q": "coalition fi"}).json()["terms"] == [
        "coalition fighters"
    ]
    assert client.get("/search/suggest", {"q": "r"}).json()["terms"] == []


def test_query_log_without_personal_data_and_admin_report(
    client, search_backend, index_now
):
    """Searches are counted per query and day with their result counts and
    nothing personal; the admin shows top and zero-result queries for a
    chosen period."""
    f.article("Harbour", body="harbour")
    index_now()
    for q in ("Harbour", "harbour ", "zzzxq", "harbour"):
        page(client, q=q)
    page(client, q="harbour", page=2)  # later pages are not new searches
    analytics.flush()
    rows = list(SearchQuery.objects.values("query", "searches", "zero_hits", "results"))
    assert sorted(
        (r["query"], r["searches"], r["zero_hits"], r["results"]) for r in rows
    ) == [
        ("harbour", 3, 0, 1),
        ("zzzxq", 1, 1, 0),
    ]
    fields = {f.name for f in SearchQuery._meta.get_fields()}
    assert fields == {"id", "query", "day", "searches", "zero_hits", "results"}
    SearchQuery.objects.create(
        query="ancient",
        day=timezone.localdate() - timedelta(days=20),
        searches=1,
        zero_hits=1,
    )
    editor = get_user_model().objects.create_superuser("ed", "ed@example.com", "pw")
    client.force_login(editor)
    week = client.get("/admin/search/searchquery/?days=7").content.decode()
    assert re.search(r"harbour</a></td><td>3</td>", week)
    assert "zzzxq" in week and "ancient" not in week
    month = client.get("/admin/search/searchquery/?days=30").content.decode()
    assert "ancient" in month


def test_what_readers_search_for_is_shown_only_to_those_given_it():
    """The report is the search queries' list: a reporter or a comment
    moderator (no permission on search queries; the admin's index lists no
    Search for them) typing its address read every query readers made,
    names and all. They are refused as Django refuses any list they may not
    see; an editor (what readers look for is an editor's lead) and an
    administrator still read it."""
    from newsroom.articles.tests.desk_helpers import account, logged_in

    SearchQuery.objects.create(
        query="jane doe address", day=timezone.localdate(), searches=2
    )
    report = "/admin/search/searchquery/"
    for name, role in (("rita", "reporter"), ("mo", "moderator")):
        response = logged_in(account(name, role)).get(report)
        assert response.status_code == 403, (role, response.status_code)
        assert "jane doe" not in response.content.decode()
    for name, role in (("eddie", "editor"), ("ada", "administrator")):
        shown = logged_in(account(name, role)).get(report)
        assert shown.status_code == 200, (role, shown.status_code)
        assert "jane doe address" in shown.content.decode()


def test_empty_query_shows_help(client, search_backend):
    """No query and no filter: a help text, no search."""
    html = page(client)
    assert "All words must match" in html


def test_alias_group_terms_parse():
    """Alias terms split on | or new lines, trimmed, without duplicates."""
    group = AliasGroup(terms="Raqqa | Raqa\nRakka |  | Raqa")
    assert group.term_list() == ["Raqqa", "Raqa", "Rakka"]
