"""One search as the site runs it: parse, aliases, search, help when nothing matches.

Views and the API call ``run()``; it never raises on reader input.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from django.http import QueryDict
from django.utils import timezone

from newsroom.articles.models import Article
from newsroom.core import params
from newsroom.db.prepared import Prepared
from newsroom.media.html import MARKUP_FIELDS
from newsroom.media.models import Image

from . import aliases, analytics
from .backends import get_backend
from .backends.base import (
    MAX_COSTLY_PHRASES,
    Filters,
    SearchBackend,
    SearchRequest,
    SearchResults,
    Sort,
)
from .query import (
    MAX_ALTERNATIVES,
    MAX_EXCLUDED_PHRASES,
    MAX_PREFIXES,
    MAX_TERMS,
    SearchQuery,
    Word,
    clean,
    parse,
)

PAGE_SIZE = 10
# Seconds a client is told to wait when this machine has no complete index
# (its first fill is running): the results page and the API answer 503.
RETRY_AFTER = 30
MAX_PAGE = 100  # deeper pages cost more than any reader needs
# Spelling help (respelling, then typo-tolerant matching) only for queries
# of at most this many words that found nothing: a pasted paragraph of
# unknown words would otherwise cost a lookup per word.
SPELL_MAX_WORDS = 3
# Long queries: when a query of at least RELAX_MIN_WORDS plain words finds
# fewer than RELAX_BELOW articles with all of them, rank by any of them
# instead (BM25: more and rarer words first). Questions typed in full
# ("what is known about ...") rarely have every word in one article.
RELAX_MIN_WORDS = 4
RELAX_BELOW = PAGE_SIZE


@dataclass
class Params:
    q: str = ""
    filters: Filters = Filters()
    sort: str = Sort.RECENT
    page: int = 1
    problems: list[str] = field(default_factory=list)
    # Dates as typed that are not dates ("from"/"to"): the page shows them
    # again, marked invalid, for the reader to correct.
    bad_dates: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, str]:
        f = self.filters
        out = {
            "q": self.q,
            "section": f.section,
            "author": f.author,
            "tag": f.tag,
            "year": str(f.year or ""),
            "month": str(f.month or ""),
            "from": f.date_from.isoformat() if f.date_from else "",
            "to": f.date_to.isoformat() if f.date_to else "",
        }
        if self.sort != Sort.RECENT:
            out["sort"] = self.sort
        return {k: v for k, v in out.items() if v}


def _slug(value: str) -> str:
    return params.slug(value) or ""


def read_params(get: QueryDict) -> Params:
    """Validated search parameters; anything invalid is dropped and named."""
    problems = []
    values = {
        k: get.get(k, "")
        for k in (
            "section",
            "author",
            "tag",
            "year",
            "month",
            "from",
            "to",
            "sort",
            "page",
        )
    }
    section, author, tag = (_slug(values[k]) for k in ("section", "author", "tag"))
    for name, raw, ok in (
        ("section", values["section"], section),
        ("author", values["author"], author),
        ("tag", values["tag"], tag),
    ):
        if raw and not ok:
            problems.append(f"Ignored an invalid {name}.")
    year = params.number(values["year"], 1, 9999) if values["year"] else None
    month = params.number(values["month"], 1, 12) if values["month"] and year else None
    if values["year"] and year is None or values["month"] and year and not month:
        problems.append("Ignored an invalid year or month.")
    date_from = params.day(values["from"]) if values["from"] else None
    date_to = params.day(values["to"]) if values["to"] else None
    bad_dates = {
        k: values[k][:100]
        for k, day in (("from", date_from), ("to", date_to))
        if values[k] and not day
    }
    for k in bad_dates:
        problems.append(f'Ignored the "{k}" date, which is not YYYY-MM-DD.')
    if date_from and date_to and date_from > date_to:
        date_from, date_to = date_to, date_from
    sort = params.choice(values["sort"], Sort.values, Sort.RECENT)
    page = params.number(values["page"], 1, 10**9) or 1
    if page > MAX_PAGE:
        problems.append(f"Results stop at page {MAX_PAGE}; narrow the search.")
        page = MAX_PAGE
    filters = Filters(
        section=section,
        author=author,
        tag=tag,
        year=year,
        month=month,
        date_from=date_from,
        date_to=date_to,
    )
    return Params(
        q=clean(get.get("q", "")),
        filters=filters,
        sort=sort,
        page=page,
        problems=problems,
        bad_dates=bad_dates,
    )


# The page's check of its hits, with their lead pictures, in one query built
# once per thread (``newsroom.db.prepared``): two ORM queries cost ~2.5 ms of
# a ~8 ms page. Ids go in CHUNK at a time, a short page padded with its first.
CHUNK = 20
_PUBLIC_WITH_PICTURES = Prepared(
    lambda now, **ids: (
        Article.objects.published(now=now)
        .filter(pk__in=list(ids.values()))
        .order_by()
        .values_list(
            "pk", "lead_image_id", *(f"lead_image__{f}" for f in MARKUP_FIELDS)
        )
    ),
    now=datetime,
    **{f"id{i}": int for i in range(CHUNK)},
)


def public_pictures(ids: list[int]) -> dict[int, Image | None]:
    """The public ones of ``ids`` (published and their time has come, now),
    each with its lead picture (None: it has none), ready for
    ``media.html.picture``."""
    now = timezone.now()
    out: dict[int, Image | None] = {}
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        padded = part + [part[0]] * (CHUNK - len(part))
        values = {f"id{i}": pk for i, pk in enumerate(padded)}
        for pk, image_id, *fields in _PUBLIC_WITH_PICTURES.rows(now=now, **values):
            out[pk] = (
                None
                if image_id is None
                else Image(id=image_id, **dict(zip(MARKUP_FIELDS, fields, strict=True)))
            )
    return out


def public_only(
    results: SearchResults, pictures: dict[int, Image | None] | None = None
) -> SearchResults:
    """The hits the database says are public now (one query for the page's
    ids): while the indexer lags, a withdrawn story is still in the index.
    The total loses the hits dropped, so a page never counts what it hides.
    ``pictures``, when given, receives the public hits' lead pictures."""
    if not results.hits:
        return results
    public = public_pictures([h.id for h in results.hits])
    if pictures is not None:
        pictures.update(public)
    hits = [h for h in results.hits if h.id in public]
    if len(hits) == len(results.hits):
        return results
    dropped = len(results.hits) - len(hits)
    return replace(
        results,
        total=max(len(hits), results.total - dropped),
        total_min=max(0, results.total_min - dropped),
        total_max=max(len(hits), results.total_max - dropped),
        hits=hits,
    )


@dataclass
class Outcome:
    params: Params
    query: SearchQuery
    results: SearchResults | None  # None: nothing was asked
    respelled: str = ""  # "No results for X; showing results for Y"
    fuzzy: bool = False  # results from typo-tolerant matching
    relaxed: bool = False  # results match some of the words, not all
    did_you_mean: str = ""
    # Lead pictures of the hits checked public, by article id (None: none).
    pictures: dict[int, Image | None] = field(default_factory=dict)


def run(
    params: Params,
    backend: SearchBackend | None = None,
    log: bool = True,
    *,
    limit: int = PAGE_SIZE,
    details: bool = True,
    use_aliases: bool = True,
    check_public: bool = True,
    network: str | None = None,
) -> Outcome:
    """The results page's search. ``limit`` is the page size; ``details``
    (facets, highlighting) and ``use_aliases`` are off for evaluation runs,
    and ``check_public`` for indexes of documents that are not articles.
    ``network`` (the searcher's) caps how often one network counts in the
    query log.
    Raises ``IndexUnavailable`` when this machine has no complete index."""
    backend = backend or get_backend()
    query = parse(params.q)
    if query.is_empty and not params.filters.active:
        return Outcome(params, query, None)
    groups = aliases.groups() if backend.supports_aliases and use_aliases else ()
    pictures: dict[int, Image | None] = {}

    def ask(q: SearchQuery, fuzzy: bool = False) -> SearchResults:
        found = backend.search(
            SearchRequest(
                query=q,
                filters=params.filters,
                sort=params.sort,
                offset=(params.page - 1) * limit,
                limit=limit,
                facets=backend.supports_facets and details,
                highlight=details,
                aliases=groups,
                fuzzy=fuzzy,
            )
        )
        return public_only(found, pictures) if check_public else found

    long_question = query.plain_words() >= RELAX_MIN_WORDS
    every_word = (
        backend.matches_at_least(
            SearchRequest(query, filters=params.filters, aliases=groups), RELAX_BELOW
        )
        if long_question
        else RELAX_BELOW
    )
    relaxed = ask(query.relaxed()) if every_word < RELAX_BELOW else None
    if relaxed is not None and relaxed.total > every_word:
        # Too few articles have every word (a cheap probe counted them): the
        # relaxed search answers, and the all-words search is never run.
        results = relaxed
        outcome = Outcome(params, query, results, relaxed=True, pictures=pictures)
    else:
        results = ask(query)
        outcome = Outcome(params, query, results, pictures=pictures)
        if long_question and relaxed is None and results.total < RELAX_BELOW:
            retry = ask(query.relaxed())  # hits withdrawn since they were indexed
            if retry.total > results.total:
                outcome.results, outcome.relaxed = retry, True
    words = [a.text for a in query.atoms() if isinstance(a, Word) and not a.prefix]
    short = words and query.size() <= SPELL_MAX_WORDS
    if short and results.total == 0 and backend.supports_spelling:
        fixes = backend.spelling(words)
        if fixes:
            better = query.replace_words(fixes)
            retry = ask(better)
            if retry.total:
                outcome.results, outcome.respelled = retry, better.to_text()
            else:
                outcome.did_you_mean = better.to_text()
    if short and outcome.results.total == 0 and backend.supports_fuzzy:
        retry = ask(query, fuzzy=True)
        if retry.total:
            outcome.results, outcome.fuzzy = retry, True
    since = outcome.results.narrowed_from
    bodies = (
        f"and in the standfirsts and texts of articles from {since:%B %Y} on only"
        if since
        else "not in standfirsts or article texts"
    )
    for phrase in outcome.results.narrowed:
        params.problems.append(
            f"{phrase} is made of words most articles have: it was looked for "
            f"in headlines and names, {bodies}."
        )
    for prefix in outcome.results.not_in_texts:
        params.problems.append(
            f"{prefix} stands for words most articles have: it was looked for "
            "in headlines, standfirsts and names, not in article texts."
        )
    phrases = outcome.results.phrases_left_out
    if phrases:
        params.problems.append(
            f"{', '.join(phrases)} {'was' if len(phrases) == 1 else 'were'} left "
            f"out: a search looks for at most {MAX_COSTLY_PHRASES} phrases of "
            "words most articles have, and leaves out as many."
        )
    left_out = outcome.results.left_out
    if left_out:
        params.problems.append(
            f"{', '.join(left_out)} {'was' if len(left_out) == 1 else 'were'} "
            "left out: words most articles have cost too much in OR searches "
            "joined together, so the rarer ones were looked for."
        )
    if query.dropped:
        params.problems.append(
            f"Searched for {query.size()} words only; {query.dropped} more were "
            f"left out (at most {MAX_TERMS} a search, {MAX_ALTERNATIVES} joined "
            f"by OR, {MAX_PREFIXES} word* searches, {MAX_EXCLUDED_PHRASES} "
            'excluded -"phrases").'
        )
    if log and params.page == 1 and params.q:
        analytics.record(params.q, outcome.results.total, network=network)
    return outcome
