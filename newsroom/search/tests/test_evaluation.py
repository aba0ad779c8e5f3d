"""evaluate_search (scores by ranx, temporary index) and the relaxed retry
for long queries that it made necessary (service.run, shared with the site)."""

from __future__ import annotations

import gzip
import json
import math
import re
import tempfile
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from newsroom.articles.tests import factories as f
from newsroom.search import evaluation, service
from newsroom.search.backends.base import SearchRequest
from newsroom.search.query import Clause, Word, parse

# A tiny collection of our own. Queries 1-3 have at most three words, so the
# site requires all of them (AND): each finds exactly one document. Query 4
# has four words and no document with all of them, so the relaxed retry
# answers it; only d5 has any of its words.
DOCS = [
    ("d1", "Harbour cranes", "The harbour cranes lift containers from ships."),
    ("d2", "Bakery", "Fresh bread every morning at the corner bakery."),
    ("d3", "Night ferry", "The ferry crosses the harbour at night."),
    ("d4", "Orchard", "Apples and pears ripen in the orchard."),
    ("d5", "Lighthouse", "A lighthouse guards the harbour entrance."),
    ("d6", "Market", "Pears and bread are sold at the market."),
]
QUERIES = [
    ("1", "harbour cranes containers"),  # finds d1; d1 and d3 relevant
    ("2", "bakery"),  # finds d2, relevant with grade 2
    ("3", "pears orchard"),  # finds d4; only d6 relevant
    ("4", "lighthouse guards entrance tonight"),  # relaxed: finds d5, relevant
    ("5", "ferry"),  # no relevant document: not scored
    ("6", "market"),  # judged, all "rel 0": not scored
]
QRELS = "1 0 d1 1\n1 0 d3 1\n2 0 d2 2\n3 0 d6 1\n3 0 d4 0\n4 0 d5 1\n6 0 d6 0\n"
# By hand (trec_eval's definitions, averaged over queries 1-4):
# AP: q1 (1/1)/2 = 0.5, q2 1, q3 0, q4 1.      MAP = 2.5 / 4 = 0.625
# P@10: one relevant in the top ten for q1, q2, q4.  P@10 = 0.3 / 4 = 0.075
# nDCG@10: q1 1 / (1 + 1/log2(3)), q2 2/2, q3 0, q4 1.
NDCG = (1 / (1 + 1 / math.log2(3)) + 1 + 0 + 1) / 4


def write_collection(root: Path, name: str = "tiny") -> Path:
    path = root / name
    path.mkdir(parents=True)
    with gzip.open(path / "docs.jsonl.gz", "wt", encoding="utf-8") as out:
        for docid, title, body in DOCS:
            out.write(
                json.dumps(
                    {
                        "id": docid,
                        "title": title,
                        "body": body,
                        "author": "A. Writer; B. Other",
                    }
                )
                + "\n"
            )
    (path / "queries.tsv").write_text(
        "".join(f"{q}\t{text}\n" for q, text in QUERIES), encoding="utf-8"
    )
    (path / "qrels.txt").write_text(QRELS, encoding="utf-8")
    return path


@pytest.fixture
def private_tmp(tmp_path, monkeypatch) -> Path:
    """tempfile's directory for this test only, to see what is left in it."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    return tmp


def test_command_scores_by_hand_and_removes_its_index(
    tmp_path, private_tmp, search_backend
):
    """evaluate_search prints MAP, nDCG@10 and P@10 equal to hand-computed
    values, counts the relaxed query, built a real index in a temporary
    directory while running and leaves nothing behind."""
    path = write_collection(tmp_path / "data")
    seen = []

    def progress(text: str) -> None:
        seen.append(sorted(p.name for p in private_tmp.iterdir()))

    report = evaluation.evaluate(path, progress=progress)
    assert report.queries == 4
    assert report.scores["MAP"] == pytest.approx(0.625)
    assert report.scores["P@10"] == pytest.approx(0.075)
    assert report.scores["nDCG@10"] == pytest.approx(NDCG)
    assert report.relaxed == 1
    assert report.reference is None  # no README beside it
    assert seen[-1] and seen[-1][0].startswith("newsroom-eval-tiny-")
    assert list(private_tmp.iterdir()) == []

    out = StringIO()
    call_command(
        "evaluate_search", str(tmp_path / "data"), stdout=out, stderr=StringIO()
    )
    row = next(ln for ln in out.getvalue().splitlines() if ln.startswith("| tiny"))
    assert row.split(" | ")[1:5] == ["4", "0.6250", f"{NDCG:.4f}", "0.0750"]
    assert list(private_tmp.iterdir()) == []


def test_k_and_sort_options(tmp_path, private_tmp, search_backend):
    """--k changes the cut-off of nDCG and P; --sort recent ranks undated
    documents as relevance does."""
    path = write_collection(tmp_path)
    out = StringIO()
    call_command(
        "evaluate_search",
        str(path),
        "--k",
        "1",
        "--sort",
        "recent",
        stdout=out,
        stderr=StringIO(),
    )
    text = out.getvalue()
    assert "| collection | queries | MAP | nDCG@1 | P@1 |" in text
    # P@1: q1, q2 and q4 have a relevant document first: 3 / 4.
    assert re.search(r"\| tiny \| 4 \| 0\.6250 \| [\d.]+ \| 0\.7500 \|", text)


@pytest.mark.parametrize(
    "breakage, message",
    [
        (lambda p: (p / "qrels.txt").unlink(), "missing qrels.txt"),
        (lambda p: (p / "qrels.txt").write_text("1 0 d1\n"), "qrels.txt line 1"),
        (
            lambda p: (p / "queries.tsv").write_text("no tab here\n"),
            "queries.tsv line 1",
        ),
        (lambda p: (p / "docs.jsonl.gz").write_bytes(b"not gzip"), "docs.jsonl.gz"),
        (
            lambda p: (p / "qrels.txt").write_text("9 0 d1 1\n"),
            "no query in queries.tsv",
        ),
    ],
)
def test_bad_collections_are_clear_errors(
    tmp_path, private_tmp, search_backend, breakage, message
):
    """A damaged collection stops the command with a message naming the file
    (and line), not a traceback; no temporary index is left."""
    path = write_collection(tmp_path)
    breakage(path)
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("evaluate_search", str(path), stdout=StringIO(), stderr=StringIO())
    assert list(private_tmp.iterdir()) == []


def test_bad_arguments(tmp_path):
    """A directory that is not a collection, or --k 0, is refused clearly."""
    with pytest.raises(CommandError, match="not a test collection"):
        call_command("evaluate_search", str(tmp_path))
    with pytest.raises(CommandError, match="not a directory"):
        call_command("evaluate_search", str(tmp_path / "nope"))
    write_collection(tmp_path)
    with pytest.raises(CommandError, match="at least 1"):
        call_command("evaluate_search", str(tmp_path), "--k", "0")


def test_shared_collection_at_least_the_reference(
    shared_data, private_tmp, search_backend
):
    """On ADI (the smallest shared collection) the production ranking scores
    at least the README's BM25 reference MAP, less a small tolerance, and the
    reference figures are read from the README."""
    report = evaluation.evaluate(shared_data / "ir" / "adi")
    assert report.reference is not None and report.queries == 35
    assert report.queries == report.reference["queries"]
    assert report.scores["MAP"] >= report.reference["MAP"] - 0.01
    assert list(private_tmp.iterdir()) == []


def test_reference_run_scores_as_the_readme_says(shared_data, tmp_path):
    """The scorer agrees with trec_eval: the shared reference BM25 run, scored
    here, gives the README's figures (checks numbering, rel 0 and averaging)."""
    import subprocess
    import sys

    ir = shared_data / "ir"
    subprocess.run(
        [
            sys.executable,
            str(ir / "bm25_reference.py"),
            "adi",
            "cran",
            "--run-dir",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
    )
    for name in ("adi", "cran"):
        runs: dict[str, dict[str, float]] = {}
        for line in (tmp_path / f"{name}.run").read_text().splitlines():
            qid, _, docid, _, s, _ = line.split()
            runs.setdefault(qid, {})[docid] = float(s)
        collection = evaluation.load_collection(ir / name)
        queries, scores = evaluation.score(collection.qrels, runs)
        ref = evaluation.reference_figures(ir / name)
        assert queries == ref["queries"]
        for metric in ("MAP", "nDCG@10", "P@10"):
            assert round(scores[metric], 4) == ref[metric], (name, metric)


# The relaxed retry (service.run), as the results page uses it


def test_relaxed_query_drops_function_words_keeps_repeats_and_exclusions():
    """relaxed() makes one any-of clause of the content words (a repeated word
    twice), keeps exclusions, and keeps function words only when nothing else
    is left."""
    q = parse("what is the harbour crane, the harbour? -ferry")
    loose = q.relaxed()
    assert loose.must == (Clause((Word("harbour"), Word("crane,"), Word("harbour?"))),)
    assert loose.exclude == (Word("ferry"),)
    assert parse("what is the").relaxed().must == (
        Clause((Word("what"), Word("is"), Word("the"))),
    )
    assert parse('"old city" flood OR fire storm wall').plain_words() == 2


@pytest.mark.django_db
def test_long_query_without_all_words_ranks_by_any_word(
    client, search_backend, index_now
):
    """A question of four or more words that no article fully matches shows
    the articles matching most of its words first, says so, and still
    honours exclusions; a short query keeps requiring every word."""
    f.article(
        "Harbour cranes idle", body="Dockers strike; the harbour cranes stand idle."
    )
    f.article("Ferry resumes", body="The harbour ferry runs again.")
    f.article("Bakery opens", body="Fresh bread on the corner.")
    index_now()
    html = client.get(
        "/search/", {"q": "why are the harbour cranes idle today"}
    ).content.decode()
    assert "Few articles have all the words" in html
    found = re.findall(r'search-hit__headline"><a href="/article/([^/]+)/', html)
    assert found == ["harbour-cranes-idle", "ferry-resumes"]
    html = client.get(
        "/search/", {"q": "why the harbour cranes today -idle"}
    ).content.decode()
    assert re.findall(r'search-hit__headline"><a href="/article/([^/]+)/', html) == [
        "ferry-resumes"
    ]
    short = client.get("/search/", {"q": "harbour cranes today"}).content.decode()
    assert "Few articles have all the words" not in short


@pytest.mark.django_db
def test_relaxed_only_below_a_page_of_full_matches(search_backend, index_now):
    """When a page's worth of articles has every word, the long query stays
    an AND query (no relaxed retry)."""
    for n in range(service.RELAX_BELOW):
        f.article(f"Storm floods coastal town {n}", body="storm floods coastal town")
    f.article("Storm only", body="storm")
    index_now()
    params = service.Params(q="storm floods coastal town")
    outcome = service.run(params, log=False)
    assert not outcome.relaxed and outcome.results.total == service.RELAX_BELOW
    outcome = service.run(service.Params(q="storm floods coastal town x"), log=False)
    assert outcome.relaxed and outcome.results.total == service.RELAX_BELOW + 1


# Snippets from the opening text first (found by bench/search.py: tokenizing
# every hit's whole body was most of a results page's engine time)


@pytest.mark.django_db
def test_snippet_found_early_or_late_in_a_long_body(search_backend, index_now):
    """A word in the opening text is highlighted there with a trailing
    ellipsis; a word only past the scanned opening is still found and
    highlighted from the whole body."""
    from newsroom.search.backends.base import SearchRequest
    from newsroom.search.backends.tantivy_highlight import SNIPPET_SCAN_CHARS

    filler = "Quiet streets and closed shops. " * (SNIPPET_SCAN_CHARS // 20)
    f.article("Early story", body="The lighthouse keeper waved. " + filler)
    f.article("Late story", body=filler + "Then a ferryman sang.")
    index_now()
    early = search_backend.search(SearchRequest(parse("lighthouse"))).hits[0]
    assert early.snippet_html.startswith("The <mark>lighthouse</mark> keeper")
    assert early.snippet_html.endswith(" …")
    late = search_backend.search(SearchRequest(parse("ferryman"))).hits[0]
    assert "<mark>ferryman</mark> sang" in late.snippet_html
    assert late.snippet_html.startswith("… ")


def test_without_ranx_the_command_names_what_to_install(tmp_path, monkeypatch):
    """On a `make run` install (no test extras) evaluate_search stops with one
    line naming the package, not a ModuleNotFoundError traceback."""
    from newsroom.search.management.commands import evaluate_search

    monkeypatch.setattr(evaluate_search, "find_spec", lambda name: None)
    with pytest.raises(CommandError, match=r"needs ranx: run `make install-test`"):
        call_command("evaluate_search", str(tmp_path))


@pytest.mark.django_db
def test_a_long_question_few_articles_fully_match_costs_one_search(
    search_backend, index_now, monkeypatch
):
    """Whether enough articles have every word is asked with a cheap probe
    (top ten, uncounted, no documents read), so a long question that few
    articles fully match runs one search, the relaxed one, not the full
    all-words search (with facets and highlights) first; it was two, and
    the first was a third of a long question's page at 1,000,000 articles.
    Where the relaxed search finds no more than every word did, the
    all-words results are shown and not called relaxed."""
    f.article("Harbour cranes idle", body="harbour cranes idle tonight at the quay")
    f.article("Ferry resumes", body="The harbour ferry runs again.")
    index_now()
    asked = []
    real = search_backend.search
    monkeypatch.setattr(search_backend, "search", lambda r: asked.append(r) or real(r))
    outcome = service.run(service.Params(q="why harbour cranes idle today"), log=False)
    assert outcome.relaxed and outcome.results.total == 2
    assert len(asked) == 1 and asked[0].query != parse("why harbour cranes idle today")
    asked.clear()
    outcome = service.run(service.Params(q="cranes idle tonight quay"), log=False)
    assert not outcome.relaxed and outcome.results.total == 1
    assert [r.query for r in asked][-1] == parse("cranes idle tonight quay")


@pytest.mark.django_db
def test_the_long_question_probe_reads_article_texts_only(search_backend, index_now):
    """The probe asks for every word in the article texts alone: an AND of
    single terms, ~1.5 ms at 1,000,000 articles against ~8.6 for an AND of
    five fields' postings per word (bench/search.py, "long"). So ten
    articles with every word, one of them only in their headlines, are not
    counted by the probe; the page answers with the any-word ranking, and
    those articles still come first in it (they match the most words).
    Phrases keep the probe on every field."""
    from newsroom.search.backends.base import SearchRequest

    for n in range(service.RELAX_BELOW):
        f.article(f"Lighthouse beacon {n}", body="keeper storm night ferry")
    f.article("Other", body="keeper storm night")
    index_now()
    probe = SearchRequest(parse("lighthouse keeper storm night"))
    assert search_backend.matches_at_least(probe, service.RELAX_BELOW) == 0
    texts = SearchRequest(parse("ferry keeper storm night"))
    assert search_backend.matches_at_least(texts, service.RELAX_BELOW) == 10
    phrase = SearchRequest(parse('"lighthouse beacon" keeper storm night'))
    assert search_backend.matches_at_least(phrase, service.RELAX_BELOW) == 10
    outcome = service.run(service.Params(q="lighthouse keeper storm night"), log=False)
    assert outcome.relaxed and outcome.results.total == service.RELAX_BELOW + 1
    assert all(h.headline.startswith("Lighthouse") for h in outcome.results.hits)


def _snippets(backend, index_now, text: str, *articles) -> dict[str, str]:
    """Each (headline, standfirst, body) indexed, then ``text`` searched:
    the hits' snippets by headline."""
    from newsroom.search.backends.base import SearchRequest

    for headline, standfirst, body in articles:
        f.article(headline, standfirst=standfirst, body=body)
    index_now()
    hits = backend.search(SearchRequest(parse(text))).hits
    return {h.headline: h.snippet_html for h in hits}


@pytest.mark.django_db
def test_a_snippet_is_the_standfirst_when_it_has_a_matched_word(
    search_backend, index_now
):
    """The standfirst, the article's own summary and the snippet shown when
    nothing matches, is looked at first (~9 us a hit); the body's opening
    (~72 us: the costly step, most of a page's highlighting at 1M) only
    when the standfirst has no matched word, then the whole body."""
    snippets = _snippets(
        search_backend,
        index_now,
        "lighthouse",
        (
            "Port news",
            "The lighthouse reopens for visitors.",
            "The lighthouse keeper waved from the gallery.",
        ),
        (
            "Coast news",
            "Visitors return to the coast.",
            "A lighthouse stands on the point.",
        ),
    )
    assert snippets["Port news"] == "The <mark>lighthouse</mark> reopens for visitors."
    assert snippets["Coast news"] == "A <mark>lighthouse</mark> stands on the point."


@pytest.mark.django_db
def test_a_snippet_shows_more_of_the_query_than_a_standfirst_with_one_word(
    search_backend, index_now
):
    """The standfirst is the snippet when it shows two of the query's words
    (or its only one); when it shows fewer than the body's opening, the
    opening is shown, so a phrase found in the text is not traded for one
    of its words in the standfirst."""
    snippets = _snippets(
        search_backend,
        index_now,
        '"budget vote"',
        (
            "Vote news",
            "The budget is late again.",
            "Tonight the budget vote was lost by two.",
        ),
        (
            "Both words",
            "A budget vote tonight.",
            "The budget vote was lost by two votes.",
        ),
    )
    assert snippets["Vote news"].startswith(
        "Tonight the <mark>budget</mark> <mark>vote</mark> was lost"
    )
    assert snippets["Both words"] == "A <mark>budget</mark> <mark>vote</mark> tonight."


@pytest.mark.django_db
def test_a_snippet_of_an_or_search_is_the_standfirst_with_either_word(
    search_backend, index_now
):
    """``budget OR vote`` asks for either word: a standfirst with one of them
    is the snippet, and the body's opening is not read for the other (for
    an OR, that read was ~0.5 ms a page at 1M: eight hits in ten). Both
    words typed, the opening that shows both is still preferred."""
    article = (
        "Vote news",
        "The budget is late again.",
        "Tonight the budget vote was lost by two.",
    )
    either = _snippets(search_backend, index_now, "budget OR vote", article)
    assert either["Vote news"] == "The <mark>budget</mark> is late again."
    both = search_backend.search(SearchRequest(parse("budget vote"))).hits
    assert both[0].snippet_html.startswith(
        "Tonight the <mark>budget</mark> <mark>vote</mark> was lost"
    )


@pytest.mark.django_db
def test_a_body_opening_that_cannot_show_more_words_is_not_read(
    search_backend, index_now, monkeypatch
):
    """A body's opening is tokenized (~72 us a hit) only when it may hold
    more of the query's words than the standfirst showed: a plain-text check
    for each word's stem (less its last letter) comes first. At 1M, 175 of
    293 openings read for two or three words showed one word and 103 none,
    so most reads are skipped; the 240 bench pages were the same either way.
    Text with folded letters is always read."""
    from newsroom.search.backends import tantivy_highlight

    read = []
    real = tantivy_highlight._snippet

    def spy(gen, name, whole, doc, full):
        read.append((whole[:12], name, full))
        return real(gen, name, whole, doc, full)

    monkeypatch.setattr(tantivy_highlight, "_snippet", spy)
    filler = "Harbour traffic was light all week. " * 40  # past the opening
    snippets = _snippets(
        search_backend,
        index_now,
        "budget vote",
        ("Late vote", "The budget is late again.", filler + "The vote was lost."),
        ("Both", "The budget is late.", "Tonight the budget vote was lost by two."),
        ("Accented", "The budget is late too.", "Vóte " + filler + "The vote."),
    )
    assert snippets["Late vote"] == "The <mark>budget</mark> is late again."
    assert snippets["Both"].startswith("Tonight the <mark>budget</mark> <mark>vote")
    openings = [w for w, name, full in read if name == "body" and not full]
    assert "Harbour traf" not in openings  # cannot show "vote": not read
    assert "Tonight the " in openings and "Vóte Harbour" in openings


@pytest.mark.django_db
def test_an_excluded_word_in_headlines_keeps_the_probe_exact(
    search_backend, index_now, monkeypatch
):
    """A question with an exclusion is probed on every field: looked for in
    texts only, ``-word`` would not see a word found in headlines alone, so
    the probe would count articles the search then leaves out, and a crafted
    question would cost three searches (probe, all words, relaxed) instead
    of a probe and one."""
    for n in range(service.RELAX_BELOW):
        f.article(f"Lighthouse beacon {n}", body="keeper storm night ferry")
    f.article("Quiet coast", body="keeper storm night")
    index_now()
    asked = []
    real = search_backend.search
    monkeypatch.setattr(search_backend, "search", lambda r: asked.append(r) or real(r))
    outcome = service.run(
        service.Params(q="keeper storm night ferry -lighthouse"), log=False
    )
    assert outcome.relaxed and [h.headline for h in outcome.results.hits] == [
        "Quiet coast"
    ]
    assert len(asked) == 1
