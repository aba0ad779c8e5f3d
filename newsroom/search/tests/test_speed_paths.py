"""The fast paths behave like the slow ones: bulk documents, facet caps and the
facet cache, the page's links."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from newsroom.articles.models import Article, Tag
from newsroom.articles.tests import factories as f
from newsroom.search import documents, views
from newsroom.search.backends import get_backend
from newsroom.search.backends.base import SearchRequest
from newsroom.search.indexer import drain
from newsroom.search.query import parse

pytestmark = pytest.mark.django_db


class Recording:
    """The real searcher, recording each query it is asked (repr)."""

    def __init__(self, searcher, asked: list[str]) -> None:
        self.real, self.asked = searcher, asked

    def __getattr__(self, name):
        return getattr(self.real, name)

    def search(self, query, *args, **kwargs):
        self.asked.append(repr(query))
        return self.real.search(query, *args, **kwargs)


def page(client, **params) -> str:
    response = client.get("/search/", params)
    assert response.status_code == 200
    return response.content.decode()


def test_bulk_documents_equal_the_model_path():
    """documents_for and all_documents (values() rows, joins by hand) give
    exactly what to_document gives from model instances with prefetches:
    section, tags in name order, bylines in position order, plain body;
    drafts are absent."""
    a = f.article(
        "Harbour reopens",
        body="<p>Ships &amp; boats</p><p>dock</p>",
        section_name="World",
        tags=("Zulu", "Alpha"),
        authors=("Bo Writer", "Ann Author"),
    )
    b = f.article("Quiet day", section_name="Business")
    draft = f.article("Draft", status=Article.Status.DRAFT)
    expected = {
        x.pk: documents.to_document(x)
        for x in documents.indexable().filter(pk__in=[a.pk, b.pk])
    }
    assert expected[a.pk].tags == (("alpha", "Alpha"), ("zulu", "Zulu"))
    assert [n for _, n in expected[a.pk].authors] == ["Bo Writer", "Ann Author"]
    assert documents.documents_for([b.pk, draft.pk, a.pk, a.pk]) == expected
    assert {d.id: d for d in documents.all_documents(chunk=1)} == expected


def test_bulk_windows_read_by_range_in_id_order():
    """all_documents reads a window of ids with its tags and bylines by id
    range: the same documents as the model path for articles side by side
    (a draft's tags between them stay out), in id order, and no query lists
    the window's ids or, on SQLite, sorts the window's rows in a temporary
    b-tree (the two costs it was rid of)."""
    made = [
        f.article("Harbour reopens", tags=("Zulu", "Alpha"), authors=("Bo", "Ann")),
        f.article("Draft", status=Article.Status.DRAFT, tags=("Secret",)),
        f.article("Quiet day", section_name="Business"),
        f.article("Port strike", tags=("Ports",), authors=("Cy",)),
    ]
    public = [x.pk for x in made if x.status != Article.Status.DRAFT]
    expected = [
        documents.to_document(x)
        for x in documents.indexable().filter(pk__in=public).order_by("pk")
    ]
    with CaptureQueriesContext(connection) as queries:
        got = list(documents.all_documents())
    assert got == expected
    assert all("Secret" not in n for d in got for _, n in d.tags)
    reads = [q["sql"] for q in queries.captured_queries if " IN (" in q["sql"]]
    assert not [s for s in reads if "article_id" in s and "status" not in s], reads
    if connection.vendor == "sqlite":
        for q in queries.captured_queries:
            sql = q["sql"]
            if not sql.startswith("SELECT") or "MAX(" in sql:
                continue
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN QUERY PLAN " + sql)
                plan = " | ".join(str(row[-1]) for row in cursor.fetchall())
            assert "TEMP B-TREE FOR ORDER BY" not in plan, (sql, plan)


def test_bulk_documents_see_renames_at_once():
    """A renamed tag is in the very next document built (no stale name cache)."""
    a = f.article("Harbour reopens", tags=("Ports",))
    Tag.objects.filter(slug="ports").update(name="Seaports")
    assert documents.documents_for([a.pk])[a.pk].tags == (("ports", "Seaports"),)


def test_facets_show_top_values_and_a_more_link(client, search_backend, index_now):
    """Each facet shows its FACET_SHOWN most frequent values and a "More"
    link; following it shows them all; an active value outside the top stays
    visible and removable."""
    tags = [f"Topic{i:02d}" for i in range(views.FACET_SHOWN + 3)]
    for i, tag in enumerate(tags):
        for _ in range(1 + (len(tags) - i) // 4):
            f.article(f"Flood report {tag}", body="flood", tags=(tag,))
    index_now()
    html = page(client, q="flood")
    tag_block = re.search(r'facet--tag">(.*?)</section>', html).group(1)
    assert tag_block.count("<li") == views.FACET_SHOWN
    more = re.search(r'<p class="facet__more"><a href="([^"]+)">More', tag_block)
    assert more and "more=tag" in more.group(1)
    full = page(client, q="flood", more="tag")
    full_block = re.search(r'facet--tag">(.*?)</section>', full).group(1)
    assert full_block.count("<li") == len(tags) and "facet__more" not in full_block
    last = tags[-1].lower()
    active = page(client, q="flood", tag=last)
    block = re.search(r'facet--tag">(.*?)</section>', active).group(1)
    assert f"{tags[-1]}</a>" in block and "facet__item--active" in block


def test_facet_links_keep_the_query_and_escape_values(
    client, search_backend, index_now
):
    """A facet link keeps q, sort and other filters, replaces its own key and
    drops the page; the active year's link drops year and month; values are
    URL-quoted and HTML-escaped."""
    art = f.article(
        "Flood & storm", body="flood", section_name="World", tags=("Weather",)
    )
    index_now()
    y, m = art.published_at.year, art.published_at.month
    html = page(client, q="flood & storm", sort="newest", page="1")
    assert 'href="?q=flood+%26+storm&amp;sort=newest&amp;section=world"' in html
    assert 'href="?q=flood+%26+storm&amp;sort=newest&amp;tag=weather"' in html
    dated = page(client, q="flood & storm", year=y, month=m)
    assert re.search(
        rf'href="\?q=flood\+%26\+storm" aria-current="true"[^>]*>{y}<', dated
    )  # the active year's link removes year and month
    assert re.search(
        rf'href="\?q=flood\+%26\+storm&amp;year={y}" aria-current', dated
    )  # the active month's link removes the month only


@pytest.mark.parametrize(
    "q",
    [
        "",
        "flood & storm <b>\"quoted\"</b> 'x'",
        "caf\u00e9 \u202eevil \u200b&amp;",
        "a=b&c=d%26",
    ],
)
def test_facet_hrefs_are_the_escaped_links_byte_for_byte(q):
    """A facet value's href is built from its key's escaped base, kept per
    key, and the quoted pair: exactly ``escape(toggle(...))`` for any query a
    stranger sends (ampersands, quotes, markup, bidi controls, an escaped
    entity), active or not, with a key dropped."""
    from newsroom.core.html import escape
    from newsroom.search.service import read_params

    params = read_params({"q": q, "sort": "newest", "section": "world", "page": "3"})
    links = views._Links(params)
    for key, value, active, drop in [
        ("section", "world", True, ()),
        ("section", "sport & <x>", False, ()),
        ("tag", "weather", False, ()),
        ("year", "2024", False, ("month",)),
        ("year", "2024", True, ("month",)),
        ("month", "7", False, ()),
    ]:
        for _ in range(2):  # built, then from the kept base
            expected = escape(links.toggle(key, value, active, *drop))
            assert links.href(key, value, active, *drop) == expected


def test_facet_cache_follows_index_commits(search_backend, index_now):
    """Cached facet counts are reused for the same query only until the next
    index commit: a newly published article is counted at once."""
    f.article("Flood one", body="flood", section_name="World")
    index_now()
    backend = get_backend()
    request = SearchRequest(parse("flood"), facets=True)
    first = backend.search(request).facets["section"]
    assert [(v.key, v.count) for v in first] == [("world", 1)]
    assert backend.search(request).facets["section"] == first  # from the cache
    f.article("Flood two", body="flood", section_name="World")
    index_now()
    again = backend.search(request).facets["section"]
    assert [(v.key, v.count) for v in again] == [("world", 2)]


def test_cached_counts_end_when_an_indexed_article_comes_due(
    search_backend, index_now, monkeypatch
):
    """Cached counts hold while the index is the same and no article in it
    is dated after the moment they were counted (the public rule leaves
    such an article out until its time). So they can be kept a minute, not
    five seconds: when the time passes an article's date, the next search
    counts it, though the index did not change."""
    from datetime import timedelta

    from django.utils import timezone

    f.article(
        "Flood one", body="flood", published_at=timezone.now() - timedelta(days=3)
    )
    later = f.article("Flood two", body="flood", published_at=timezone.now())
    index_now()
    backend = get_backend()
    request = SearchRequest(parse("flood"), facets=True)
    real = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: later.published_at - timedelta(days=1))
    assert backend.search(request).total == 1  # "Flood two" is not out yet
    assert backend.search(request).total == 1  # from the cache
    monkeypatch.setattr(timezone, "now", lambda: real() + timedelta(seconds=1))
    again = backend.search(request)
    assert again.total == 2
    assert [(v.key, v.count) for v in again.facets["section"]] == [("world", 2)]


def test_first_rebuild_becomes_the_live_index(search_backend):
    """With no index at all, rebuild_search_index makes the generation it
    built live as it is: one generation on disk, every article once, not a
    second empty index filled all over again."""
    arts = [f.article(f"Glacier report {n}", body="glacier") for n in range(3)]
    assert search_backend.live_generation() is None
    call_command("rebuild_search_index", wait=10)
    gens = [p.name for p in search_backend.store.root.glob("gen-*")]
    assert gens == [search_backend.live_generation()]
    assert search_backend.pending_generation() is None
    result = search_backend.search(SearchRequest(parse("glacier"), limit=10))
    assert sorted(h.id for h in result.hits) == sorted(a.pk for a in arts)
    assert search_backend.searcher().num_docs == len(arts) + 1  # + metadata
    f.article("Glacier later", body="glacier")  # the outbox still applies
    drain(search_backend, wait=10)
    assert search_backend.search(SearchRequest(parse("glacier"))).total == 4


def test_one_query_checks_the_hits_and_brings_their_pictures(
    client, search_backend, index_now, settings
):
    """The page asks the database once about its hits: which are public now
    and their lead pictures (two ORM queries were ~2.5 ms of an ~8 ms page).
    A story withdrawn after indexing is still left out, a hit with a lead
    picture shows its thumbnail and one without shows none."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from newsroom.media import samples
    from newsroom.media.library import add_image

    settings.NEWSROOM_SEARCH_RATE = "10000/60"
    image = add_image(samples.photo(800, 500), "quay.jpg", alt="The quay at dusk")[0]
    pictured = f.article("Harbour quay lit", lead_image=image)
    f.article("Harbour quay dark")
    withdrawn = f.article("Harbour quay closed")
    index_now()
    Article.objects.filter(pk=withdrawn.pk).update(status=Article.Status.DRAFT)
    page(client, q="quay")  # warm: menus, names, prepared statements
    with CaptureQueriesContext(connection) as seen:
        html = page(client, q="quay")
    about_articles = [
        q["sql"] for q in seen.captured_queries if "articles_article" in q["sql"]
    ]
    assert len(about_articles) == 1, about_articles
    assert "Harbour quay closed" not in re.sub(r"<[^>]+>", "", html)
    cards = re.findall(r'<li class="card search-hit[^"]*">.*?</li>', html, re.S)
    assert len(cards) == 2
    with_picture = [c for c in cards if "search-hit__media" in c]
    assert len(with_picture) == 1 and f"/media/r/{image.key}/" in with_picture[0]
    assert pictured.slug in with_picture[0]


def _ranked_top(backend, text: str, wanted: int):
    """(hits of the page's top-k for ``text``, whether they came through the
    pruned query, hits of the whole sum) straight from the backend."""
    from django.utils import timezone

    searcher = backend.searcher()
    request = SearchRequest(parse(text))
    compiled = backend._compile(searcher, request, timezone.now())[2]
    res, pruned = backend._top(searcher, compiled, compiled.rank, wanted, 0)
    whole = searcher.search(compiled.rank, wanted, count=False)
    return res.hits, pruned, whole.hits


def test_a_common_word_is_ranked_without_visiting_every_text(search_backend, index_now):
    """One word in most article texts is ranked with its text clause
    optional: only articles with it in a headline, standfirst or name are
    visited (at 1,000,000 articles a common word's top 200 cost 3.4 ms,
    1.5 this way). Here every text has the word and half the headlines: the
    best ten come through the pruned query, and they are the whole sum's."""
    for n in range(40):
        headline = f"Harbour notice {n}" if n % 2 else f"Market notice {n}"
        f.article(headline, body="The harbour was quiet. " * (1 + n % 3))
    index_now()
    hits, pruned, whole = _ranked_top(search_backend, "harbour", 10)
    assert pruned
    assert [a for _, a in hits] == [a for _, a in whole]
    assert [round(s, 4) for s, _ in hits] == [round(s, 4) for s, _ in whole]


def test_a_text_only_article_that_outscores_the_pruned_hits_is_not_missed(
    search_backend, index_now
):
    """The pruned query sees only articles with the word outside their text.
    When its last hit scores no more than the text clause alone can (its
    BM25 ceiling), an article with the word in its text only could belong
    among the best: the whole sum answers. Here three articles have the word
    as a tag only (a low score) and ten have it many times in their text."""
    for n in range(10):
        f.article(f"Evening report {n}", body="A lantern lit. Lantern, lantern.")
    for n in range(3):
        f.article(f"Tagged report {n}", tags=("Lantern",))
    for n in range(90):
        f.article(f"Filler report {n}")
    index_now()
    hits, pruned, whole = _ranked_top(search_backend, "lantern", 3)
    assert not pruned
    assert hits == whole
    page = search_backend.search(
        SearchRequest(parse("lantern"), sort="relevance", limit=3)
    ).hits
    assert all(h.headline.startswith("Evening report") for h in page)


def test_hostile_words_on_the_fast_paths_get_a_page_never_a_500(
    client, search_backend, index_now
):
    """Words a stranger types where the pruned word, the chained probe
    and the opening check apply (a word in every text): case, possessive,
    prefix, exclusion, repeats, bidi controls, a 2,000-character word,
    digits, an OR of one word, 80 and 200 words. Each page is a 200; the
    pruned word and its upper-case form find the same articles."""
    for n in range(12):
        f.article(f"Harbour notice {n}", body="The harbour was quiet. " * (1 + n % 3))
    index_now()
    hostile = [
        "harbour",
        "HARBOUR",
        "harbour's",
        "harbour*",
        "-harbour",
        "harbour harbour harbour harbour harbour",
        "harbour quiet notice was the ferry",
        "\u202eharbour",
        "harbour\u200b",
        "h" * 2000,
        "2,500",
        "harbour OR harbour",
        # The probe's chain at its deepest: as many plain words as a search
        # takes (and more), all in the texts, then none of them.
        " ".join(["harbour", "quiet", "notice", "was"] * 20),
        " ".join(f"w{n}x" for n in range(200)),
    ]
    for q in hostile:
        response = client.get("/search/", {"q": q})
        assert response.status_code == 200, q
    same = {
        q: re.findall(r'href="/(?:news|article)[^"]*"', page(client, q=q))
        for q in ("harbour", "HARBOUR")
    }
    assert same["harbour"] and same["harbour"] == same["HARBOUR"]


def test_a_refused_explanation_lets_the_whole_sum_answer(search_backend, index_now):
    """The pruned word's ceiling needs N from tantivy's explanation; if
    tantivy refuses one (ValueError), the ceiling is unknown and the whole
    sum answers: never a 500 (the old code let the error through)."""
    from types import SimpleNamespace

    for n in range(12):
        f.article(f"Harbour notice {n}", body="The harbour was quiet.")
    index_now()

    class Refusing:
        def explain(self, searcher, addr):
            raise ValueError("Document #(0) does not match")

    searcher = search_backend.searcher()
    res = searcher.search(parse_query(search_backend, "harbour"), 5, count=False)
    search_backend._bm25 = (None, 0, 0.0)
    compiled = SimpleNamespace(pruned=Refusing())
    assert search_backend._bm25_ceiling(searcher, compiled, res, 12, 1.0) is None


def parse_query(backend, text: str):
    from django.utils import timezone

    return backend._compile(
        backend.searcher(), SearchRequest(parse(text)), timezone.now()
    )[2].query


def test_hit_links_are_reversed_once_and_follow_the_script_prefix(
    client, search_backend, index_now, monkeypatch
):
    """The hit list's three URL patterns are reversed once, not once a page,
    and still carry the script prefix a deployment under a path has: the
    kept patterns are keyed by it."""
    from django.urls import clear_script_prefix, set_script_prefix
    from django.utils import timezone

    from newsroom.search import page as page_module
    from newsroom.search.backends.base import Hit

    f.article("Harbour reopens", section_name="World", authors=("Ann Author",))
    index_now()
    calls = []
    real = page_module.reverse
    monkeypatch.setattr(
        page_module, "reverse", lambda *a, **k: calls.append(a) or real(*a, **k)
    )
    for _ in range(3):
        assert 'href="/article/' in page(client, q="harbour")
    assert len(calls) == 3
    hit = Hit(
        id=1,
        score=1.0,
        headline="H",
        slug="h",
        published_at=timezone.now(),
        section=("world", "World"),
        authors=[("ann-author", "Ann Author")],
    )
    try:
        set_script_prefix("/news/")
        html = page_module.hits_html([hit], {})
    finally:
        clear_script_prefix()
    assert 'href="/news/article/h/"' in html
    assert 'href="/news/section/world/"' in html
    assert 'href="/news/author/ann-author/"' in html


def test_document_frequencies_are_asked_once_per_searcher(search_backend, index_now):
    """A page asks the same words' document frequencies ~50 times: each is
    read from tantivy once per searcher, and a new searcher (the index took
    a commit) is asked afresh, so a count never lags the index."""
    from newsroom.search.backends import tantivy_cost

    f.article("Harbour reopens", body="The harbour reopened today.")
    index_now()
    searcher = search_backend.searcher()

    class Counting:
        def __init__(self, real) -> None:
            self.real, self.asked = real, 0

        def doc_freq(self, field, term):
            self.asked += 1
            return self.real.doc_freq(field, term)

    counting = Counting(searcher)
    assert tantivy_cost.freq(counting, "body", "harbour") == 1
    assert tantivy_cost.freq(counting, "body", "harbour") == 1
    assert tantivy_cost.freq(counting, "headline", "harbour") == 1
    assert counting.asked == 2
    f.article("Harbour closes", body="The harbour closed again.")
    index_now()
    fresh = search_backend.searcher()
    assert fresh is not searcher
    assert tantivy_cost.freq(fresh, "body", "harbour") == 2


def test_query_words_are_analysed_once_and_handed_out_as_copies():
    """analyze_word remembers short words (a page analyses its words dozens
    of times); each caller gets its own list, and a long text is analysed
    without being remembered."""
    from newsroom.search import analysis

    analysis._analyze_word.cache_clear()
    first = analysis.analyze_word("Harbours")
    first.append("mutated")
    assert analysis.analyze_word("Harbours") == ["harbour"]
    assert analysis._analyze_word.cache_info().hits == 1
    long_word = "x" * (analysis.WORD_MEMO_CHARS + 1)
    analysis.analyze_word(long_word)
    assert analysis._analyze_word.cache_info().currsize == 1


def test_the_probe_chains_its_words_rarest_first_with_the_flat_answers(
    search_backend, index_now, monkeypatch
):
    """The long-question probe asks tantivy for t1 AND (t2 AND (t3 AND ...)),
    the rarest word outermost: its flat AND of eight words cost about three
    times as much at 1,000,000 articles (1.31 against 0.45 ms). The counts
    are the flat query's, at zero, some and ten matches, with a word typed
    twice, and the chain is what the searcher is asked."""
    from newsroom.search.backends.tantivy_query import Compiler

    for n in range(12):
        f.article(f"Ferry notice {n}", body="keeper storm night ferry harbour")
    for n in range(4):
        f.article(f"Keeper notice {n}", body="keeper storm night lamp")
    f.article("Quiet coast", body="keeper storm")
    index_now()
    questions = {
        "keeper storm night ferry": 10,
        "keeper storm night lamp": 4,
        "keeper storm night ferry lamp": 0,
        "night keeper storm night": 10,
    }
    real = search_backend.searcher
    asked: list[str] = []
    monkeypatch.setattr(search_backend, "searcher", lambda: Recording(real(), asked))
    for text, expected in questions.items():
        request = SearchRequest(parse(text))
        asked.clear()
        assert search_backend.matches_at_least(request, 10) == expected, text
        chained = asked[-1]
        # Nested: the outer AND holds one term and another AND; the rarest
        # word ("lamp", else "ferry", stemmed "ferri") is the outer term.
        assert chained.count("BooleanQuery") == len(set(text.split())) - 1, text
        rarest = "lamp" if "lamp" in text else "ferri" if "ferry" in text else None
        if rarest:
            head = chained.split("TermQuery", 2)[1]
            assert f'"{rarest}"' in head, chained
        monkeypatch.setattr(Compiler, "chain", lambda *a: None)
        assert search_backend.matches_at_least(request, 10) == expected, text
        monkeypatch.undo()
        monkeypatch.setattr(
            search_backend, "searcher", lambda: Recording(real(), asked)
        )


def test_plain_text_is_made_only_for_what_highlighting_left_unmarked(
    search_backend, index_now, monkeypatch
):
    """A hit's plain headline and snippet are made after highlighting, for
    what it did not mark: a page of hits whose headlines and standfirsts
    hold the word makes none; a browse by section (nothing to mark) makes
    both for every hit, from the standfirst or, without one, the body."""
    from newsroom.search import highlight
    from newsroom.search.backends.base import Filters

    for n in range(3):
        f.article(
            f"Harbour <b>notice</b> {n}",
            standfirst="The harbour reopened.",
            body="Ships & boats.",
            section_name="World",
        )
    f.article(
        "Quiet day", standfirst="", body="Ships & boats, all day.", section_name="World"
    )
    index_now()
    made: list[str] = []
    real = highlight.plain
    monkeypatch.setattr(highlight, "plain", lambda t, *a: made.append(t) or real(t, *a))
    hits = search_backend.search(SearchRequest(parse("harbour"))).hits
    assert len(hits) == 3 and made == []
    assert all("<mark>Harbour</mark> &lt;b&gt;notice" in h.headline_html for h in hits)
    assert all("<mark>harbour</mark>" in h.snippet_html for h in hits)
    browse = search_backend.search(
        SearchRequest(parse(""), filters=Filters(section="world"), sort="newest")
    ).hits
    assert len(browse) == 4 and len(made) == 8
    quiet = next(h for h in browse if h.headline == "Quiet day")
    assert quiet.headline_html == "Quiet day"
    assert quiet.snippet_html == "Ships &amp; boats, all day."
    assert all(not hasattr(h, "_doc") for h in hits + browse)


def test_a_ranked_page_reads_tantivys_hit_list_once(
    search_backend, index_now, monkeypatch
):
    """tantivy-py builds a result's ``hits`` list anew on each read (~15 us
    for the 200 a page ranks): the ranking reads its top-k's once."""
    for n in range(30):
        f.article(f"Harbour notice {n}", body="The harbour was quiet. " * (1 + n % 3))
    index_now()
    reads: list[int] = []

    class Result:
        def __init__(self, real) -> None:
            self.real, self.n = real, len(reads)
            reads.append(0)

        def __getattr__(self, name):
            return getattr(self.real, name)

        @property
        def hits(self):
            reads[self.n] += 1
            return self.real.hits

    real = search_backend._top

    def top(*args, **kwargs):
        res, pruned = real(*args, **kwargs)
        return Result(res), pruned

    monkeypatch.setattr(search_backend, "_top", top)
    for text in ("quiet notice", "harbour", "harbour OR quiet"):
        reads.clear()
        hits = search_backend.search(SearchRequest(parse(text))).hits
        assert hits and reads == [1], (text, reads)


def test_the_chained_probe_compiles_nothing_unless_a_match_is_not_out_yet(
    search_backend, index_now, monkeypatch
):
    """The long-question probe's chain is built from the words alone: a
    plain question compiles no query (two compiles were ~0.1 ms of a long
    question's page at 1M). When a match is dated after the request's time,
    the public rule is compiled then and leaves it out of the count."""
    from dataclasses import replace
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    for n in range(12):
        f.article(
            f"Ferry notice {n}",
            body="keeper storm night ferry harbour",
            published_at=now - timedelta(days=n + 1),
        )
    index_now()
    compiled: list[str] = []
    real = search_backend._compile

    def counting(searcher, request, *args, **kwargs):
        compiled.append(request.query.to_text())
        return real(searcher, request, *args, **kwargs)

    monkeypatch.setattr(search_backend, "_compile", counting)
    request = SearchRequest(parse("keeper storm night ferry"), now=now)
    assert search_backend.matches_at_least(request, 10) == 10
    assert compiled == []
    # Seen from five and a half days ago, the five newest were not out yet.
    earlier = replace(request, now=now - timedelta(days=5, hours=12))
    assert search_backend.matches_at_least(earlier, 10) == 7
    assert compiled == ["keeper storm night ferry"]


def test_an_any_word_search_builds_its_term_queries_once(search_backend):
    """One clause of single-term words (one word, an OR group, a long
    question's any-word form) and no alias in it: the flat BM25 sum that
    ranks is the text query too (highlighting, counts), not built a second
    time nested (~45 us for a long question's five fields). A phrase, two
    required words, an alias or typo-tolerance keep the nested text."""
    from django.utils import timezone

    from newsroom.search.backends.base import Filters

    compiler = search_backend.compiler
    now = timezone.now()
    for text in ("flood", "flood OR storm", "keeper storm night ferry lamp"):
        q = parse(text)
        q = q.relaxed() if len(q.must) > 1 else q
        got = compiler.compile(q, Filters(), now)
        assert got.text is got.rank and "Must" not in repr(got.text), text
    for text in ('"storm night"', "storm night"):
        got = compiler.compile(parse(text), Filters(), now)
        assert "Must" in repr(got.text), text
    aliased = compiler.compile(parse("flood"), Filters(), now, (("flood", "deluge"),))
    assert aliased.alias_groups and "Must" in repr(aliased.text)
    fuzzy = compiler.compile(parse("flood"), Filters(), now, fuzzy=True)
    assert "Must" in repr(fuzzy.text) and "Fuzzy" in repr(fuzzy.text)


def test_an_alias_map_is_made_once_per_set_of_groups(search_backend):
    """A page asks for the alias map two or three times (the probe, the
    search, its retry): the map of the last groups is kept, and a changed
    set of groups (an editor's new alias) makes a new one."""
    compiler = search_backend.compiler
    groups = (("Flood", "Deluge"),)
    first = compiler.alias_map(groups)
    assert first["deluge"] == ("Flood", "Deluge")
    assert compiler.alias_map(groups) is first
    assert compiler.alias_map(tuple(list(groups))) is first
    more = compiler.alias_map(groups + (("Storm", "Gale"),))
    assert more is not first and more["gale"] == ("Storm", "Gale")
    assert compiler.alias_map(()) == {}


def test_a_long_and_is_chained_rarest_first_with_the_flat_answers(
    search_backend, index_now, monkeypatch
):
    """Four or more required words are asked as w1 AND (w2 AND (...)), the
    word fewest texts have outermost: tantivy's flat intersection of a long
    question's five-field unions cost up to 2 ms more at 1M. Hits, order,
    totals and facets are the flat query's, a word found only in a headline
    still counts, and three words stay flat."""
    from newsroom.search.backends import tantivy_query

    for n in range(6):
        f.article(f"Ferry notice {n}", body="keeper storm night ferry harbour")
    f.article("Lamp keeper", body="storm night ferry harbour")  # "lamp": headline
    for n in range(3):
        f.article(f"Quiet {n}", body="keeper storm")
    index_now()
    real = search_backend.searcher
    asked: list[str] = []

    def answers(text: str):
        got = search_backend.search(
            SearchRequest(parse(text), facets=True, highlight=False)
        )
        return [h.id for h in got.hits], got.total, got.facets

    monkeypatch.setattr(search_backend, "searcher", lambda: Recording(real(), asked))
    for text, total in (
        ("keeper storm night ferry harbour", 7),  # "keeper": a headline
        ("lamp keeper storm night ferry", 1),
        ("storm night ferry", 7),
    ):
        asked.clear()
        chained = answers(text)
        assert chained[1] == total, text
        ranked = asked[0]
        if len(text.split()) >= tantivy_query.CHAIN_MIN_WORDS:
            # Nested: each level one word's union and the rest of the chain;
            # the rarest word ("lamp", else "ferri") is asked first.
            head = ranked.split("TermQuery", 2)[1]
            rarest = "lamp" if "lamp" in text else "ferri"
            assert f'"{rarest}"' in head, ranked
            assert ranked.count("(Must, BooleanQuery") >= len(text.split()) - 1
        monkeypatch.setattr(tantivy_query, "CHAIN_MIN_WORDS", 99)
        assert answers(text) == chained, text
        monkeypatch.setattr(tantivy_query, "CHAIN_MIN_WORDS", 4)
    # A stranger's 100 words: cut at the word cap, the deepest chain (64
    # levels) answers as the flat AND does.
    flood = "keeper storm night ferry harbour " * 20
    asked.clear()
    deepest = answers(flood)
    assert deepest[1] == 7
    assert asked[0].count("(Must, BooleanQuery") >= 60
    monkeypatch.setattr(tantivy_query, "CHAIN_MIN_WORDS", 99)
    assert answers(flood) == deepest


def test_a_snippet_generator_is_made_only_for_a_field_a_page_reads(
    search_backend, index_now, monkeypatch
):
    """Highlighting makes a field's snippet generator (~10-20 us: the
    query's terms and their frequencies) when a hit first needs it: a page
    whose standfirsts show the word never makes the body's; a hit with the
    word in its body only does."""
    import tantivy

    from newsroom.search.backends import tantivy_highlight

    made: list[str] = []

    class Generators:
        @staticmethod
        def create(searcher, query, schema, name):
            made.append(name)
            return tantivy.SnippetGenerator.create(searcher, query, schema, name)

    class Recording:
        SnippetGenerator = Generators
        Document = tantivy.Document
        Snippet = tantivy.Snippet

    f.article("Harbour news", standfirst="The lighthouse is lit.", body="Calm sea.")
    f.article("Coast news", standfirst="Calm sea.", body="A ferry passed.")
    index_now()
    monkeypatch.setattr(tantivy_highlight, "tantivy", Recording)
    got = search_backend.search(SearchRequest(parse("lighthouse")))
    assert "<mark>lighthouse</mark>" in got.hits[0].snippet_html
    assert sorted(made) == ["headline", "standfirst"]
    made.clear()
    got = search_backend.search(SearchRequest(parse("ferry")))
    assert "<mark>ferry</mark>" in got.hits[0].snippet_html
    assert sorted(made) == ["body", "headline", "standfirst"]
