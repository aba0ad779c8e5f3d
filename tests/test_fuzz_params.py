"""Crafted query parameters never give a 500: listings, search page and API.

The first tests replay the values that once failed (an impossible date, an
offset past year 9999, a 65-bit id, a lone surrogate in an API cursor). The
property tests then let hypothesis build values of every kind for every
listing's and the search page's query parameters, and cursors for every API
route that pages: each answer is below 500 (the test client re-raises a view's
exception, so a failure shows its traceback).
"""

from __future__ import annotations

import base64
import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from newsroom.articles.tests import factories as f
from newsroom.core import params
from newsroom.search.tests.conftest import backend_settings

pytestmark = pytest.mark.django_db

EXAMPLES = 150
CURSOR_EXAMPLES = 300
FUZZ = hsettings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

LISTINGS = ["/section/world/", "/tag/syria/", "/author/amira-haddad/"]
CRAFTED_BEFORE = [
    "2026-02-30T00:00~1",
    "2026-13-01T00:00~1",
    "2026-01-01T25:00~1",
    "9999-12-31T23:59:59-14:00~1",
    "0001-01-01T00:00+14:00~1",
    "2026-01-01T00:00~99999999999999999999999",
    "2026-01-01T00:00~¹",
    "2026-01-01T00:00+99:99~1",
    "\x00~1",
]


def pack(values) -> str:
    raw = json.dumps(values).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# Each paged route with the cursors that once gave it a 500.
BY_DATE = [
    pack(["2026-02-30T00:00:00", 1]),
    pack(["9999-12-31T23:59:59-14:00", 1]),
    pack(["0001-01-01T00:00:00+14:00", 1]),
    pack(["\ud800", 1]),
    pack(["2026-01-01T00:00:00", 2**64]),
    pack(["2026-01-01T00:00:00", True]),
    pack([None, None]),
]
BY_NAME = [pack(["\ud800", 1]), pack(["a\x00", 1]), pack(["a", 2**64])]
CRAFTED_CURSORS = [
    ("/api/v1/articles", BY_DATE),
    ("/api/v1/articles/{id}/comments", BY_DATE),
    ("/api/v1/tags", BY_NAME),
    ("/api/v1/authors", BY_NAME),
    ("/api/v1/sections", [pack([1, "\ud800", 1]), pack([2**64, "a", 1])]),
]
API_PAGED = [route for route, _ in CRAFTED_CURSORS]


@pytest.fixture
def site(settings, tmp_path):
    settings.NEWSROOM_SEARCH_BACKENDS = backend_settings(tmp_path / "search")
    settings.NEWSROOM_API_RATE_READ = "1000000/60"
    settings.NEWSROOM_SEARCH_RATE = "1000000/60"
    for n in range(3):
        story = f.article(
            f"Story {n}",
            section_name="World",
            tags=("Syria",),
            authors=("Amira Haddad",),
        )
    # The node's index, filled as its indexer would (a node with no index
    # answers search with 503, which is not what these tests are about).
    from newsroom.search.backends import get_backend, reset_backends
    from newsroom.search.indexer import drain

    reset_backends()
    drain(get_backend(), wait=10)
    yield story
    reset_backends()


@pytest.mark.parametrize("before", CRAFTED_BEFORE)
@pytest.mark.parametrize("listing", LISTINGS)
def test_crafted_before_cursor_is_the_first_page_not_a_500(
    client, site, listing, before
):
    """A listing treats a cursor it cannot read as no cursor: 200, first page."""
    response = client.get(listing, {"before": before})
    assert response.status_code == 200
    assert b"Story 2" in response.content


@pytest.mark.parametrize(
    "route,cursor",
    [(route, cursor) for route, cursors in CRAFTED_CURSORS for cursor in cursors],
)
def test_crafted_api_cursor_is_400_bad_cursor(client, site, route, cursor):
    """An impossible date, an offset past 9999, a lone surrogate: 400 bad_cursor."""
    response = client.get(route.format(id=site.pk), {"cursor": cursor})
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "bad_cursor"


# -- property tests ----------------------------------------------------------

digits = st.integers(min_value=0, max_value=10**21).map(str)
stamp = st.builds(
    "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}{}".format,
    st.integers(0, 99999),
    st.integers(0, 14),
    st.integers(0, 33),
    st.integers(0, 26),
    st.integers(0, 61),
    st.sampled_from(["", "Z", "+14:00", "-14:00", "+99:99", " 05:30", ".999999"]),
)
any_text = st.text(max_size=80)
value = st.one_of(
    any_text,
    digits,
    stamp,
    st.builds("{}~{}".format, stamp, st.one_of(digits, any_text)),
    st.sampled_from(CRAFTED_BEFORE + ["recent", "relevance", "oldest", "-1", "0"]),
)


def answer(client: Client, url: str, query: dict) -> int:
    # QueryDict encodes a lone surrogate as a replacement character, as a
    # real request's bytes would arrive; NUL too is a real request's byte.
    return client.get(url, query).status_code


@pytest.mark.slow
@FUZZ
@given(listing=st.sampled_from(LISTINGS), before=value)
def test_listing_parameters_never_give_500(client, site, listing, before):
    """Section, tag and author pages under any ``before`` value."""
    assert answer(client, listing, {"before": before}) < 500


SEARCH_NAMES = [
    "q",
    "section",
    "author",
    "tag",
    "year",
    "month",
    "from",
    "to",
    "sort",
    "page",
    "more",
]


@pytest.mark.slow
@FUZZ
@given(query=st.dictionaries(st.sampled_from(SEARCH_NAMES), value, max_size=6))
def test_search_page_parameters_never_give_500(client, site, query):
    """The results page and suggestions under any mix of their parameters."""
    assert answer(client, "/search/", query) < 500
    assert answer(client, "/search/suggest", {"q": query.get("q", "")}) < 500


@pytest.mark.slow
@FUZZ
@given(query=st.dictionaries(st.sampled_from(SEARCH_NAMES[:-1]), value, max_size=6))
def test_search_api_parameters_never_give_500(client, site, query):
    """The search API: every parameter typed, checked, never a 500."""
    assert answer(client, "/api/v1/search", query) < 500


json_value = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | stamp,
    lambda inner: st.lists(inner, max_size=4),
    max_leaves=6,
)
api_cursor = st.one_of(
    st.lists(json_value, min_size=1, max_size=3).map(pack),
    st.builds(lambda a, b: pack([a, b]), stamp, st.integers(-(2**70), 2**70)),
    any_text,
)


@pytest.mark.slow
@hsettings(
    max_examples=CURSOR_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(route=st.sampled_from(API_PAGED), cursor=api_cursor)
def test_api_cursors_never_give_500(client, site, route, cursor):
    """Every paged API route answers a forged cursor with 200 or a 4xx."""
    response = client.get(route.format(id=site.pk), {"cursor": cursor})
    assert response.status_code < 500, response.content


def test_moment_accepts_what_a_listing_writes_and_nothing_unstorable():
    """The cursor helper reads its own cursors and refuses the edge of time."""
    assert params.position("2026-03-01T10:00:00+00:00~7")[1] == 7
    assert params.position("2026-03-01T10:00:00 00:00~7") is not None
    assert params.moment("9999-12-31T23:59:59-14:00") is None
    assert params.moment("2026-02-30T00:00") is None
    assert params.number("¹") is None
    assert params.number(str(2**63)) is None
    assert params.text("\ud800") is None
