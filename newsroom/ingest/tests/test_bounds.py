"""Bounded reading: bombs, over-long records, paths posing as feeds, symlinks."""

from __future__ import annotations

import gzip
import json

import pytest

from newsroom.articles.models import Article

pytestmark = pytest.mark.django_db

FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>{title}</title><link>https://feed.example/{slug}</link>
<description>Some words about it.</description></item></channel></rss>"""


def line(n: int, title: str = "") -> str:
    return json.dumps({"id": str(n), "title": title or f"Story {n}", "body": "Text."})


def test_a_gzip_bomb_line_is_one_bad_record(tmp_path, run_import, settings):
    """A gzipped JSON line that expands past the record cap is one bad record,
    skipped without holding it; the records around it are imported."""
    settings.NEWSROOM_IMPORT_MAX_RECORD_BYTES = 1 << 20
    path = tmp_path / "bomb.jsonl.gz"
    with gzip.open(path, "wb", compresslevel=9) as fh:
        fh.write((line(1) + "\n").encode())
        fh.write(b'{"title": "' + b"A" * (64 << 20) + b'"}\n')
        fh.write((line(3) + "\n").encode())
    assert path.stat().st_size < 200_000
    run = run_import(path)
    assert "2 created" in run.out and "1 bad" in run.out
    assert "bomb.jsonl.gz:2" in run.bad_lines[0] and "over" in run.bad_lines[0]


def test_a_file_expanding_past_the_file_cap_stops_there(tmp_path, run_import, settings):
    """Past NEWSROOM_IMPORT_MAX_BYTES (after gunzipping) the file is one bad
    record; what came before it stays imported."""
    settings.NEWSROOM_IMPORT_MAX_BYTES = 1 << 20
    path = tmp_path / "many.jsonl.gz"
    with gzip.open(path, "wb") as fh:
        fh.write((line(1) + "\n").encode())
        for n in range(2, 40_000):
            fh.write((line(n) + "\n").encode())
    run = run_import(path)
    assert "1 bad" in run.out
    assert "NEWSROOM_IMPORT_MAX_BYTES" in run.bad_lines[-1]
    assert Article.objects.filter(source_id="1").exists()


def test_an_html_bomb_is_refused_before_parsing(tmp_path, run_import, settings):
    """A 1 MB .html.gz that expands to hundreds of MB is one bad record."""
    settings.NEWSROOM_IMPORT_MAX_RECORD_BYTES = 1 << 20
    path = tmp_path / "page.html.gz"
    with gzip.open(path, "wb", compresslevel=9) as fh:
        fh.write(b"<html><body><p>" + b"a " * (32 << 20) + b"</p></body></html>")
    run = run_import(path, refused=True)
    assert "1 bad" in run.out and "over" in run.bad_lines[0]
    assert not Article.objects.exists()


def test_a_feed_whose_body_is_a_path_is_not_opened(tmp_path, run_import):
    """Feed bytes naming a local file are parsed as a (broken) feed, never
    opened: the private file's story is not published."""
    secret = tmp_path / "secret.xml"
    secret.write_text(FEED.format(title="Private payroll", slug="p"))
    secret.chmod(0o600)
    feed = tmp_path / "innocent.rss"
    feed.write_text(str(secret))
    run = run_import(feed, refused=True)
    assert "1 bad" in run.out and "not a feed" in run.bad_lines[0]
    assert not Article.objects.filter(headline__icontains="payroll").exists()


def test_a_directory_import_stays_inside_the_directory(tmp_path, run_import):
    """Symbolic links to files or directories outside the import root are
    skipped; only the directory's own files are read."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "leak.rss").write_text(FEED.format(title="Leaked memo", slug="l"))
    root = tmp_path / "import"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "own.rss").write_text(FEED.format(title="Own story", slug="o"))
    (root / "link.rss").symlink_to(outside / "leak.rss")
    (root / "dirlink").symlink_to(outside, target_is_directory=True)
    run = run_import(root)
    assert "1 created" in run.out
    assert list(Article.objects.values_list("headline", flat=True)) == ["Own story"]


def test_file_names_are_printed_escaped(tmp_path, run_import):
    """A file name with control characters (an escape sequence for the
    terminal) is printed with them escaped."""
    root = tmp_path / "import"
    root.mkdir()
    (root / "evil\x1b[2J\x07.jsonl").write_text("not json\n")
    run = run_import(root, refused=True)
    assert "\x1b" not in run.err and "\\x1b[2J\\x07.jsonl:1" in run.err


def test_nested_empty_bold_converts_in_linear_time():
    """40 nested empty <b> (a 630-byte feed entry) convert at once; each
    element is converted once, and bold inside bold is written once."""
    from newsroom.ingest.htmlmd import html_to_markdown

    assert html_to_markdown("<p>" + "<b>" * 40 + "</b>" * 40 + "ok</p>") == "ok"
    assert html_to_markdown("<p>" + "<b>" * 40 + "x" + "</b>" * 40 + "</p>") == (
        "**x**"
    )


def test_a_gzip_of_blank_lines_is_skipped_in_runs_not_line_by_line(
    tmp_path, run_import, monkeypatch
):
    """Ten million blank lines (a 10 KB gzip) between two JSON records are
    skipped a buffer at a time: the reader handled each blank line on its
    own (100 MB of them took 30 s, 4 GB would take ~20 minutes, all within
    the file cap). Counted here as the lines the JSON Lines reader is
    handed. Positions still count every line: a bad record after the run
    is named by its true line number."""
    from newsroom.ingest import sources
    from newsroom.ingest.importers import jsonl

    handed = []
    real = sources.bounded_lines

    def counted(*args, **kwargs):
        for item in real(*args, **kwargs):
            handed.append(1)
            yield item

    monkeypatch.setattr(jsonl, "bounded_lines", counted)
    path = tmp_path / "blank.jsonl.gz"
    with gzip.open(path, "wb", compresslevel=9) as fh:
        fh.write((line(1) + "\n").encode())
        for _ in range(10):
            fh.write(b"\n" * 1_000_000)
        fh.write(b"{not json}\n")
        fh.write((line(2) + "\n").encode())
    run = run_import(path)
    assert "2 created" in run.out and "1 bad" in run.out, run.out + run.err
    assert "blank.jsonl.gz:10000002: not JSON" in run.err, run.err
    assert len(handed) < 2_000, len(handed)


OVER_CAP_CSV = {
    # A quoted body of 60 short lines: each under the cap, the record over it.
    # The reader refused it line by line and then read its closing quote as an
    # opening one: 21 bad records, and the rows after it swallowed.
    "a quoted field of many lines": '"' + ("B" * 100 + "\n") * 60 + '"',
    # One line over the cap holding the closing quote: replaced, it left the
    # reader inside the quotes, and every row after it was lost.
    "a long line that closes the quotes": '"one\n' + "A" * 5000 + '"" end"',
    "one long line": '"' + "A" * 5000 + '"',
}


@pytest.mark.parametrize("shape", list(OVER_CAP_CSV))
def test_a_csv_record_over_the_cap_is_one_bad_record_and_the_rows_after_it_come(
    tmp_path, run_import, settings, shape
):
    """A CSV record past NEWSROOM_IMPORT_MAX_RECORD_BYTES is one bad record,
    named by the line it starts on, however its quoted fields spread it over
    lines; the rows after it are read from where it truly ends, and a bad row
    after it is named by its own line."""
    settings.NEWSROOM_IMPORT_MAX_RECORD_BYTES = 4096
    body = OVER_CAP_CSV[shape]
    path = tmp_path / "long.csv"
    path.write_text(
        "id,title,body\n"
        '1,First,"Text one,\nin two lines."\n'
        f"2,Long one,{body}\n"
        "3,Third,Text three.\n"
        "4,,No title.\n"
        "5,Fifth,Text five.\n"
    )
    after = 4 + body.count("\n")  # the line row 3 is on
    run = run_import(path)
    titles = sorted(Article.objects.values_list("headline", flat=True))
    assert titles == ["Fifth", "First", "Third"], (run.out, run.err)
    assert "3 created" in run.out and "2 bad" in run.out, run.out
    assert "long.csv:4: record over 4,096 bytes" in run.err, run.err
    assert f"long.csv:{after + 1}:" in run.err, run.err
    assert Article.objects.get(headline="First").body.startswith("Text one,")


def test_a_gzip_of_blank_lines_in_a_csv_is_skipped_in_runs(
    tmp_path, run_import, monkeypatch
):
    """Ten million blank lines between two CSV rows are skipped a buffer at a
    time: each was read, and handed to the CSV parser, on its own. A quoted
    field's blank lines stay its own, and a bad row after the run is named by
    its true line (it was named as line 6: the parser's count, stale by the
    blank rows it skipped). Counted here as the lines read from the file."""
    from newsroom.ingest import sources

    reads = []
    real = sources.Opened.__enter__

    def counting(self):
        opened = real(self)
        readline = opened.stream.readline

        def counted(*args):
            reads.append(1)
            return readline(*args)

        opened.stream.readline = counted
        return opened

    monkeypatch.setattr(sources.Opened, "__enter__", counting)
    path = tmp_path / "blank.csv.gz"
    with gzip.open(path, "wb", compresslevel=9) as fh:
        fh.write(b'id,title,body\n1,First,"Para one.\n\n\nPara two."\n')
        for _ in range(10):
            fh.write(b"\n" * 1_000_000)
        fh.write(b"2,,No title.\n3,Third,Text three.\n")
    run = run_import(path)
    assert "2 created" in run.out and "1 bad" in run.out, run.out + run.err
    assert "blank.csv.gz:10000006:" in run.err, run.err
    assert "Para one.\n\n\nPara two." in Article.objects.get(headline="First").body
    assert len(reads) < 2_000, len(reads)


def test_the_csv_record_splitter_reads_what_pythons_csv_reads():
    """Records are cut where Python's csv parser ends them: 3,000 random
    files of quotes, commas, carriage returns, newlines and letters parse to
    the same rows line by line (the file's lines, as the reader handed them
    before) and through ``_Records`` (blank rows dropped: it skips them)."""
    import csv
    import io
    import random

    from newsroom.ingest.importers.csv import _Records

    rng = random.Random(16)
    for _ in range(3_000):
        text = "".join(rng.choice('ab,"\n\n\r') for _ in range(rng.randrange(1, 40)))
        if not text.endswith("\n"):
            text += "\n"
        try:
            lines = [line.decode() for line in io.BytesIO(text.encode())]
            whole = [r for r in csv.reader(lines) if r]
        except csv.Error:
            continue  # a file csv itself refuses: nothing to agree on
        stream = io.BufferedReader(io.BytesIO(text.encode()))
        lines = list(_Records(stream, 1 << 20))
        try:
            split = [r for r in csv.reader(lines) if r]
        except csv.Error as exc:
            raise AssertionError(f"{text!r}: {exc}") from exc
        assert split == whole, text


CSV_ROWS = 'id,title,body\n1,東京の朝,"寒い朝。\n\n二段落目。"\n2,大阪,晴れ。\n'


@pytest.mark.parametrize(
    ("encoding", "option"),
    [
        ("cp932", "--encoding=cp932"),  # Japanese Excel's "CSV (comma delimited)"
        ("euc-jp", "--encoding=EUC-JP"),
        ("utf-16", ""),  # a BOM says so
        ("utf-8-sig", ""),  # Excel's "CSV UTF-8" (a BOM)
    ],
)
def test_a_csv_in_another_encoding_imports(tmp_path, run_import, encoding, option):
    """A CSV saved by Japanese Excel is Shift_JIS (cp932), and a UTF-16 one
    starts with its BOM: each row was a bad record, "invalid encoding (not
    UTF-8)". ``--encoding`` names the file's encoding, a UTF-16 BOM is read
    as one, and the rows import with their quoted paragraphs."""
    path = tmp_path / "export.csv"
    path.write_bytes(CSV_ROWS.encode(encoding))
    run = run_import(path, *([option] if option else []))
    assert "2 created" in run.out, run.out + run.err
    first = Article.objects.get(headline="東京の朝")
    assert first.body.startswith("寒い朝。\n\n二段落目。")


def test_a_csv_with_bytes_its_encoding_does_not_have_is_one_bad_record(
    tmp_path, run_import
):
    """Bytes that are not cp932 in a file read as cp932: one bad record naming
    the encoding and where; the rows before it are imported."""
    path = tmp_path / "export.csv"
    path.write_bytes(CSV_ROWS.encode("cp932") + b"3,\x81 ,x\n")
    run = run_import(path, "--encoding", "cp932")
    assert "2 created" in run.out and "1 bad" in run.out, run.out + run.err
    assert "not cp932" in run.err, run.err


def test_an_unknown_encoding_is_refused_before_reading(tmp_path, run_import):
    from django.core.management import CommandError

    path = tmp_path / "export.csv"
    path.write_text(CSV_ROWS)
    with pytest.raises(CommandError, match="unknown encoding"):
        run_import(path, "--encoding", "x-no-such")


def test_long_ids_and_urls_sharing_a_beginning_stay_two_stories(tmp_path, run_import):
    """Two feed entries whose GUIDs share their first 200 characters (the
    source id's column) and whose links share their first 500 (the canonical
    URL's) are two stories, on this run and the next: an id too long is kept
    as its beginning and a hash of the whole, a link too long is no canonical
    URL. Both were cut to the column, so the second entry repeated the first
    (and on a later run was written over it), and the story kept a link cut
    short, to a page that does not exist."""
    long_id = "https://feed.example/?" + "g" * 300
    long_link = "https://feed.example/" + "p" * 600
    items = "".join(
        f"<item><title>Entry {n}</title><guid>{long_id}{n}</guid>"
        f"<link>{long_link}{n}</link><description>Words {n}.</description></item>"
        for n in (1, 2)
    )
    feed = tmp_path / "long.rss"
    feed.write_text(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}'
        "</channel></rss>"
    )
    run = run_import(feed)
    assert "2 created" in run.out and "0 duplicates" in run.out
    again = run_import(feed)
    assert "0 created, 0 updated, 2 unchanged" in again.out
    rows = Article.objects.order_by("headline").values_list(
        "headline", "source_id", "canonical_url"
    )
    assert [(h, len(s), u) for h, s, u in rows] == [
        ("Entry 1", 200, ""),
        ("Entry 2", 200, ""),
    ]
    assert len({s for _, s, _ in rows}) == 2
