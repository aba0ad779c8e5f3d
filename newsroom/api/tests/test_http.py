"""HTTP behaviour every route shares: validators, 304, cache, CORS, limits."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.http import http_date

from newsroom.articles.tests import factories as f
from newsroom.core.models import RateCounter

pytestmark = pytest.mark.django_db

API = "/api/v1"


def test_etag_answers_304_until_the_content_changes(client):
    """If-None-Match with the current ETag is a 304 with no body; after an
    edit the ETag changes and the full answer comes back."""
    a = f.article("Before")
    first = client.get(f"{API}/articles/{a.pk}")
    etag = first["ETag"]
    again = client.get(f"{API}/articles/{a.pk}", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag
    a.headline = "After"
    a.save()
    changed = client.get(f"{API}/articles/{a.pk}", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert changed.json()["headline"] == "After"


def test_list_etag_changes_when_an_article_is_published(client):
    """A list's ETag follows its content: a new article means a new tag."""
    f.article("One")
    etag = client.get(f"{API}/articles")["ETag"]
    assert client.get(f"{API}/articles", HTTP_IF_NONE_MATCH=etag).status_code == 304
    f.article("Two")
    assert client.get(f"{API}/articles", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_if_modified_since_never_hides_a_change_the_date_does_not_show(client):
    """An article's answer shows more than its own row (its comment count,
    its section's and authors' names), and none of those move updated_at.
    So a detail answer carries no Last-Modified, a client's If-Modified-Since
    never earns a 304 that hides a new comment count or a renamed section,
    and the exact ETag is the validator (it was: 304 with the old count)."""
    a = f.article("Dated")
    url = f"{API}/articles/{a.pk}"
    first = client.get(url)
    assert "Last-Modified" not in first and first["ETag"]
    since = http_date((timezone.now() + timedelta(seconds=5)).timestamp())
    type(a).objects.filter(pk=a.pk).update(comment_count=1)  # a comment approved
    a.section.name = "Renamed"
    a.section.save()
    after = client.get(url, HTTP_IF_MODIFIED_SINCE=since)
    assert after.status_code == 200
    assert after.json()["comment_count"] == 1
    assert after.json()["section"]["name"] == "Renamed"
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200
    assert client.get(url, HTTP_IF_NONE_MATCH=after["ETag"]).status_code == 304


def test_cache_control_comes_from_the_setting(client, settings):
    """Successful reads are public for NEWSROOM_API_CACHE_SECONDS."""
    settings.NEWSROOM_API_CACHE_SECONDS = 42
    f.article("Any")
    assert client.get(f"{API}/articles")["Cache-Control"] == "public, max-age=42"


def test_cors_is_off_by_default(client):
    """With no origins configured no browser page elsewhere may read answers."""
    response = client.get(f"{API}/sections", HTTP_ORIGIN="https://partner.example")
    assert "Access-Control-Allow-Origin" not in response


def test_cors_allows_listed_origins_only(client, settings):
    """A listed origin gets its echo plus Vary: Origin; others get nothing."""
    settings.NEWSROOM_API_CORS_ORIGINS = ["https://partner.example"]
    ok = client.get(f"{API}/sections", HTTP_ORIGIN="https://partner.example")
    assert ok["Access-Control-Allow-Origin"] == "https://partner.example"
    assert "ETag" in ok["Access-Control-Expose-Headers"]
    assert "Origin" in ok["Vary"]
    other = client.get(f"{API}/sections", HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in other


def test_cors_for_any_origin_is_the_same_answer_with_or_without_origin(
    client, settings
):
    """With ``*`` every answer says ``Access-Control-Allow-Origin: *``, asked
    with an Origin or not (a 304 too): answers are public for a minute, and
    one a shared cache kept from a request without Origin (a crawler, the
    URL opened in a tab) had none, so every page elsewhere reading it from
    that cache was refused by its browser, with no Vary: Origin to keep the
    two apart."""
    settings.NEWSROOM_API_CORS_ORIGINS = ["*"]
    f.article("Any")
    bare = client.get(f"{API}/sections")
    asked = client.get(f"{API}/sections", HTTP_ORIGIN="https://partner.example")
    again = client.get(f"{API}/sections", HTTP_IF_NONE_MATCH=bare["ETag"])
    assert again.status_code == 304
    for response in (bare, asked, again):
        assert response["Access-Control-Allow-Origin"] == "*"
        assert "ETag" in response["Access-Control-Expose-Headers"]


def test_cors_preflight_is_answered(client, settings):
    """OPTIONS with Access-Control-Request-Method is a 204 naming the allowed
    methods and headers, so browsers go on to send the real request."""
    settings.NEWSROOM_API_CORS_ORIGINS = ["*"]
    response = client.options(
        f"{API}/articles",
        HTTP_ORIGIN="https://partner.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    # HEAD too: the API answers it for every GET route.
    assert response["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert response["Access-Control-Allow-Headers"] == "content-type"
    assert int(response["Access-Control-Max-Age"]) > 0


def test_options_on_an_unknown_api_path_is_404(client):
    """A preflight for a route that does not exist is the JSON 404."""
    response = client.options(
        f"{API}/nothing",
        HTTP_ORIGIN="https://a.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_cors_does_not_touch_the_rest_of_the_site(client, settings):
    """Only /api/ gets CORS headers."""
    settings.NEWSROOM_API_CORS_ORIGINS = ["*"]
    response = client.get("/robots.txt", HTTP_ORIGIN="https://partner.example")
    assert "Access-Control-Allow-Origin" not in response


def test_rate_limit_is_per_network_with_retry_after(client, settings):
    """Past the limit a network gets 429 with Retry-After; a client in another
    network still gets through; neighbours in the same /24 share the budget."""
    settings.NEWSROOM_API_RATE_LIMITS = {"read": "3/60", "write": "3/60"}
    for last in (1, 2, 3):
        ok = client.get(f"{API}/tags", REMOTE_ADDR=f"203.0.113.{last}")
        assert ok.status_code == 200
    blocked = client.get(f"{API}/tags", REMOTE_ADDR="203.0.113.77")
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "rate_limited"
    # A rolling limit weighs the last window's three against the next one's
    # room, so the wait may run past this window's end (never two periods).
    assert 1 <= int(blocked["Retry-After"]) <= 120
    assert client.get(f"{API}/tags", REMOTE_ADDR="198.51.100.1").status_code == 200


def test_rate_limit_counters_are_in_the_database(client, settings):
    """Counters live in shared rows (not a per-process cache), keyed by the
    anonymised network, never the full address."""
    settings.NEWSROOM_API_RATE_LIMITS = {"read": "100/60", "write": "3/60"}
    client.get(f"{API}/tags", REMOTE_ADDR="203.0.113.9")
    client.get(f"{API}/tags", REMOTE_ADDR="203.0.113.10")
    bucket = RateCounter.objects.get()
    assert bucket.key == "api-read:203.0.113.0/24" and bucket.count == 2
    assert bucket.expires_at > timezone.now()


def test_expired_rate_windows_are_pruned(client, settings):
    """Old windows are deleted when a new window starts, so the table stays small."""
    settings.NEWSROOM_API_RATE_LIMITS = {"read": "100/60", "write": "3/60"}
    RateCounter.objects.create(
        key="api-read:192.0.2.0/24",
        window=0,
        count=5,
        expires_at=timezone.now() - timedelta(hours=1),
    )
    client.get(f"{API}/tags", REMOTE_ADDR="203.0.113.9")
    assert list(RateCounter.objects.values_list("key", flat=True)) == [
        "api-read:203.0.113.0/24"
    ]


def test_ipv6_clients_are_limited_per_48(client, settings):
    """Two addresses in one IPv6 /48 share one budget."""
    settings.NEWSROOM_API_RATE_LIMITS = {"read": "1/60", "write": "1/60"}
    assert client.get(f"{API}/tags", REMOTE_ADDR="2001:db8:1:1::1").status_code == 200
    assert client.get(f"{API}/tags", REMOTE_ADDR="2001:db8:1:2::9").status_code == 429
    assert client.get(f"{API}/tags", REMOTE_ADDR="2001:db8:2::1").status_code == 200


def test_a_burst_across_a_window_turn_does_not_get_the_budget_twice(client, settings):
    """A client that spends its budget at the end of one window is not given
    it whole again at the start of the next: the limit holds over any
    ``period`` seconds (a fixed window let 2 x limit through in a moment)."""
    settings.NEWSROOM_API_RATE_LIMITS = {"read": "3/2", "write": "3/2"}
    while not 1.4 <= time.time() % 2 < 1.5:  # the last half second of a window
        time.sleep(0.01)
    for _ in range(3):
        assert client.get(f"{API}/tags").status_code == 200
    time.sleep(2 - time.time() % 2 + 0.05)  # just past the window's turn
    refused = client.get(f"{API}/tags")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1


def test_rate_limits_can_live_in_a_named_shared_cache(client, settings):
    """With NEWSROOM_LIMITS_STORE naming a cache alias, counters go there
    (atomic add + incr) instead of the database, with the same 429."""
    settings.CACHES = {
        **settings.CACHES,
        "ratelimits": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "api-rate-test",
        },
    }
    settings.NEWSROOM_LIMITS_STORE = "ratelimits"
    settings.NEWSROOM_API_RATE_LIMITS = {"read": "2/60", "write": "2/60"}
    from django.core.cache import caches

    caches["ratelimits"].clear()
    assert client.get(f"{API}/tags").status_code == 200
    assert client.get(f"{API}/tags").status_code == 200
    assert client.get(f"{API}/tags").status_code == 429
    assert not RateCounter.objects.exists()
