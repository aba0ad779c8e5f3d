"""Search cost stays bounded under hostile use: a cap on words, spelling
help only for short queries that find nothing, a per-network rate limit, and
a query log a script cannot flood."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from newsroom.articles.tests import factories as f
from newsroom.search import analytics, service
from newsroom.search.models import SearchQuery
from newsroom.search.query import MAX_ALTERNATIVES, MAX_TERMS, parse

pytestmark = pytest.mark.django_db


def test_the_word_cap_counts_or_chains_phrases_and_exclusions():
    """A query keeps at most MAX_TERMS words, whether they are separate,
    OR-joined, in a phrase or excluded; the rest are counted as dropped."""
    words = [f"w{n}" for n in range(200)]
    for text in (
        " ".join(words),
        " ".join(" OR ".join(words[i : i + 8]) for i in range(0, 200, 8)),
        '"' + " ".join(words) + '"',
        " ".join(f"-{w}" for w in words),
    ):
        q = parse(text)
        assert q.size() == MAX_TERMS, text[:40]
        assert q.dropped > 0
    small = parse('a OR b "c d" -e')
    assert small.size() == 5 and small.dropped == 0


def test_one_or_chain_keeps_at_most_max_alternatives():
    """A chain of 150 OR-joined words (the costliest kind: a scorer per word
    on every field over a union of their matches) keeps MAX_ALTERNATIVES;
    the words after it still count, up to MAX_TERMS in all."""
    words = [f"w{n}" for n in range(150)]
    q = parse(" OR ".join(words) + " harbour strike")
    assert [len(c.atoms) for c in q.must] == [MAX_ALTERNATIVES, 1, 1]
    assert q.size() == MAX_ALTERNATIVES + 2
    assert q.dropped == 150 - MAX_ALTERNATIVES
    assert parse("ferry OR boat OR ship").size() == 3


def test_the_page_says_when_words_were_left_out(client, search_backend, index_now):
    """Past the cap, the page and the API say how many words were left out."""
    f.article("Harbour cranes idle")
    index_now()
    text = " OR ".join(["harbour"] + [f"zz{n}" for n in range(99)])
    html = client.get("/search/", {"q": text}).content.decode()
    assert f"Searched for {MAX_ALTERNATIVES} words only; 84 more" in html
    assert "Harbour cranes idle" in html.replace("<mark>", "").replace("</mark>", "")
    short = " ".join(["harbour"] + [f"q{n}" for n in range(99)])  # 390 chars
    api = client.get("/api/v1/search", {"q": short}).json()
    assert f"Searched for {MAX_TERMS} words only; 36 more" in " ".join(api["notices"])


def test_a_one_letter_typo_is_corrected(client, search_backend, index_now):
    """A one-letter typo of a public word (missing, extra, changed or swapped
    letter) is respelled to it, on the page and in the API."""
    f.article("Parliament debates the budget", body="Ministers spoke.")
    f.article("Parliament recess begins", body="Members left.")
    index_now()
    for typo in ("parliment", "parlliament", "parliamant", "parliaemnt"):
        api = client.get("/api/v1/search", {"q": typo}).json()
        assert api["respelled"] == "parliament", typo
        assert api["total"] == 2, typo
    html = client.get("/search/", {"q": "budgte"}).content.decode()
    assert "Showing results for" in html and "<strong>budget</strong>" in html


def test_spelling_help_only_for_short_queries_that_find_nothing(
    search_backend, index_now, monkeypatch
):
    """The spelling lookup runs for a query of at most three words with no
    hit; never for a long one, nor for one that found something."""
    f.article("Parliament debates the budget")
    index_now()
    asked = []
    original = search_backend.spelling

    def spy(words):
        asked.append(list(words))
        return original(words)

    monkeypatch.setattr(search_backend, "spelling", spy)
    run = lambda q: service.run(service.Params(q=q), search_backend, log=False)  # noqa: E731
    assert run("parliment").respelled == "parliament"
    assert asked == [["parliment"]]
    run("parliament")  # found: no help needed
    run("parliment budgte zzqx wwqy")  # four words
    run(" ".join(f"qq{n}x" for n in range(300)))
    run(" OR ".join(f"qq{n}x" for n in range(300)))
    assert asked == [["parliment"]]


def test_a_flood_of_refused_searches_costs_no_query_and_echoes_safely(
    client, search_backend, index_now, settings, django_assert_num_queries
):
    """After a network's first 429, its further searches are refused with no
    database query at all (no count written, no menu, no session), and the
    page still names the search, escaped and cut to 200 characters."""
    settings.NEWSROOM_SEARCH_RATE = "1/3600"
    f.article("Harbour cranes idle")
    index_now()
    here = {"REMOTE_ADDR": "203.0.113.7"}
    assert client.get("/search/", {"q": "harbour"}, **here).status_code == 200
    assert client.get("/search/", {"q": "harbour"}, **here).status_code == 429
    hostile = "<script>alert(1)</script>" + "x" * 3000
    with django_assert_num_queries(0):
        refused = client.get("/search/", {"q": hostile}, **here)
    assert refused.status_code == 429
    page = refused.content.decode()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "x" * 200 not in page and "Too many searches" in page


def test_search_and_suggest_are_rate_limited_per_network(
    client, search_backend, index_now, settings
):
    """Past NEWSROOM_SEARCH_RATE ("count/seconds") searches from one network the page
    answers 429 with Retry-After and a readable page; suggest answers 429 as
    JSON; another network is not affected."""
    # Hour-long windows: a fixed window turning over mid-test is unlikely.
    settings.NEWSROOM_SEARCH_RATE = "3/3600"
    settings.NEWSROOM_SUGGEST_RATE = "2/3600"
    f.article("Harbour cranes idle")
    index_now()
    here = {"REMOTE_ADDR": "203.0.113.7"}
    for _ in range(3):
        assert client.get("/search/", {"q": "harbour"}, **here).status_code == 200
    refused = client.get("/search/", {"q": "harbour"}, **here)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 3600
    assert "Too many searches" in refused.content.decode()
    assert refused["Content-Type"].startswith("text/html")
    other = client.get("/search/", {"q": "harbour"}, REMOTE_ADDR="198.51.100.9")
    assert other.status_code == 200
    for _ in range(2):
        assert client.get("/search/suggest", {"q": "har"}, **here).status_code == 200
    limited = client.get("/search/suggest", {"q": "har"}, **here)
    assert limited.status_code == 429 and limited["Retry-After"]
    assert limited.json()["error"] == "rate_limited"


def test_spam_from_one_network_moves_a_query_by_at_most_three(
    client, search_backend, index_now, settings
):
    """500 searches for one string from one network count at most 3 times;
    readers from three other networks count once each."""
    settings.NEWSROOM_SEARCH_RATE = "10000/60"
    f.article("Harbour cranes idle")
    index_now()
    for _ in range(500):
        client.get("/search/", {"q": "buy pills now"}, REMOTE_ADDR="203.0.113.7")
    for n in range(3):
        client.get("/search/", {"q": "harbour"}, REMOTE_ADDR=f"198.51.{n}.1")
    analytics.flush()
    counts = dict(SearchQuery.objects.values_list("query", "searches"))
    assert counts == {"buy pills now": 3, "harbour": 3}
    assert SearchQuery.objects.get(query="buy pills now").zero_hits == 3


def test_a_search_writes_nothing_and_the_cap_holds_across_flushes(
    client, search_backend, index_now, settings, monkeypatch
):
    """A search writes nothing of its own: the analytics cap is applied when
    the buffer is flushed (it was a write transaction per search on SQLite),
    and the network's rate count is held by the process and written with the
    other networks' counts a second later, in one transaction (it was another
    write per search). Spread over several flushes, one network still counts
    at most 3 times a query a day, and zero-hit searches keep their share."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from newsroom.core import limits
    from newsroom.core.models import RateCounter

    settings.NEWSROOM_SEARCH_RATE = "10000/60"
    monkeypatch.setattr(limits, "FLUSH_SECONDS", 3600.0)
    f.article("Harbour cranes idle")
    index_now()
    here = {"REMOTE_ADDR": "203.0.113.7"}
    client.get("/search/", {"q": "harbour"}, **here)  # warm: menus, names
    analytics.flush()
    limits.write_held()
    with CaptureQueriesContext(connection) as seen:
        for n in range(5):
            page = client.get("/search/", {"q": "cranes"}, REMOTE_ADDR=f"198.51.{n}.7")
            assert page.status_code == 200
    writes = [
        q["sql"]
        for q in seen.captured_queries
        if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == [], writes
    with CaptureQueriesContext(connection) as seen:
        assert limits.write_held() == 5
    upserts = [q for q in seen.captured_queries if q["sql"].startswith("INSERT")]
    held = RateCounter.objects.filter(key__startswith="search.page:198.51.")
    assert len(upserts) == 5 and held.count() == 5
    analytics.flush()
    for _ in range(3):
        for _ in range(2):
            client.get("/search/", {"q": "zzqx nothing"}, **here)
        analytics.flush()
    counts = dict(SearchQuery.objects.values_list("query", "searches"))
    assert counts["cranes"] == 5 and counts["zzqx nothing"] == 3
    assert SearchQuery.objects.get(query="zzqx nothing").zero_hits == 3


def test_rows_past_the_retention_are_pruned_automatically(settings):
    """Days older than NEWSROOM_SEARCH_ANALYTICS_DAYS are deleted by the next
    flush, with no job to run."""
    settings.NEWSROOM_SEARCH_ANALYTICS_DAYS = 90
    today = timezone.localdate()
    SearchQuery.objects.create(query="old", day=today - timedelta(days=91), searches=1)
    SearchQuery.objects.create(query="kept", day=today - timedelta(days=89), searches=1)
    analytics.discard()
    analytics.record("fresh", 2)
    analytics.flush()
    assert set(SearchQuery.objects.values_list("query", flat=True)) == {
        "kept",
        "fresh",
    }


def test_prefix_searches_are_capped():
    """At most MAX_PREFIXES prefix searches (word*) a query, in AND, OR and
    exclusions alike; the others are left out and counted."""
    from newsroom.search.query import MAX_PREFIXES, Word

    q = parse(" OR ".join(f"ab{n}*" for n in range(100)))
    prefixes = [a for a in q.atoms() if isinstance(a, Word) and a.prefix]
    assert len(prefixes) == MAX_PREFIXES and q.dropped >= 96
    mixed = parse("ab* cd* ef* gh* ij* harbour -kl*")
    assert mixed.to_text() == "ab* cd* ef* gh* harbour" and mixed.dropped == 2


def test_excluded_phrases_are_capped():
    """At most MAX_EXCLUDED_PHRASES excluded phrases a query (each is checked
    against every match: at 1M, 31 excluded phrases of common words cost
    88-143 ms a page even narrowed, bench/abuse.py "exclusions"); the others
    are left out and their words counted. Excluded words are not capped by
    it."""
    from newsroom.search.query import MAX_EXCLUDED_PHRASES, Phrase

    q = parse("harbour " + " ".join(f'-"a{n} b{n}"' for n in range(20)))
    assert len(q.exclude) == MAX_EXCLUDED_PHRASES
    assert all(isinstance(a, Phrase) for a in q.exclude)
    assert q.dropped == (20 - MAX_EXCLUDED_PHRASES) * 2
    same = parse('harbour -"a b" -"a b" -"a b"')  # the same phrase is one
    assert len(same.exclude) == 1 and same.dropped == 0
    words = parse("harbour " + " ".join(f"-w{n}" for n in range(20)))
    assert len(words.exclude) == 20 and words.dropped == 0


@pytest.mark.parametrize("value", ["60", "0/60", "sixty/60", "60/"])
def test_a_malformed_search_rate_fails_manage_py_check(value):
    """NEWSROOM_SEARCH_RATE must be "count/seconds" with both positive: any
    other value stops `manage.py check` naming the setting (newsroom.E100),
    instead of a 500 on the first search."""
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError
    from django.test import override_settings

    with override_settings(NEWSROOM_SEARCH_RATE=value):
        with pytest.raises(SystemCheckError) as caught:
            call_command("check")
    assert "newsroom.E100" in str(caught.value)
    assert "NEWSROOM_SEARCH_RATE" in str(caught.value)


def test_a_failing_analytics_write_never_fails_the_readers_search(
    client, search_backend, index_now, settings, monkeypatch, caplog
):
    """The query log is a side effect: when its flush cannot write (its table
    gone, the disk full, the database refusing), the reader whose search
    happened to trigger the flush still gets the results page, the lost batch
    is logged, and the next flush counts again."""
    from django.db import connection

    settings.NEWSROOM_SEARCH_RATE = "10000/60"
    f.article("Harbour cranes idle")
    index_now()
    monkeypatch.setattr(analytics, "FLUSH_SECONDS", -1.0)  # every search flushes
    table = SearchQuery._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME TO {table}_away")
    try:
        with caplog.at_level("WARNING", logger="newsroom.search.analytics"):
            page = client.get("/search/", {"q": "harbour"}, REMOTE_ADDR="203.0.113.9")
        assert page.status_code == 200 and b"cranes idle" in page.content
        assert "lost" in caplog.text
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table}_away RENAME TO {table}")
    client.get("/search/", {"q": "cranes"}, REMOTE_ADDR="203.0.113.9")
    assert dict(SearchQuery.objects.values_list("query", "searches")) == {"cranes": 1}


def test_a_word_the_analyzer_splits_counts_each_piece():
    """A word joined by hyphens, apostrophes or dots (``the-a-of-...``) is a
    phrase to the analyzer, and each piece counts toward MAX_TERMS as a
    quoted phrase's words do: one 2,000-character word of common words
    was a phrase of ~400 terms (153 ms a page at 1M). It is cut to the
    pieces left, and the rest are counted in ``dropped``."""
    from newsroom.search.query import MAX_TERMS, Word

    long = "-".join(["the", "a", "of", "in"] * 40)  # 160 pieces
    q = parse(long)
    (atom,) = q.atoms()
    assert isinstance(atom, Word) and len(atom.text.split("-")) == MAX_TERMS
    assert q.dropped == 160 - MAX_TERMS and q.size() == MAX_TERMS
    assert parse("state-of-the-art x-ray").size() == 6
    assert parse("state-of-the-art x-ray").dropped == 0
    two = parse(long + " budget")  # nothing left for the second word
    assert [a.to_text() for a in two.atoms()] == [atom.text]
    assert two.dropped == 160 - MAX_TERMS + 1
    mixed = parse('"the-a of" ' + long)
    assert mixed.size() == MAX_TERMS and mixed.dropped == 3 + 160 - MAX_TERMS
    pref = parse("said'th* " + " ".join(f"w{i}" for i in range(70)))
    assert pref.atoms()[0] == Word("said'th", prefix=True)
