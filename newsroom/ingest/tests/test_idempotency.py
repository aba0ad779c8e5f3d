"""Re-running adds nothing; changed records update; batches are all-or-nothing."""

from __future__ import annotations

import json

import pytest

from newsroom.articles.models import Article, Byline
from newsroom.articles.rendering import render_markdown
from newsroom.ingest.models import Provenance
from newsroom.media import samples
from newsroom.search.models import IndexChange

from .conftest import index_agrees

pytestmark = pytest.mark.django_db


def write_jsonl(path, rows) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def row(n: int, **extra) -> dict:
    return {
        "id": f"r-{n}",
        "title": f"Story number {n} about the harbour",
        "body": f"Paragraph one of story {n}.\n\nParagraph two.",
        "published": "2024-05-01T10:00:00Z",
        "category": "News",
        "author": "Kit Lowe",
        "url": f"https://old.example/{n}",
        "source": "Old Site",
        **extra,
    }


def test_rerun_adds_nothing(fixtures, run_import):
    """Importing the same files twice: the second run creates no article,
    byline, outbox row or provenance row."""
    for name in (
        "articles.jsonl",
        "articles.csv",
        "feed.rss",
        "export.wxr",
        "page.html",
        "crawled.txt",
    ):
        run_import(fixtures / name)
    counts = (
        Article.objects.count(),
        Byline.objects.count(),
        IndexChange.objects.count(),
        Provenance.objects.count(),
    )
    for name in (
        "articles.jsonl",
        "articles.csv",
        "feed.rss",
        "export.wxr",
        "page.html",
        "crawled.txt",
    ):
        again = run_import(fixtures / name)
        assert " 0 created, 0 updated" in again.out, name
    assert (
        Article.objects.count(),
        Byline.objects.count(),
        IndexChange.objects.count(),
        Provenance.objects.count(),
    ) == counts


def test_changed_record_is_updated_in_place(run_import, tmp_path):
    """Same source id with a new headline and body: the article is updated
    (same id and slug, body_html re-rendered, tags replaced) and re-queued
    for the index."""
    path = tmp_path / "a.jsonl"
    write_jsonl(path, [row(1, tags=["old tag"])])
    run_import(path)
    first = Article.objects.get()
    last_change = IndexChange.objects.latest("id").id
    write_jsonl(
        path,
        [row(1, title="A corrected headline", body="New *text*.", tags=["new tag"])],
    )
    run = run_import(path)
    assert "0 created, 1 updated" in run.out
    art = Article.objects.get()
    assert (art.pk, art.slug) == (first.pk, first.slug)
    assert art.headline == "A corrected headline"
    assert art.body_html == render_markdown("New *text*.")
    assert [t.name for t in art.tags.all()] == ["new tag"]
    assert IndexChange.objects.filter(id__gt=last_change, article_id=art.pk).exists()


def test_same_url_or_same_text_is_not_duplicated(run_import, tmp_path):
    """A record with another id but an already-imported URL updates that
    article; one with identical text under a new id and URL is a duplicate."""
    path = tmp_path / "a.jsonl"
    write_jsonl(path, [row(1)])
    run_import(path)
    same_url = row(1, id="other-id", title="Story one, renamed")
    write_jsonl(path, [same_url])
    assert "1 updated" in run_import(path).out
    same_text = row(
        1, id="third-id", url="https://elsewhere.example/x", title="Story one, renamed"
    )
    write_jsonl(path, [same_text])
    assert "1 duplicates" in run_import(path).out
    assert Article.objects.count() == 1


def test_duplicates_within_one_file_are_imported_once(run_import, tmp_path):
    """The same record twice in one batch is written once."""
    path = tmp_path / "a.jsonl"
    write_jsonl(path, [row(1), row(2), row(1)])
    run = run_import(path)
    assert "2 created" in run.out and "1 duplicates" in run.out


def test_headline_clash_gets_a_numbered_slug(run_import, tmp_path):
    """Different stories with the same headline get distinct slugs."""
    path = tmp_path / "a.jsonl"
    write_jsonl(path, [row(n, title="Weather warning") for n in (1, 2, 3)])
    run_import(path, "--batch-size", "2")
    assert sorted(Article.objects.values_list("slug", flat=True)) == [
        "weather-warning",
        "weather-warning-2",
        "weather-warning-3",
    ]


def test_dry_run_writes_nothing_and_limit_stops(run_import, tmp_path):
    """--dry-run reports what would happen and leaves the database as it was;
    --limit N reads N records and stops."""
    path = tmp_path / "a.jsonl"
    write_jsonl(path, [row(n) for n in range(1, 6)])
    run = run_import(path, "--dry-run")
    assert run.out.startswith("dry run, nothing written: 5 read, 5 created")
    assert not Article.objects.exists() and not IndexChange.objects.exists()
    run = run_import(path, "--limit", "2")
    assert "2 read, 2 created" in run.out
    assert Article.objects.count() == 2


def test_bad_records_never_stop_the_run(run_import, tmp_path):
    """Broken JSON, a non-object, a bad status and a missing title between
    good records: each reported with its line, the good ones all imported."""
    lines = [
        json.dumps(row(1)),
        "{not json",
        "[1, 2]",
        json.dumps(row(2, status="archived")),
        json.dumps(row(3, title="  ")),
        json.dumps(row(4)),
    ]
    (tmp_path / "a.jsonl").write_text("\n".join(lines) + "\n")
    run = run_import(tmp_path / "a.jsonl", "--batch-size", "1")
    assert [line.split(":")[1] for line in run.bad_lines] == ["2", "3", "4", "5"]
    assert "6 read, 2 created" in run.out and "4 bad" in run.out
    assert sorted(Article.objects.values_list("source_id", flat=True)) == ["r-1", "r-4"]


def test_a_failing_batch_leaves_nothing_half_written(run_import, tmp_path, monkeypatch):
    """When writing a batch fails midway, none of its articles, bylines or
    outbox rows stay; the records are retried one by one and only the
    failing one is reported."""
    from newsroom.ingest import writer as writer_mod

    real = writer_mod.Writer._relations

    def explode_on_r2(self, pairs):
        real(self, pairs)
        if any(r.source_id == "r-2" for r, _ in pairs):
            from django.db import DatabaseError

            raise DatabaseError("disk full (simulated)")

    monkeypatch.setattr(writer_mod.Writer, "_relations", explode_on_r2)
    path = tmp_path / "a.jsonl"
    write_jsonl(path, [row(1), row(2), row(3)])
    run = run_import(path)
    assert run.bad_lines == ["bad record a.jsonl:2: not written: disk full (simulated)"]
    assert sorted(Article.objects.values_list("source_id", flat=True)) == ["r-1", "r-3"]
    assert Byline.objects.count() == 2
    assert set(IndexChange.objects.values_list("article_id", flat=True)) == set(
        Article.objects.values_list("pk", flat=True)
    )


def test_index_follows_the_import(run_import, fixtures, fresh_index):
    """After an import, draining the outbox leaves the index with exactly the
    public articles (drafts and scheduled posts wait: the index holds what
    is public now)."""
    run_import(fixtures / "articles.jsonl")
    run_import(fixtures / "export.wxr")
    in_index, expected = index_agrees(fresh_index)
    assert in_index == expected and len(expected) >= 3


def test_progress_lines_when_not_a_terminal(tmp_path, settings):
    """Without a terminal, progress is plain periodic lines with count and rate."""
    import io

    from django.core.management import call_command

    settings.NEWSROOM_IMPORT_PROGRESS_SECONDS = 0
    path = tmp_path / "a.jsonl"
    write_jsonl(path, [row(n) for n in range(1, 450)])
    err = io.StringIO()
    call_command("import_articles", str(path), stdout=io.StringIO(), stderr=err)
    lines = [x for x in err.getvalue().splitlines() if x.startswith("progress:")]
    assert lines and "records" in lines[-1] and "/s" in lines[-1]
    assert "\x1b[" not in err.getvalue()  # no terminal control codes


def test_progress_bar_on_a_terminal(tmp_path):
    """On a terminal, a rich progress bar shows count, rate and ETA."""
    import io

    from newsroom.ingest.progress import BarProgress, make_progress

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Tty()
    bar = make_progress("auto", stream, 1000)
    assert isinstance(bar, BarProgress)
    bar.update(250, 500)
    bar.close(None)
    text = stream.getvalue()
    assert "250 records" in text and "/s" in text and "ETA" in text


@pytest.mark.django_db(transaction=True)
def test_sqlite_import_checkpoints_in_the_background_and_restores(tmp_path, run_import):
    """On a WAL database, an import turns automatic checkpoints off for its
    connection (a thread checkpoints instead, so no batch commit waits on the
    disk), then restores SQLite's default and leaves every WAL frame copied
    into the database file: all 1,200 records are there."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("WAL checkpoints are SQLite's; PostgreSQL has none to move")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        if cursor.fetchone()[0] != "wal":
            pytest.skip("the test database is not in WAL mode")
    import threading

    from newsroom.articles.signals import articles_written

    seen = []  # (autocheckpoint, checkpoint thread alive) at each batch

    def watching(sender, article_ids, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint")
            alive = any(t.name == "sqlite-checkpoint" for t in threading.enumerate())
            seen.append((cursor.fetchone()[0], alive))

    articles_written.connect(watching)
    path = tmp_path / "many.jsonl"
    write_jsonl(path, [row(n) for n in range(1200)])
    try:
        run = run_import(path, "--batch-size", "100")
    finally:
        articles_written.disconnect(watching)
    assert "1200 created" in run.out
    assert seen == [(0, True)] * 12
    assert not any(t.name == "sqlite-checkpoint" for t in threading.enumerate())
    assert Article.objects.count() == 1200
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        assert cursor.fetchone()[0] == 1000
        cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
        busy, frames, copied = cursor.fetchone()
    assert busy == 0 and frames == copied


def test_another_sources_record_never_overwrites_an_article(run_import, tmp_path):
    """A record of another source that shares an article's canonical URL, or
    (with no id or URL of its own) its text, is a duplicate: the article, its
    section, its source and its lead picture stay as they are. It was taken
    for the same record and written over the article, source and all, and a
    page's picture became the story's."""
    agency = tmp_path / "agency.jsonl"
    write_jsonl(agency, [row(1, source="Agency", url="https://agency.example/1")])
    run_import(agency)
    before = Article.objects.values().get()
    same_url = row(
        2, source="Other", title="Forged", category="Opinion",
        url="https://agency.example/1",
    )  # fmt: skip
    same_text = {**row(1, source="Other", category="Opinion"), "id": "", "url": ""}
    other = tmp_path / "other.jsonl"
    for record in (same_url, same_text):
        write_jsonl(other, [record])
        run = run_import(other)
        assert "0 created, 0 updated" in run.out and "1 duplicates" in run.out
        assert "of another source; left as it is" in run.err
        assert Article.objects.values().get() == before
    # A page naming that URL as its canonical one, with a picture: the
    # story gets neither its text nor its picture.
    site = tmp_path / "site"
    site.mkdir()
    (site / "photo.jpg").write_bytes(samples.photo(800, 500, seed=11))
    (site / "story.html").write_text(
        '<html><head><title>Forged</title><meta property="og:image" '
        'content="photo.jpg"><link rel="canonical" href="https://agency.example/1">'
        "</head><body><article><h1>Forged</h1><p>"
        + "A sentence about the harbour and its boats. " * 20
        + "</p></article></body></html>"
    )
    run = run_import(site / "story.html")
    assert "0 created, 0 updated" in run.out and "1 duplicates" in run.out
    assert "pictures" not in run.out
    assert Article.objects.values().get() == before


def test_an_article_the_newsroom_wrote_is_never_overwritten(run_import, tmp_path):
    """An article no import made, whose source and source id an editor typed
    (a wire story retyped at the desk), is kept when an import brings a
    record with that id, even with --overwrite: that option replaces what an
    import made and an editor changed since, nothing else."""
    from newsroom.articles.tests import factories as f

    written = f.article("Written at the desk", source="Wire", source_id="w-1")
    path = tmp_path / "wire.jsonl"
    write_jsonl(path, [row(1, id="w-1", source="Wire", title="Wire copy")])
    run = run_import(path, "--overwrite")
    assert "0 created, 0 updated" in run.out and "1 kept" in run.out
    assert f"article {written.pk} was not made by an import" in run.err
    written.refresh_from_db()
    assert (written.headline, written.source_id) == ("Written at the desk", "w-1")
    assert not Provenance.objects.exists()


def test_an_import_whose_every_record_is_refused_fails(run_import, tmp_path):
    """When every record read is bad, the command prints its summary, then
    one line saying nothing was imported, and exits 1 (CommandError): it
    exited 0, and a script or cron job took the run for a good one. One good
    record among bad ones is a run that did something: exit 0."""
    from django.core.management.base import CommandError

    path = tmp_path / "a.jsonl"
    path.write_text("{not json\n" + json.dumps(row(1, title=" ")) + "\n")
    with pytest.raises(CommandError, match=r"every record was refused \(2 bad"):
        run_import(path)
    with pytest.raises(CommandError, match="every record was refused"):
        run_import(tmp_path / "a.jsonl", "--dry-run")
    assert not Article.objects.exists()
    path.write_text("{not json\n" + json.dumps(row(1)) + "\n")
    assert "2 read, 1 created" in run_import(path).out


def test_an_import_that_reads_nothing_fails(run_import, tmp_path):
    """A file named on purpose with no record in it (blank, cut short)
    prints its summary, then one line saying no record was found, and exits
    1 (CommandError): it exited 0, and a script took it for a good import.
    A directory with nothing in it (a drop folder polled by cron, hidden
    files only) says the same line on stderr and exits 0: nothing new is
    its usual state, and a failure every run would bury real ones.
    ``--limit 0`` asks for nothing, so reading nothing is what it wanted."""
    from django.core.management.base import CommandError

    empty = tmp_path / "drop"
    empty.mkdir()
    run = run_import(empty)
    assert "no record found in" in run.err and "drop" in run.err
    (empty / ".hidden.jsonl").write_text(json.dumps(row(1)) + "\n")
    assert "nothing was imported" in run_import(empty, "--dry-run").err
    blank = tmp_path / "blank.jsonl"
    blank.write_text("\n\n")
    with pytest.raises(CommandError, match="no record found"):
        run_import(blank)
    write_jsonl(blank, [row(1)])
    assert "0 read" in run_import(blank, "--limit", "0").out
    assert not Article.objects.exists()


def test_a_rerun_after_the_desk_renamed_a_slug_keeps_to_the_renamed_one(
    run_import, tmp_path
):
    """An editor changed the slug of an imported author, tag and section
    (the author's and section's names too, as when fixing a spelling): a
    later import of the same archive, one story updated, made a second
    author, section and tag at the old slugs and moved that story's byline,
    section and tag to them, the rest staying on the renamed ones. The old
    slug leads to the renamed one, as its old address does."""
    from newsroom.articles.models import Author, Section, Tag

    path = tmp_path / "a.jsonl"
    write_jsonl(path, [row(1, tags=["Docks"]), row(2, tags=["Docks"])])
    run_import(path)
    author, section, tag = (
        Author.objects.get(),
        Section.objects.get(),
        Tag.objects.get(),
    )
    for obj, slug, name in (
        (author, "kit-lowe-reporter", "Kit Lowe (reporter)"),
        (section, "local-news", "Local news"),
        (tag, "docks-and-harbour", "Docks and harbour"),
    ):
        obj.slug, obj.name = slug, name
        obj.save()
    write_jsonl(
        path,
        [row(1, tags=["Docks"], body="A new first paragraph."), row(2, tags=["Docks"])],
    )
    assert "1 updated" in run_import(path).out
    assert list(Author.objects.values_list("slug", flat=True)) == ["kit-lowe-reporter"]
    assert list(Section.objects.values_list("slug", flat=True)) == ["local-news"]
    assert list(Tag.objects.values_list("slug", flat=True)) == ["docks-and-harbour"]
    story = Article.objects.get(source_id="r-1")
    assert [a.pk for a in story.authors.all()] == [author.pk]
    assert story.section_id == section.pk
    assert [t.pk for t in story.tags.all()] == [tag.pk]
