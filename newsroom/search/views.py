"""Reader-facing search: the results page and the autocomplete endpoint."""

from __future__ import annotations

import calendar
import functools
import threading
import time
from urllib.parse import quote_plus, urlencode

from django.conf import settings
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_safe

from newsroom.api.throttling import parse_rate
from newsroom.articles.models import Author, Section, Tag
from newsroom.articles.renames import renamed_query
from newsroom.core import limits
from newsroom.core.html import escape
from newsroom.net import client_network

from .backends import get_backend
from .backends.base import IndexUnavailable, Sort
from .conf import conf
from .frame import results_page
from .page import content_html, facets_html, hits_html
from .query import clean
from .service import (
    MAX_PAGE,
    PAGE_SIZE,
    RETRY_AFTER,
    Outcome,
    Params,
    read_params,
    run,
)

SUGGEST_MAX_CHARS = 100


FACET_SHOWN = 10  # values per facet on the page; "More" shows the rest
NAMES_REFRESH = 30.0  # seconds a section/author/tag name is reused per process
SLACK_SHARE = 10  # a process may hold 1/SLACK_SHARE of a rate budget unwritten
_names_cache: dict[str, dict[str, str]] = {}
_names_state = {"at": 0.0}
_names_lock = threading.Lock()
# A facet value's quoted form, remembered: a page quotes ~50 slugs, years and
# months, the same few across searches (bounded: values can be a stranger's).
_quoted = functools.lru_cache(maxsize=4096)(quote_plus)


class _Links:
    """The page's links, from one query string built once per request.

    A facet value's link is the base query string without that key plus
    ``&key=value``: one ``quote`` per value instead of a whole ``urlencode``.
    """

    def __init__(self, params: Params) -> None:
        self.values = params.as_dict()
        self.values.pop("page", None)
        self._without: dict[str, str] = {}
        self._heads: dict[str, tuple[str, str]] = {}

    def link(self, **changes) -> str:
        values = dict(self.values)
        for key, value in changes.items():
            if value in (None, ""):
                values.pop(key, None)
            else:
                values[key] = str(value)
        return "?" + urlencode(values)

    def base_without(self, *keys: str) -> str:
        name = ",".join(keys)
        if name not in self._without:
            rest = {k: v for k, v in self.values.items() if k not in keys}
            self._without[name] = urlencode(rest)
        return self._without[name]

    def toggle(self, key: str, value: str, active: bool, *drop: str) -> str:
        """The link that sets ``key`` to ``value`` (or removes it if active)."""
        base = self.base_without(key, *drop)
        if active:
            return "?" + base
        pair = f"{key}={_quoted(value)}"
        return f"?{base}&{pair}" if base else f"?{pair}"

    def href(self, key: str, value: str, active: bool, *drop: str) -> str:
        """``toggle``'s link escaped for an HTML attribute, as
        ``escape(toggle(...))`` gives it: the escaped base is kept per key,
        and a quoted pair has nothing to escape (``[A-Za-z0-9_.~%+=-]``)."""
        name = "\x1f".join((key, *drop))
        heads = self._heads.get(name)
        if heads is None:
            base = self.base_without(key, *drop)
            heads = self._heads[name] = (
                escape("?" + base),
                escape(f"?{base}&") if base else "?",
            )
        if active:
            return heads[0]
        return f"{heads[1]}{key}={_quoted(value)}"


def _names(kind: str, model, keys: list[str]) -> dict[str, str]:
    """slug -> name, from a per-process copy refreshed every NAMES_REFRESH s:
    a results page would otherwise cost three queries for its facet labels."""
    now = time.monotonic()
    with _names_lock:
        if now - _names_state["at"] > NAMES_REFRESH:
            _names_cache.clear()
            _names_state["at"] = now
        known = _names_cache.setdefault(kind, {})
        missing = [k for k in keys if k not in known]
    if missing:
        found = dict(model.objects.filter(slug__in=missing).values_list("slug", "name"))
        with _names_lock:
            known.update(found)
    return known


def _facet_groups(outcome: Outcome, links: _Links, more: str = "") -> list[dict]:
    results, params = outcome.results, outcome.params
    if not results or not results.facets:
        return []
    f = params.filters
    groups = []
    for key, title, model, active in (
        ("section", "Section", Section, f.section),
        ("author", "Author", Author, f.author),
        ("tag", "Tag", Tag, f.tag),
    ):
        values = results.facets.get(key, [])
        shown = values if key == more else values[:FACET_SHOWN]
        # The active value stays visible even when it is not among the top.
        if active and all(v.key != active for v in shown):
            shown = shown + [v for v in values if v.key == active]
        names = _names(key, model, [v.key for v in shown])
        items = [
            {
                "label": names.get(v.key, v.key),
                "count": v.count,
                "active": v.key == active,
                "href": links.href(key, v.key, v.key == active),
            }
            for v in shown
        ]
        if items:
            groups.append(
                {
                    "key": key,
                    "title": title,
                    "items": items,
                    "more": links.link(more=key) if len(values) > len(shown) else "",
                }
            )
    months = results.facets.get("month", [])
    years: dict[int, int] = {}
    for v in months:
        years[int(v.key) // 100] = years.get(int(v.key) // 100, 0) + v.count
    items = [
        {
            "label": str(y),
            "count": n,
            "active": y == f.year,
            "href": links.href("year", str(y), y == f.year, "month"),
        }
        for y, n in sorted(years.items(), reverse=True)
    ]
    if f.year:
        for v in sorted(months, key=lambda v: -int(v.key)):
            y, m = divmod(int(v.key), 100)
            if y == f.year:
                items.append(
                    {
                        "label": f"{calendar.month_name[m]} {y}",
                        "count": v.count,
                        "active": m == f.month,
                        "month": True,
                        "href": links.href("month", str(m), m == f.month),
                    }
                )
    if items:
        groups.append({"key": "date", "title": "Date", "items": items, "more": ""})
    return groups


def _pages(outcome: Outcome, links: _Links) -> dict:
    total, page = outcome.results.total, outcome.params.page
    last = min(MAX_PAGE, max(1, -(-total // PAGE_SIZE)))
    window = range(max(1, page - 3), min(last, page + 3) + 1)

    def link(n: int) -> str:
        return links.toggle("page", str(n), n <= 1)

    return {
        "number": page,
        "last": last,
        "previous": link(page - 1) if page > 1 else "",
        "next": link(page + 1) if page < last else "",
        "numbers": [{"n": n, "url": link(n), "current": n == page} for n in window],
        "first_index": (page - 1) * PAGE_SIZE + 1,
    }


def unavailable(request: HttpRequest, query: str = "") -> HttpResponse:
    """503: this machine has no complete index yet (never an empty result)."""
    response = render(
        request,
        "search/unavailable.html",
        {"query": query, "retry_after": RETRY_AFTER},
        status=503,
    )
    response["Retry-After"] = str(RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def _limited(request: HttpRequest, scope: str, rate: str) -> limits.Hit:
    """Count this request against its network's budget for ``scope``
    (``rate``: "count/seconds")."""
    count, seconds = parse_rate(rate)
    # A process may hold a tenth of the budget before writing it (one write
    # transaction a second instead of one a search): in one process the limit
    # is exact, across P processes a network gets at most (P - 1) * slack more.
    slack = max(1, count // SLACK_SHARE)
    return limits.hit(scope, client_network(request), count, seconds, slack=slack)


def _refused(request: HttpRequest, counted: limits.Hit) -> HttpResponse:
    """429 with a readable page of its own: no parsing, no context processors,
    no menu, so a flood of refusals costs the other readers little."""
    page = render_to_string(
        "search/limited.html",
        {
            "SITE_NAME": settings.SITE_NAME,
            "query": request.GET.get("q", "")[:200],
            "retry_after": counted.retry_after,
        },
    )
    response = HttpResponse(page, status=429)
    response["Retry-After"] = str(counted.retry_after)
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_safe
def results(request: HttpRequest) -> HttpResponse:
    counted = _limited(request, "search.page", conf.NEWSROOM_SEARCH_RATE)
    if not counted.allowed:
        return _refused(request, counted)
    params = read_params(request.GET)
    try:
        # A HEAD (a link checker's) is no reader's search: not in the log.
        logged = request.method == "GET"
        outcome = run(params, log=logged, network=client_network(request))
    except IndexUnavailable:
        return unavailable(request, params.q)
    hits = outcome.results.hits if outcome.results else []
    if not hits and (moved := renamed_query(request.GET)) is not None:
        # A filter on a slug an editor has since changed: the same search.
        return HttpResponsePermanentRedirect(f"{request.path}?{moved.urlencode()}")
    links = _Links(params)
    more = request.GET.get("more", "")
    context = {
        "query": params.q,
        "outcome": outcome,
        "params": params,
        "hits": hits,
        "hits_html": hits_html(hits, outcome.pictures),
        "facets_html": facets_html(
            _facet_groups(outcome, links, more),
            outcome.results.facets_over if outcome.results else None,
            outcome.results.facets_by if outcome.results else "newest",
        ),
        "sorts": [
            {
                "label": label,
                "active": value == params.sort,
                "url": links.link(sort="" if value == Sort.RECENT else value),
            }
            for value, label in Sort.choices
        ],
        "respelled_url": links.link(q=outcome.respelled) if outcome.respelled else "",
        "did_you_mean_url": links.link(q=outcome.did_you_mean)
        if outcome.did_you_mean
        else "",
        "clear_url": links.link(
            section="", author="", tag="", year="", month="", **{"from": "", "to": ""}
        ),
        "hidden": {
            k: v for k, v in params.as_dict().items() if k not in ("q", "from", "to")
        },
    }
    if outcome.results is not None:
        context["pages"] = _pages(outcome, links)
    response = results_page(request, params.q, content_html(context))
    response["X-Robots-Tag"] = "noindex"
    return response


@require_safe
def suggest(request: HttpRequest) -> JsonResponse:
    """Headline and word suggestions for the search box, as JSON."""
    text = clean(request.GET.get("q", ""))[:SUGGEST_MAX_CHARS]
    counted = _limited(request, "search.suggest", conf.NEWSROOM_SUGGEST_RATE)
    if not counted.allowed:
        response = JsonResponse(
            {"q": text, "terms": [], "headlines": [], "error": "rate_limited"},
            status=429,
        )
        response["Retry-After"] = str(counted.retry_after)
        response["Cache-Control"] = "no-store"
        return response
    backend = get_backend()
    if not backend.usable():
        response = JsonResponse(
            {"q": text, "terms": [], "headlines": [], "error": "search_unavailable"},
            status=503,
        )
        response["Retry-After"] = str(RETRY_AFTER)
        response["Cache-Control"] = "no-store"
        return response
    if len(text) < 2 or not backend.supports_suggest:
        found_terms, headlines = [], []
    else:
        found = backend.suggest(text)
        found_terms = found.terms
        headlines = [
            {"headline": h, "url": reverse("web:article", args=[slug])}
            for h, slug in found.headlines
            if slug
        ]
    response = JsonResponse({"q": text, "terms": found_terms, "headlines": headlines})
    response["Cache-Control"] = "public, max-age=30"
    return response
