"""Reader-facing search: the results page and the autocomplete endpoint."""

from __future__ import annotations

import calendar
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from newsroom.articles.models import Author, Section, Tag

from .backends import get_backend
from .backends.base import Sort
from .query import clean
from .service import MAX_PAGE, PAGE_SIZE, Outcome, Params, read_params, run

SUGGEST_MAX_CHARS = 100


def _link(params: Params, **changes) -> str:
    values = params.as_dict()
    values.pop("page", None)
    for key, value in changes.items():
        if value in (None, ""):
            values.pop(key, None)
        else:
            values[key] = str(value)
    return "?" + urlencode(values)


def _names(model, keys: list[str]) -> dict[str, str]:
    if not keys:
        return {}
    return dict(model.objects.filter(slug__in=keys).values_list("slug", "name"))


def _facet_groups(outcome: Outcome) -> list[dict]:
    results, params = outcome.results, outcome.params
    if not results or not results.facets:
        return []
    f = params.filters
    groups = []
    for key, title, model, active in (("section", "Section", Section, f.section),
                                      ("author", "Author", Author, f.author),
                                      ("tag", "Tag", Tag, f.tag)):
        values = results.facets.get(key, [])
        names = _names(model, [v.key for v in values])
        items = [{"label": names.get(v.key, v.key), "count": v.count,
                  "active": v.key == active,
                  "url": _link(params, **{key: "" if v.key == active else v.key})}
                 for v in values]
        if items:
            groups.append({"key": key, "title": title, "items": items})
    months = results.facets.get("month", [])
    years: dict[int, int] = {}
    for v in months:
        years[int(v.key) // 100] = years.get(int(v.key) // 100, 0) + v.count
    items = [{"label": str(y), "count": n, "active": y == f.year,
              "url": _link(params, year="" if y == f.year else y, month="")}
             for y, n in sorted(years.items(), reverse=True)]
    if f.year:
        for v in sorted(months, key=lambda v: -int(v.key)):
            y, m = divmod(int(v.key), 100)
            if y == f.year:
                items.append({"label": f"{calendar.month_name[m]} {y}",
                              "count": v.count, "active": m == f.month, "month": True,
                              "url": _link(params, year=y,
                                           month="" if m == f.month else m)})
    if items:
        groups.append({"key": "date", "title": "Date", "items": items})
    return groups


def _pages(outcome: Outcome) -> dict:
    total, page = outcome.results.total, outcome.params.page
    last = min(MAX_PAGE, max(1, -(-total // PAGE_SIZE)))
    window = range(max(1, page - 3), min(last, page + 3) + 1)
    link = lambda n: _link(outcome.params, page=n if n > 1 else "")  # noqa: E731
    return {
        "number": page, "last": last,
        "previous": link(page - 1) if page > 1 else "",
        "next": link(page + 1) if page < last else "",
        "numbers": [{"n": n, "url": link(n), "current": n == page} for n in window],
        "first_index": (page - 1) * PAGE_SIZE + 1,
    }


@require_GET
def results(request: HttpRequest) -> HttpResponse:
    params = read_params(request.GET)
    outcome = run(params)
    context = {
        "query": params.q,
        "outcome": outcome,
        "params": params,
        "hits": outcome.results.hits if outcome.results else [],
        "facet_groups": _facet_groups(outcome),
        "sorts": [{"label": label, "active": value == params.sort,
                   "url": _link(params, sort="" if value == Sort.RECENT else value)}
                  for value, label in Sort.choices],
        "respelled_url": _link(params, q=outcome.respelled) if outcome.respelled
        else "",
        "did_you_mean_url": _link(params, q=outcome.did_you_mean),
        "original_url": _link(params),
        "clear_url": _link(params, section="", author="", tag="", year="", month="",
                            **{"from": "", "to": ""}),
        "hidden": {k: v for k, v in params.as_dict().items()
                   if k not in ("q", "from", "to")},
    }
    if outcome.results is not None:
        context["pages"] = _pages(outcome)
    response = render(request, "search/results.html", context)
    response["X-Robots-Tag"] = "noindex"
    return response


@require_GET
def suggest(request: HttpRequest) -> JsonResponse:
    """Headline and word suggestions for the search box, as JSON."""
    text = clean(request.GET.get("q", ""))[:SUGGEST_MAX_CHARS]
    backend = get_backend()
    if len(text) < 2 or not backend.supports_suggest:
        found_terms, headlines = [], []
    else:
        found = backend.suggest(text)
        found_terms = found.terms
        headlines = [{"headline": h, "url": reverse("web:article", args=[slug])}
                     for h, slug in found.headlines if slug]
    response = JsonResponse({"q": text, "terms": found_terms, "headlines": headlines})
    response["Cache-Control"] = "public, max-age=30"
    return response
