"""The contract every search backend keeps, run against each configured one.

A backend skips only what its ``supports_*`` flags say it cannot do.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from newsroom.search.backends import load_backend
from newsroom.search.backends.base import (
    Filters,
    IndexDocument,
    SearchRequest,
    Sort,
    WriterBusy,
)
from newsroom.search.query import parse

from .conftest import TANTIVY

BACKENDS = [TANTIVY]
NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)


def doc(
    pk: int, headline: str, body: str = "", days_ago: float = 1, **kw
) -> IndexDocument:
    kw.setdefault("section", ("world", "World"))
    return IndexDocument(
        id=pk,
        headline=headline,
        body=body,
        slug=f"story-{pk}",
        published_at=NOW - timedelta(days=days_ago),
        **kw,
    )


CORPUS = [
    doc(
        1,
        "Fighters breach Raqqa's old city wall",
        "Coalition-backed fighters breached the wall of the old city.",
        tags=(("syria", "Syria"),),
        authors=(("amira", "Amira Haddad"),),
    ),
    doc(
        2,
        "Iraqi troops squeeze last pocket in Mosul",
        "Troops advanced through the old city of Mosul.",
        days_ago=40,
        tags=(("iraq", "Iraq"),),
        authors=(("amira", "Amira Haddad"),),
    ),
    doc(
        3,
        "Coffee prices hit record",
        "Drought in Brazil lifts coffee prices.",
        section=("business", "Business"),
        days_ago=400,
        authors=(("li", "Li Wei"),),
    ),
    doc(
        4,
        "Wall Street rallies",
        "Shares rose on Wall Street as the city cheered.",
        section=("business", "Business"),
        days_ago=3,
    ),
    doc(5, "Scheduled: the future", "This one is not out yet.", days_ago=-2),
]


class BackendContract:
    """Behaviour every backend shares; subclass per backend or parametrise."""

    @pytest.fixture(params=BACKENDS)
    def backend(self, request, tmp_path):
        backend = load_backend(
            request.param,
            "contract",
            {"PATH": str(tmp_path / "idx"), "HEAP_SIZE": 15_000_000},
        )
        with backend.writer(wait=5) as w:
            w.upsert(CORPUS)
            w.commit(42)
            w.seal(len(CORPUS))
            if w.created:
                w.make_live()
        return backend

    def ids(self, backend, text: str, **kw) -> list[int]:
        kw.setdefault("now", NOW)
        kw.setdefault("sort", Sort.RELEVANCE)
        res = backend.search(SearchRequest(parse(text), **kw))
        return [h.id for h in res.hits]

    def test_words_are_all_required(self, backend):
        """Every word must match: "old city" finds 1 and 2, "old city coffee" none."""
        assert sorted(self.ids(backend, "old city")) == [1, 2]
        assert self.ids(backend, "old city coffee") == []

    def test_phrase_exclusion_or(self, backend):
        """A phrase needs adjacent words; -word excludes; OR takes either."""
        assert self.ids(backend, '"wall street"') == [4]
        assert sorted(self.ids(backend, "city -mosul")) == [1, 4]
        assert sorted(self.ids(backend, "coffee OR mosul")) == [2, 3]

    def test_prefix(self, backend):
        """pref* matches any word that starts with it."""
        if not backend.supports_prefix:
            pytest.skip("no prefix queries")
        assert sorted(self.ids(backend, "raq*")) == [1]
        assert sorted(self.ids(backend, "mos*")) == [2]

    def test_headline_outranks_body(self, backend):
        """A word in the headline ranks above the same word only in the body."""
        assert self.ids(backend, "wall")[0] in (1, 4)
        assert self.ids(backend, "city")[-1] == 2 or 4 in self.ids(backend, "city")

    def test_scheduled_is_found_only_when_its_time_comes(self, backend):
        """An article in the index with a future date appears once it is due."""
        assert self.ids(backend, "future") == []
        assert self.ids(backend, "future", now=NOW + timedelta(days=3)) == [5]

    def test_sorts(self, backend):
        """Newest and oldest order by date; the default blends recency in."""
        assert self.ids(backend, "city OR prices", sort=Sort.NEWEST) == [1, 4, 2, 3]
        assert self.ids(backend, "city OR prices", sort=Sort.OLDEST) == [3, 2, 4, 1]
        recent = self.ids(backend, "city OR prices", sort=Sort.RECENT)
        assert recent.index(1) < recent.index(3)

    def test_pagination_and_total(self, backend):
        """total counts every match; offset/limit page through them."""
        res = backend.search(
            SearchRequest(
                parse("city OR prices"), now=NOW, sort=Sort.NEWEST, offset=2, limit=2
            )
        )
        assert res.total == 4
        assert [h.id for h in res.hits] == [2, 3]

    def test_filters_and_facets(self, backend):
        """Facet counts by section, author, tag and month; filters narrow."""
        if not backend.supports_facets:
            pytest.skip("no facets")
        res = backend.search(
            SearchRequest(parse("city OR prices"), now=NOW, facets=True)
        )
        sections = {v.key: v.count for v in res.facets["section"]}
        assert sections == {"world": 2, "business": 2}
        assert {v.key: v.count for v in res.facets["author"]} == {"amira": 2, "li": 1}
        assert {v.key for v in res.facets["tag"]} == {"syria", "iraq"}
        assert sum(v.count for v in res.facets["month"]) == 4
        assert sorted(
            self.ids(backend, "city OR prices", filters=Filters(section="business"))
        ) == [3, 4]
        assert self.ids(backend, "city", filters=Filters(tag="iraq")) == [2]
        assert self.ids(backend, "city", filters=Filters(author="li")) == []
        year = (NOW - timedelta(days=400)).year
        assert self.ids(backend, "prices", filters=Filters(year=year)) == [3]
        since = (NOW - timedelta(days=10)).date()
        assert sorted(self.ids(backend, "city", filters=Filters(date_from=since))) == [
            1,
            4,
        ]

    def test_highlight_is_escaped(self, tmp_path, backend):
        """Matches are wrapped in <mark>; stored markup stays text."""
        if not backend.supports_highlight:
            pytest.skip("no highlighting")
        with backend.writer(wait=5) as w:
            w.upsert(
                [
                    doc(
                        9,
                        "Why <script>alert(1)</script> breaks pages",
                        "A <b>script</b> tag in the body.",
                    )
                ]
            )
            w.commit(43)
        hit = backend.search(SearchRequest(parse("script"), now=NOW)).hits[0]
        assert "<mark>script</mark>" in hit.headline_html
        assert "<script>" not in hit.headline_html + hit.snippet_html
        assert "&lt;<mark>script</mark>&gt;alert(1)" in hit.headline_html
        assert "&lt;b&gt;<mark>script</mark>" in hit.snippet_html

    def test_delete_and_watermark(self, backend):
        """Deleted ids vanish; the outbox watermark travels with the commit."""
        assert backend.last_outbox_id() == 42
        with backend.writer(wait=5) as w:
            w.delete([1])
            w.commit(50)
        assert backend.document_ids() == {2, 3, 4, 5}
        assert backend.last_outbox_id() == 50

    def test_upsert_replaces(self, backend):
        """Writing a document again replaces it (no duplicates)."""
        with backend.writer(wait=5) as w:
            w.upsert([doc(3, "Tea prices fall", "Rain in Assam.")])
            w.commit(44)
        assert self.ids(backend, "coffee") == []
        assert self.ids(backend, "tea") == [3]

    def test_one_writer_at_a_time(self, backend):
        """A second writer waits, then gives up with WriterBusy."""
        with backend.writer(wait=5):
            with pytest.raises(WriterBusy):
                backend.writer(wait=0.1)

    def test_aliases(self, backend):
        """An alias group widens a word at query time and says so on the hit."""
        if not backend.supports_aliases:
            pytest.skip("no aliases")
        groups = (("Raqqa", "Raqa", "Rakka"),)
        res = backend.search(SearchRequest(parse("rakka"), now=NOW, aliases=groups))
        assert [h.id for h in res.hits] == [1]
        assert res.hits[0].via_alias == ["Raqqa | Raqa | Rakka"]
        direct = backend.search(SearchRequest(parse("raqqa"), now=NOW, aliases=groups))
        assert direct.hits[0].via_alias == []

    def test_spelling_and_fuzzy(self, backend):
        """Misspelt words get a respelling from the vocabulary and fuzzy matches."""
        if not backend.supports_spelling:
            pytest.skip("no spelling")
        assert backend.spelling(["Raqa", "Mosol", "coffee"]) == {
            "Raqa": "raqqa",
            "Mosol": "mosul",
        }
        assert self.ids(backend, "mosol", fuzzy=True) == [2]

    def test_suggest(self, backend):
        """Suggestions give words and headlines for a prefix."""
        if not backend.supports_suggest:
            pytest.skip("no suggestions")
        found = backend.suggest("raq", now=NOW)
        assert found.terms[0] == "raqqa"
        assert found.headlines == [("Fighters breach Raqqa's old city wall", "story-1")]

    def test_more_like_this(self, backend):
        """Related articles share words; never the article itself or unpublished."""
        if not backend.supports_more_like_this:
            pytest.skip("no more-like-this")
        related = backend.more_like_this(1, limit=3, now=NOW)
        assert sorted(related) == [2, 4]  # they share "old city", "wall"

    def test_rebuild_generation_swap(self, backend):
        """A fresh generation replaces the live one atomically when adopted."""
        if not backend.supports_generations:
            pytest.skip("no generations")
        old = backend.live_generation()
        with backend.create_generation() as g:
            g.upsert(CORPUS[:2])
            g.commit(7)
            g.seal(2)
            name = g.generation
        assert backend.document_ids() == {1, 2, 3, 4, 5}  # still the old one
        with backend.writer(wait=5) as w:
            w.switch_to(name)
            w.make_live()
        assert backend.live_generation() == name != old
        assert backend.document_ids() == {1, 2}
        assert backend.last_outbox_id() == 7


class TestBackends(BackendContract):
    pass
