"""The search backend interface: what the site asks of any engine.

A backend is chosen by alias from ``NEWSROOM_SEARCH_BACKENDS`` (see
``newsroom.search.backends.get_backend``). It reads ``SearchRequest``s built
from our own query AST (``newsroom.search.query``) and writes
``IndexDocument``s through a ``Writer`` that records the last outbox id it
applied in the same commit. Callers check the ``supports_*`` flags before
using an optional feature; the contract tests skip exactly what a backend
says it cannot do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import NamedTuple

from django.db import models

from ..query import SearchQuery


class Sort(models.TextChoices):
    # Default for readers: BM25 blended with a decay on age (docs/search.md).
    RECENT = "recent", "Best match, recent first"
    RELEVANCE = "relevance", "Best match"
    NEWEST = "newest", "Newest"
    OLDEST = "oldest", "Oldest"


# Phrases of words most articles have a search keeps, and as many excluded
# (tantivy: ``tantivy_cost.cap_costly``; each is still read in headlines,
# names and the newest months: at 1M sixteen ANDed cost ~120 ms a page,
# eight ~70, 31 excluded ~180). The rest are named in
# ``SearchResults.phrases_left_out``.
MAX_COSTLY_PHRASES = 8


@dataclass(frozen=True)
class IndexDocument:
    """One article as the index sees it (plain text, no markup)."""

    id: int
    headline: str
    published_at: datetime
    standfirst: str = ""
    body: str = ""
    slug: str = ""
    section: tuple[str, str] = ("", "")  # (slug, name)
    tags: tuple[tuple[str, str], ...] = ()
    authors: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Filters:
    section: str = ""  # slugs
    author: str = ""
    tag: str = ""
    year: int | None = None
    month: int | None = None  # with year
    date_from: date | None = None
    date_to: date | None = None  # inclusive

    @property
    def active(self) -> bool:
        return any(
            (
                self.section,
                self.author,
                self.tag,
                self.year,
                self.date_from,
                self.date_to,
            )
        )


@dataclass(frozen=True)
class SearchRequest:
    query: SearchQuery
    filters: Filters = Filters()
    sort: str = Sort.RECENT
    offset: int = 0
    limit: int = 10
    facets: bool = False
    highlight: bool = True
    # Alias groups applied at query time: each tuple is one group's terms.
    aliases: tuple[tuple[str, ...], ...] = ()
    # Typo-tolerant matching (edit distance 1, 2 for long words).
    fuzzy: bool = False
    now: datetime | None = None  # "public" is published_at <= now


@dataclass
class Hit:
    id: int
    score: float
    headline: str
    slug: str
    published_at: datetime
    section: tuple[str, str] = ("", "")
    authors: list[tuple[str, str]] = field(default_factory=list)
    headline_html: str = ""  # escaped, with <mark> around matches
    snippet_html: str = ""
    via_alias: list[str] = field(default_factory=list)  # group labels


class FacetValue(NamedTuple):
    """One value of a facet group and how many matches have it. Immutable
    (kept counts are shared between requests); a named tuple, made in a
    third of a frozen dataclass's time (a page makes ~200)."""

    key: str
    count: int  # type: ignore[assignment]  # the field, not tuple.count
    label: str = ""


@dataclass
class SearchResults:
    total: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    # When counting every match would cost more than the search (hundreds of
    # thousands at 1M articles), ``total`` is an estimate ("about N") and the
    # exact count is known to lie in [total_min, total_max].
    total_exact: bool = True
    total_min: int = 0
    total_max: int = 0
    # Facet counts over ``facets_over`` matches only (None: every match); the
    # page and the API say so.
    facets_over: int | None = None
    # Which matches those are: the "newest", or the best by "relevance" (a
    # recency page's rescore window: the hits it chose from).
    facets_by: str = "newest"
    # Phrases of very common words (and such phrases ending in a prefix,
    # said'th*) looked for in headlines and names, and in the standfirsts and
    # bodies of articles from ``narrowed_from`` on only (a date; None: in none).
    narrowed: list[str] = field(default_factory=list)
    narrowed_from: date | None = None
    # OR alternatives left out of an AND of OR chains that would read too
    # much (the backend's cost rule; as the reader wrote them).
    left_out: list[str] = field(default_factory=list)
    # One-word prefixes (``ab*``) whose words most articles have: looked for
    # in headlines, standfirsts and names, not in article texts.
    not_in_texts: list[str] = field(default_factory=list)
    # Phrases of very common words past the backend's cap (as written; an
    # exclusion with its "-").
    phrases_left_out: list[str] = field(default_factory=list)


@dataclass
class Suggestions:
    terms: list[str]
    headlines: list[tuple[str, str]]  # (headline, slug)


class WriterBusy(Exception):
    """Another process holds the index writer."""


class IndexUnavailable(Exception):
    """This machine has no complete index to answer from (first fill still
    running, or it crashed): the site answers 503, never an empty result."""


class Writer:
    """Writes to one index generation; only one may exist at a time per index."""

    generation: str
    # True when there was no live index: this writer's generation is new and
    # empty, to be filled, sealed and made live.
    created = False
    # True when the live index is the empty leftover of a fill that never
    # completed (written before seals existed): rebuild it.
    unfinished = False
    # The database epoch the generation was filled from (nodes.new_epoch).
    epoch = ""
    # True when the live index was built by an older version of the schema
    # or analysis (its terms would not match today's queries): the indexer
    # rebuilds it from the database before applying the outbox.
    stale = False
    # Up to when articles that came due (scheduled) were added: the indexer
    # adds those released after it. None: not known (a new generation).
    due: datetime | None = None

    def upsert(self, docs: Iterable[IndexDocument]) -> None:
        raise NotImplementedError

    def delete(self, ids: Iterable[int]) -> None:
        raise NotImplementedError

    def commit(self, last_outbox_id: int, due: datetime | None = None) -> None:
        """Make changes visible, recording ``last_outbox_id`` (and ``due``,
        when given) in the same commit."""
        raise NotImplementedError

    def rollback(self) -> None:
        """Drop what was written since the last commit."""
        raise NotImplementedError

    def last_outbox_id(self) -> int:
        raise NotImplementedError

    def switch_to(self, generation: str) -> None:
        """Write to another generation (keeping the writer lock)."""
        raise NotImplementedError

    def seal(self, documents: int, epoch: str = "") -> None:
        """Mark this generation complete, once its fill has committed."""

    def make_live(self) -> None:
        """Atomically make this writer's generation the one searches read."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class SearchBackend:
    supports_phrase = False
    supports_prefix = False
    supports_facets = False
    supports_highlight = False
    supports_fuzzy = False
    supports_spelling = False
    supports_aliases = False
    supports_suggest = False
    supports_more_like_this = False
    supports_generations = False  # rebuild into a fresh index and swap

    def __init__(self, alias: str, options: Mapping) -> None:
        self.alias = alias
        self.options = dict(options)

    # Reading
    def search(self, request: SearchRequest) -> SearchResults:
        raise NotImplementedError

    def matches_at_least(self, request: SearchRequest, n: int) -> int:
        """How many documents match ``request``, counted up to ``n`` only: a
        cheap probe (no facets, highlights or total past ``n``)."""
        probe = replace(request, offset=0, limit=n, facets=False, highlight=False)
        return min(n, self.search(probe).total)

    def suggest(
        self, text: str, limit: int = 5, now: datetime | None = None
    ) -> Suggestions:
        raise NotImplementedError

    def spelling(self, words: Iterable[str]) -> dict[str, str]:
        """Respellings for words the index does not know (or barely knows)."""
        raise NotImplementedError

    def more_like_this(
        self, article_id: int, limit: int = 5, now: datetime | None = None
    ) -> list[int]:
        """Ids of public articles like this one, best first."""
        raise NotImplementedError

    def document_ids(self) -> set[int]:
        """Every article id in the live index (for checks and tests)."""
        raise NotImplementedError

    def last_outbox_id(self) -> int:
        """The last outbox id the live index applied (0 when empty)."""
        raise NotImplementedError

    # Writing
    def usable(self) -> bool:
        """Whether a complete index is live here (else search raises
        ``IndexUnavailable``)."""
        return True

    def writer(
        self, wait: float | None = None, stop: Callable[[], bool] | None = None
    ) -> Writer:
        """The writer for the live index; blocks up to ``wait`` seconds (None:
        forever, or until ``stop()``) for the lock, then raises ``WriterBusy``."""
        raise NotImplementedError

    def discard_unfinished(self) -> list[str]:
        """Delete generations a crash left half filled; returns their names."""
        return []

    def create_generation(self) -> Writer:
        """A writer on a fresh, empty generation that nobody reads yet."""
        raise NotImplementedError

    def request_swap(self, generation: str) -> None:
        """Ask the lock holder to adopt ``generation`` (see rebuild)."""
        raise NotImplementedError

    def pending_generation(self) -> str | None:
        raise NotImplementedError

    def live_generation(self) -> str | None:
        raise NotImplementedError

    def node_id(self) -> str:
        """The index directory's own id ("" for a backend without one): two
        directories reporting under one node name are told apart by it."""
        return ""

    def live_epoch(self) -> str | None:
        """The database epoch the live index was filled from (None: unknown,
        a backend without generations)."""
        return None
