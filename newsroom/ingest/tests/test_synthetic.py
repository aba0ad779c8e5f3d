"""The synthetic archive: reproducible, news-shaped, fast to write, indexed."""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from newsroom.articles.models import Article, Byline, Section
from newsroom.articles.rendering import render_markdown
from newsroom.ingest import synthetic
from newsroom.search.models import IndexChange

END = datetime(2025, 6, 1, tzinfo=UTC)
BUILTIN = synthetic.builtin_vocabulary()


def gen(seed: int = 3, vocab=BUILTIN) -> synthetic.ArchiveGenerator:
    return synthetic.ArchiveGenerator(seed, END, vocab)


def test_same_seed_gives_the_same_archive_and_another_seed_another():
    """Article i depends only on seed and index; a new generator repeats it."""
    first = [gen(3).article(i) for i in range(20)]
    again = [gen(3).article(i) for i in range(20)]
    other = [gen(4).article(i) for i in range(20)]
    assert first == again
    assert [a.headline for a in first] != [a.headline for a in other]
    assert len({a.headline for a in first}) == 20


def test_jsonl_output_is_byte_identical_and_a_smaller_count_is_a_prefix(tmp_path):
    """Same seed, same file, whatever the batch size or worker count."""
    common = [
        "--seed",
        "11",
        "--end",
        "2025-06-01",
        "--builtin-vocabulary",
        "--verbosity",
        "0",
    ]
    call_command(
        "generate_articles",
        "--count",
        "40",
        "--batch",
        "7",
        "--jobs",
        "2",
        "--output",
        str(tmp_path / "a.jsonl"),
        *common,
    )
    call_command(
        "generate_articles",
        "--count",
        "40",
        "--batch",
        "40",
        "--jobs",
        "1",
        "--output",
        str(tmp_path / "b.jsonl.gz"),
        *common,
    )
    call_command(
        "generate_articles",
        "--count",
        "15",
        "--output",
        str(tmp_path / "c.jsonl"),
        *common,
    )
    a = (tmp_path / "a.jsonl").read_bytes()
    with gzip.open(tmp_path / "b.jsonl.gz", "rb") as handle:
        b = handle.read()
    assert a == b
    assert a.startswith((tmp_path / "c.jsonl").read_bytes())
    rows = [json.loads(line) for line in a.decode().splitlines()]
    assert len(rows) == 40
    assert set(rows[0]) == {
        "id",
        "title",
        "body",
        "published",
        "category",
        "author",
        "url",
        "source",
        "tags",
    }
    assert len({r["id"] for r in rows}) == 40
    assert all("\n\n" in r["body"] and r["tags"] and r["author"] for r in rows)


def test_articles_have_news_shaped_lengths_dates_sections_and_people():
    """6-14 word headlines, 150-900 word bodies in paragraphs, quotes, 20 years."""
    g = gen(5)
    items = g.batch(0, 300)
    for a in items:
        assert 6 <= len(a.headline.split()) <= 14, a.headline
        assert 150 <= a.word_count <= 900 + 10, a.word_count  # quotes add "said X Y"
        assert len(a.paragraphs) >= 2
        assert END - timedelta(days=365.25 * 20 + 1) <= a.published_at < END
        assert a.published_at <= a.updated_at <= END
        assert a.section in synthetic.SECTION_WEIGHTS
        assert 1 <= len(a.tags) <= 4 and 1 <= len(a.authors) <= 2
        assert a.dateline.isupper()
    quoted = [a for a in items if any(q for q, _ in a.paragraphs)]
    assert 0.2 < len(quoted) / len(items) < 0.95
    years = {a.published_at.year for a in items}
    assert len(years) >= 15
    assert {a.section for a in items} == set(synthetic.SECTION_WEIGHTS)
    lengths = sorted(a.word_count for a in items)
    assert 250 < lengths[len(lengths) // 2] < 550  # median near a news story's


def test_cheap_renderer_matches_render_markdown_exactly():
    """Stored body_html is what the site's Markdown renderer would make."""
    for a in gen(8).batch(0, 150):
        assert a.body_html == render_markdown(a.body)


def test_words_follow_a_zipf_like_law():
    """The most common word is far more frequent than the 10th, that than the 100th."""
    counts = Counter(
        w.lower().strip(".,“”")
        for a in gen(9).batch(0, 200)
        for _, text in a.paragraphs
        for w in text.split()
    )
    ranked = [n for _, n in counts.most_common()]
    assert ranked[0] > 4 * ranked[9] and ranked[9] > 4 * ranked[99]
    assert len(counts) > 300


def test_corpus_vocabulary_takes_word_counts_not_sentences(shared_data):
    """With the shared corpora: their frequent words, and no 8-word run copied."""
    vocab = synthetic.load_vocabulary(shared_data)
    assert vocab.origin.startswith("corpora")
    assert vocab.words[0] == "the" and len(vocab.words) > 10000
    with gzip.open(shared_data / "bbc" / "articles.jsonl.gz", "rt") as handle:
        corpus = [json.loads(line)["body"] for line in handle]
    grams = set()
    for body in corpus:
        words = re.findall(r"\w+", body.lower())
        grams.update(tuple(words[i : i + 8]) for i in range(len(words) - 7))
    for a in gen(2, vocab).batch(0, 40):
        assert a.body_html == render_markdown(a.body)
        words = re.findall(r"\w+", a.body.lower())
        assert not any(tuple(words[i : i + 8]) in grams for i in range(len(words) - 7))


@pytest.mark.django_db(transaction=True)
def test_generate_into_database_with_outbox_bylines_and_tags(client):
    """Rows, bylines, tags and one outbox row per article; a rerun adds nothing."""
    args = [
        "--count",
        "120",
        "--seed",
        "21",
        "--batch",
        "50",
        "--end",
        "2025-06-01",
        "--builtin-vocabulary",
        "--verbosity",
        "0",
    ]
    call_command("generate_articles", *args)
    assert Article.objects.filter(source=synthetic.SOURCE).count() == 120
    assert Article.objects.published().count() == 120
    ids = set(Article.objects.values_list("id", flat=True))
    assert set(IndexChange.objects.values_list("article_id", flat=True)) == ids
    assert (
        Byline.objects.filter(article_id__in=ids).values("article").distinct().count()
        == 120
    )
    assert Article.tags.through.objects.filter(article_id__in=ids).count() >= 120
    assert Section.objects.count() == 7
    expected = gen(21).article(7)
    stored = Article.objects.with_byline().get(source_id="21-7")
    assert stored.headline == expected.headline
    assert stored.body_html == render_markdown(stored.body)
    assert stored.published_at == expected.published_at
    assert stored.updated_at == expected.updated_at  # not "now": no false "Updated"
    assert [a.name for a in stored.byline()] == expected.authors
    assert sorted(t.name for t in stored.tags.all()) == sorted(expected.tags)
    page = client.get(stored.get_absolute_url())
    assert page.status_code == 200 and expected.headline in page.content.decode()

    call_command("generate_articles", *args)
    assert Article.objects.count() == 120
    call_command("generate_articles", *args[:1], "150", *args[2:])
    assert Article.objects.count() == 150
    assert IndexChange.objects.count() == 150


@pytest.mark.django_db(transaction=True)
def test_no_outbox_flag_writes_articles_without_outbox_rows():
    """--no-outbox is for benchmarks that rebuild the index afterwards."""
    call_command(
        "generate_articles",
        "--count",
        "30",
        "--seed",
        "1",
        "--no-outbox",
        "--builtin-vocabulary",
        "--verbosity",
        "0",
    )
    assert Article.objects.count() == 30
    assert IndexChange.objects.count() == 0


@pytest.mark.django_db
def test_generated_ids_do_not_collide_with_existing_articles():
    """Ids are allocated after the existing ones; slugs never clash."""
    from newsroom.articles.tests import factories as f

    first = f.article("An editor's own story")
    call_command(
        "generate_articles",
        "--count",
        "10",
        "--seed",
        "2",
        "--builtin-vocabulary",
        "--verbosity",
        "0",
    )
    assert Article.objects.count() == 11
    assert min(Article.objects.exclude(pk=first.pk).values_list("pk", flat=True)) > (
        first.pk
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["--count", "-1"], "--count"),
        (["--count", "5", "--seed", "-3"], "--seed"),
        (["--count", "5", "--batch", "0"], "--batch"),
        (["--count", "5", "--end", "yesterday"], "--end"),
    ],
)
def test_bad_arguments_are_clear_errors(args, message):
    """Bad input stops before anything is written, naming the option."""
    with pytest.raises(CommandError, match=message):
        call_command("generate_articles", *args, "--builtin-vocabulary")


@pytest.mark.django_db
def test_tag_names_sharing_a_slug_link_once():
    """Two spellings of one tag are one Tag row and one link, not an error."""
    from newsroom.ingest.management.commands import generate_articles as cmd

    g = gen(6)
    assert len({synthetic.slugify(t) for t in g.tags}) == len(g.tags)
    item = g.article(0)
    item.tags = ["Fish Market", "Fish-Market"]
    sections = cmd.ensure_sections()
    tags = cmd.ensure_named(Article.tags.field.related_model, item.tags)
    authors = cmd.ensure_named(Byline.author.field.related_model, item.authors)
    [pk] = cmd.insert_batch([item], sections, authors, tags, outbox=True)
    assert Article.objects.get(pk=pk).tags.count() == 1
    assert IndexChange.objects.filter(article_id=pk).count() == 1


@pytest.mark.django_db(transaction=True)
def test_bulk_writes_leave_planner_statistics_on_sqlite():
    """After a bulk load SQLite has statistics (sqlite_stat1) for the
    articles table, so the search page's check of its hit ids is planned as
    primary-key lookups, not a walk of every public article through the
    (status, published_at) index (190 ms a page at 1,000,000 articles)."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL gathers statistics itself (autovacuum)")
    call_command(
        "generate_articles",
        "--count",
        "300",
        "--seed",
        "3",
        "--batch",
        "100",
        "--no-outbox",
        "--builtin-vocabulary",
        "--verbosity",
        "0",
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_stat1 WHERE tbl = 'articles_article'")
        assert cursor.fetchone()
        ids = list(Article.objects.values_list("pk", flat=True)[:10])
        sql, params = (
            Article.objects.published()
            .filter(pk__in=ids)
            .values_list("pk", flat=True)
            .query.sql_with_params()
        )
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "PRIMARY KEY" in plan, plan


@pytest.mark.parametrize("where", ["a folder", "in a missing folder"])
def test_an_output_that_cannot_be_written_is_one_line(tmp_path, where):
    """``--output`` naming a folder, or a file in a folder that does not
    exist, is one line and exit 1; it ended in an IsADirectoryError or
    FileNotFoundError traceback."""
    output = tmp_path if where == "a folder" else tmp_path / "none" / "a.jsonl"
    with pytest.raises(CommandError, match=str(output)):
        call_command("generate_articles", "--count", "2", "--output", str(output))


def test_output_dash_is_standard_output(tmp_path, monkeypatch):
    """``--output -`` writes the archive to standard output, byte for byte
    the file's lines, and what the command says (seed, count) to stderr; it
    made a file named "-" in the current folder."""
    import io

    monkeypatch.chdir(tmp_path)
    args = ["--count", "5", "--seed", "11", "--end", "2025-06-01"]
    args += ["--builtin-vocabulary", "--jobs", "1"]
    call_command("generate_articles", *args, "--output", "a.jsonl")
    out, err = io.StringIO(), io.StringIO()
    call_command("generate_articles", *args, "--output", "-", stdout=out, stderr=err)
    assert out.getvalue() == (tmp_path / "a.jsonl").read_text(encoding="utf-8")
    assert [json.loads(line)["id"] for line in out.getvalue().splitlines()] == [
        f"synthetic-11-{n}" for n in range(5)
    ]
    assert "seed 11" in err.getvalue() and "5 articles written to -" in err.getvalue()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jsonl"]


def test_output_dash_into_a_closed_pipe_is_one_line(tmp_path):
    """``generate_articles --output - | head -n 1``: when the reader goes, the
    command stops with one line and exit 1, not a BrokenPipeError traceback."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "newsroom.settings.test"}
    child = subprocess.Popen(
        [sys.executable, str(root / "manage.py"), "generate_articles", "--count",
         "20000", "--output", "-", "--builtin-vocabulary", "--jobs", "1",
         "--skip-checks"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    first = child.stdout.readline()
    child.stdout.close()
    err = child.stderr.read().decode()
    assert child.wait(timeout=120) == 1
    assert json.loads(first)["id"] == "synthetic-1-0"
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert err.splitlines()[-1] == "CommandError: standard output was closed"
    assert list(tmp_path.iterdir()) == []
