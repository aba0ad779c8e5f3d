"""Search in the public API: the results page's search, as JSON.

Same engine, query language, filters, facets, snippets and sort as
``/search/``: the parameters go through ``service.read_params`` and the search
through ``service.run``, exactly as the page does. Only articles that are
public *now* are returned: the index holds only those, and ``run`` checks the
hits against the database in case the indexer lags.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime
from typing import Annotated, Literal

from django.conf import settings
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    QueryDict,
)
from django.urls import reverse
from ninja import Field, Query, Router, Schema

from newsroom.api.caching import set_max_age
from newsroom.api.errors import ApiError, ErrorOut
from newsroom.api.types import READ_ERRORS, Slug
from newsroom.articles.models import Author, Section, Tag
from newsroom.articles.renames import renamed_query
from newsroom.core.links import absolute_url
from newsroom.net import client_network
from newsroom.numbers import is_int

from .backends.base import IndexUnavailable, Sort
from .service import MAX_PAGE, PAGE_SIZE, RETRY_AFTER, read_params, run

router = Router(tags=["search"])

SEARCH_CACHE_SECONDS = 30  # fresher than lists: new articles show up quickly
MAX_Q = 500
SortName = Literal["recent", "relevance", "newest", "oldest"]


class NamedRef(Schema):
    slug: str
    name: str


class SearchHitOut(Schema):
    id: int
    score: float
    headline: str
    headline_html: str = Field(description="Escaped, matches in <mark>.")
    snippet_html: str = Field(description="Escaped, matches in <mark>.")
    url: str
    api_url: str
    published_at: datetime
    section: NamedRef
    authors: list[NamedRef]
    via_alias: list[str] = Field(description="Alias groups that matched.")


class FacetOut(Schema):
    key: str
    label: str
    count: int


class AdjustedOut(Schema):
    """What the engine's cost rules changed, as the reader wrote it (the
    notices say the same in words; docs/search.md, "Limits")."""

    narrowed: list[str] = Field(
        description="Phrases of words most articles have (and such phrases "
        "ending in a prefix): looked for in headlines and names, and in the "
        "standfirsts and texts of articles from narrowed_from on only."
    )
    narrowed_from: date | None = Field(
        description="The first day of the oldest month read for them (null: none read)."
    )
    not_in_texts: list[str] = Field(
        description="Prefixes of words most articles have: looked for in "
        "headlines, standfirsts and names, not in article texts."
    )
    left_out: list[str] = Field(
        description="OR alternatives left out of an AND of OR chains that "
        "would read too much (the commonest words)."
    )
    phrases_left_out: list[str] = Field(
        description="Phrases of words most articles have past the 8 searched "
        "and 8 excluded a search keeps (an exclusion with its '-')."
    )


class SearchOut(Schema):
    q: str
    query: str = Field(description="The query as understood (normalised).")
    total: int = Field(description="Exact, or an estimate when total_exact is false.")
    total_exact: bool
    total_min: int = Field(description="The exact count is at least this.")
    total_max: int = Field(description="The exact count is at most this.")
    page: int
    page_size: int
    hits: list[SearchHitOut]
    facets: dict[str, list[FacetOut]] = Field(
        description="section, author, tag (slugs) and month (YYYYMM)."
    )
    facets_over: int | None = Field(
        description="Facet counts are of this many matches only (null: all)."
    )
    facets_by: Literal["newest", "relevance"] = Field(
        description="Which matches facets_over counts: the newest, or the best "
        "by relevance (the hits a recency-ranked page chose from)."
    )
    sort: SortName
    respelled: str = Field(description="Nothing matched q; these hits are for this.")
    did_you_mean: str
    fuzzy: bool = Field(description="Hits found by typo-tolerant matching.")
    notices: list[str] = Field(description="Parameters that were adjusted.")
    adjusted: AdjustedOut
    next: str | None


def _month_name(key: str) -> str:
    """ "202611" -> "November 2026" (the page's label for a month facet)."""
    if not (is_int(key) and len(key) == 6 and 1 <= int(key[4:]) <= 12):
        return key
    return f"{calendar.month_name[int(key[4:])]} {key[:4]}"


def _labels(facets: dict) -> dict[str, list[dict]]:
    models = {"section": Section, "author": Author, "tag": Tag}
    out: dict[str, list[dict]] = {}
    for key, values in facets.items():
        names = {}
        if key in models and values:
            names = dict(
                models[key]
                .objects.filter(slug__in=[v.key for v in values])
                .values_list("slug", "name")
            )
        if key == "month":
            names = {v.key: _month_name(v.key) for v in values}
        out[key] = [
            {
                "key": v.key,
                "count": v.count,
                "label": v.label or names.get(v.key, v.key),
            }
            for v in values
        ]
    return out


def _hit(hit) -> dict:
    return {
        "id": hit.id,
        "score": float(hit.score),
        "headline": hit.headline,
        "headline_html": hit.headline_html or "",
        "snippet_html": hit.snippet_html or "",
        "url": absolute_url(reverse("web:article", args=[hit.slug])),
        "api_url": absolute_url(f"/api/v1/articles/{hit.id}"),
        "published_at": hit.published_at,
        "section": {"slug": hit.section[0], "name": hit.section[1]},
        "authors": [{"slug": s, "name": n} for s, n in hit.authors],
        "via_alias": list(hit.via_alias),
    }


@router.get(
    "/search",
    response={200: SearchOut, **READ_ERRORS, 503: ErrorOut},
    summary="Search public articles, as the results page does",
)
def search(
    request: HttpRequest,
    response: HttpResponse,
    q: Annotated[
        str,
        Query(
            "",
            max_length=MAX_Q,
            description=(
                'Words; "a phrase", -exclude, prefix*, OR. '
                "Syntax errors are not errors."
            ),
        ),
    ],
    section: Annotated[Slug | None, Query(None)],
    author: Annotated[Slug | None, Query(None)],
    tag: Annotated[Slug | None, Query(None)],
    year: Annotated[int | None, Query(None, ge=1, le=9999)],
    month: Annotated[int | None, Query(None, ge=1, le=12, description="With year.")],
    date_from: Annotated[date | None, Query(None, alias="from")],
    date_to: Annotated[date | None, Query(None, alias="to")],
    sort: Annotated[SortName, Query(Sort.RECENT)],
    page: Annotated[int, Query(1, ge=1, le=MAX_PAGE)],
):
    """Ranked hits with highlighted snippets, facet counts and spelling help."""
    given = QueryDict(mutable=True)
    for key, value in {
        "q": q,
        "section": section,
        "author": author,
        "tag": tag,
        "year": year,
        "month": month,
        "from": date_from,
        "to": date_to,
        "sort": sort,
        "page": page,
    }.items():
        if value not in (None, ""):
            given[key] = value.isoformat() if isinstance(value, date) else str(value)
    params = read_params(given)
    try:
        outcome = run(params, network=client_network(request))
    except IndexUnavailable:
        raise ApiError(
            503,
            "search_unavailable",
            "Search is not available on this server yet; try again shortly.",
            headers={"Retry-After": str(RETRY_AFTER), "Cache-Control": "no-store"},
        ) from None
    results = outcome.results
    if not (results and results.hits) and (moved := renamed_query(request.GET)):
        # A filter on a slug an editor has since changed: the same search.
        return HttpResponsePermanentRedirect(
            absolute_url(f"{request.path}?{moved.urlencode()}")
        )
    # service.run checked the hits against the database (public now) and
    # took the ones it dropped off the total.
    hits = list(results.hits) if results else []
    total = results.total if results else 0
    next_url = None
    if total > params.page * PAGE_SIZE and params.page < MAX_PAGE:
        more = request.GET.copy()
        more["page"] = str(params.page + 1)
        next_url = absolute_url(f"{request.path}?{more.urlencode()}")
    set_max_age(
        response, min(SEARCH_CACHE_SECONDS, settings.NEWSROOM_API_CACHE_SECONDS)
    )
    return {
        "q": params.q,
        "query": outcome.query.to_text(),
        "total": total,
        "total_exact": results.total_exact if results else True,
        "total_min": results.total_min if results else 0,
        "total_max": results.total_max if results else 0,
        "page": params.page,
        "page_size": PAGE_SIZE,
        "hits": [_hit(h) for h in hits],
        "facets": _labels(results.facets) if results else {},
        "facets_over": results.facets_over if results else None,
        "facets_by": results.facets_by if results else "newest",
        "sort": params.sort,
        "respelled": outcome.respelled,
        "did_you_mean": outcome.did_you_mean,
        "fuzzy": outcome.fuzzy,
        "notices": list(params.problems),
        "adjusted": {
            "narrowed": list(results.narrowed) if results else [],
            "narrowed_from": results.narrowed_from if results else None,
            "not_in_texts": list(results.not_in_texts) if results else [],
            "left_out": list(results.left_out) if results else [],
            "phrases_left_out": list(results.phrases_left_out) if results else [],
        },
        "next": next_url,
    }
