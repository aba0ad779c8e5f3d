"""Files a mutation fuzz of the readers found: each is written here by the
test (nothing copied from ../shared/data) and imported with the real command.
A broken record is one bad record (or is read as a browser reads it), a file
that cannot be read is one line, the next file is read, and the story pages
answer 200."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from newsroom.articles.models import Article
from newsroom.ingest.importers.html import lead_figure, tidy_markdown
from newsroom.ingest.records import split_names

pytestmark = pytest.mark.django_db


def _cpu_seconds(func, *args) -> float:
    """This process's CPU time for one call: a bound against a hang on a
    quadratic input (other processes' load does not count), not a figure."""
    started = time.process_time()
    func(*args)
    return time.process_time() - started


def pages_answer() -> None:
    client = Client()
    for article in Article.objects.published():
        response = client.get(article.get_absolute_url())
        assert response.status_code == 200, (article.headline, response.status_code)


def test_a_csv_whose_header_row_is_broken_is_one_bad_record(tmp_path, run_import):
    """A CSV whose header row the csv module refuses (a lone carriage return
    inside it, as a classic Mac export writes between its lines) is one
    "broken CSV" line naming line 1, and the next file is read: the csv
    module's error stopped the whole import with a traceback."""
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "a-broken.csv").write_bytes(
        b"id,title,body\r1,Mac line ending,Text.\r2,Another,Text.\r"
    )
    (folder / "b-good.csv").write_text("id,title,body\n1,Harbour reopens,Text.\n")
    run = run_import(folder)
    assert "1 created" in run.out and "1 bad" in run.out, run.out + run.err
    assert run.bad_lines[0].startswith("bad record a-broken.csv:1: broken CSV"), run.err
    assert Article.objects.filter(headline="Harbour reopens").exists()
    pages_answer()


FEED_ITEM = (
    "<item><title>{title}</title><link>https://feed.example/{slug}</link>"
    "<guid>{slug}</guid><pubDate>Wed, 01 May 2024 11:00:00 GMT</pubDate>"
    "<description>Words of the story.</description></item>"
)


@pytest.mark.parametrize(
    "reference", ["&#99999999999999999999;", "&#1114112;", "&#xD800;"]
)
def test_a_feed_with_a_character_reference_past_unicode(
    tmp_path, run_import, reference
):
    """A feed entry whose title holds a numeric character reference no
    character has (twenty digits, past U+10FFFF, a lone surrogate) is read
    as a browser reads it, as U+FFFD, and every entry of the feed is
    imported: feedparser's fallback parser raised OverflowError (a
    traceback that stopped the import) or ValueError (the whole feed one
    "cannot read" line)."""
    items = "".join(
        FEED_ITEM.format(title=title, slug=slug)
        for title, slug in [
            ("Harbour reopens", "harbour"),
            (f"Bridge {reference} closes", "bridge"),
            ("Market returns", "market"),
        ]
    )
    path = tmp_path / "feed.rss"
    path.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        f"<link>https://feed.example/</link>{items}</channel></rss>"
    )
    run = run_import(path)
    assert "3 read, 3 created" in run.out and "0 bad" in run.out, run.out + run.err
    assert Article.objects.filter(headline="Bridge \ufffd closes").exists()
    pages_answer()


def test_an_author_field_of_blank_space_imports_in_linear_time(tmp_path, run_import):
    """An author field holding a long run of blank space inside a name
    (30,000 tabs and spaces in a JSON line, a CSV row alike) imports at
    once with its names: splitting "A, B and C" looked for a separator
    after the run from every position in it, time quadratic in its length
    (20 kB took 12 s; a 1 MB field would take hours)."""
    import json

    author = "Ann" + " \t" * 15_000 + "Lee and Bo Chan"
    (tmp_path / "a.jsonl").write_text(
        json.dumps({"id": "1", "title": "Harbour reopens", "author": author}) + "\n"
    )
    (tmp_path / "b.csv").write_text(f'id,title,author\n2,Market returns,"{author}"\n')
    # A bound against a hang, not a speed figure: the split is a few ms of
    # CPU; the old one took minutes (the import would have stalled).
    assert _cpu_seconds(split_names, author) < 5
    run = run_import(tmp_path)
    assert "2 created" in run.out, run.out + run.err
    for article in Article.objects.all():
        names = [b.author.name for b in article.byline_set.order_by("position")]
        assert names == ["Ann Lee", "Bo Chan"], (article.headline, names)


ARTICLE = (
    "<article><h1>Harbour reopens</h1>"
    + "<p>"
    + "A sentence about the harbour and its boats. " * 20
    + "</p>{figure}</article>"
)


def page(head: str = "", figure: str = "", before: str = "") -> str:
    return (
        "<html><head><title>Harbour reopens</title>"
        '<link rel="canonical" href="https://paper.example/harbour">'
        f"{head}</head><body>{before}{ARTICLE.format(figure=figure)}</body></html>"
    )


def test_a_page_of_unclosed_figure_tags_finds_its_picture_in_linear_time(
    tmp_path, run_import
):
    """A page whose script holds 480 kB of "<figure " with no ">" before
    its article imports at once, and its article's own <figure> picture
    (a file beside it) is its lead image: looking for the first figure's
    picture scanned on to the next ">" from each "<figure", time quadratic
    in the page's first 500 kB (26 s for such a page)."""
    from newsroom.media import samples

    (tmp_path / "photo.jpg").write_bytes(samples.photo(800, 500, seed=11))
    path = tmp_path / "story.html"
    path.write_text(
        page(
            before="<script>var s = '"
            + "<figure " * 60_000
            + "';</script><!-- "
            + "x" * 5_000  # the next ">" is far from any <img>
            + " -->",
            figure='<figure><img src="photo.jpg" alt="The quay"></figure>',
        )
    )
    assert _cpu_seconds(lead_figure, path.read_text()) < 5  # against a hang
    run = run_import(path)
    assert "1 created" in run.out and "1 pictures (0 failed)" in run.out, (
        run.out + run.err
    )
    assert Article.objects.get().lead_image.width == 800
    pages_answer()


def test_a_page_with_a_long_run_of_spaces_imports_in_linear_time(tmp_path, run_import):
    """A page whose article holds a <pre> of 150,000 spaces imports at
    once: tidying the extracted Markdown's line ends looked for a line
    break after the run from every position in it, time quadratic in its
    length (100 kB took 13 s; the 16 MB record cap, days)."""
    path = tmp_path / "story.html"
    path.write_text(page(figure="<pre>code" + " " * 150_000 + "end</pre>"))
    spaces = "code" + " " * 150_000 + "end\n"
    assert _cpu_seconds(tidy_markdown, spaces) < 5  # against a hang
    run = run_import(path)
    assert "1 created" in run.out, run.out + run.err
    assert "harbour and its boats" in Article.objects.get().body
    pages_answer()


def feed(items: str) -> str:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        f"<link>https://feed.example/</link>{items}</channel></rss>"
    )


def test_a_feed_whose_category_closes_after_its_item_is_one_bad_file(
    tmp_path, run_import
):
    """A feed that is not well-formed XML, an entry's <category> left open
    past its </item>, is one "cannot read" line, and the next file is
    read: feedparser's fallback parser raised KeyError ('tags'), a
    traceback that stopped the whole import."""
    folder = tmp_path / "feeds"
    folder.mkdir()
    broken = FEED_ITEM.format(title="Harbour reopens", slug="harbour").replace(
        "</item>", "<category>Ports</item></category>"
    )
    (folder / "a-broken.rss").write_text(feed(broken))
    (folder / "b-good.rss").write_text(
        feed(FEED_ITEM.format(title="Market returns", slug="market"))
    )
    run = run_import(folder)
    assert "1 created" in run.out and "1 bad" in run.out, run.out + run.err
    assert run.bad_lines[0].startswith("bad record a-broken.rss: cannot read"), run.err
    assert Article.objects.filter(headline="Market returns").exists()
    pages_answer()


def test_a_feed_entry_with_a_vertical_tab_in_its_html_is_imported(tmp_path, run_import):
    """An entry whose HTML begins with text holding a vertical tab (Word's
    line break, pasted into a CMS), which makes the feed not well-formed
    XML, is imported, the tab a line break as in any text, and so are the
    entries around it: the HTML converter's parser refused the character
    (ValueError), and the whole feed was one "cannot read" line."""
    items = "".join(
        FEED_ITEM.format(title=title, slug=slug)
        for title, slug in [("Harbour reopens", "harbour"), ("Market", "market")]
    ).replace(
        "Words of the story.", "Line one\x0bline two, &lt;b&gt;bold&lt;/b&gt;.", 1
    )
    path = tmp_path / "feed.rss"
    path.write_text(feed(items))
    run = run_import(path)
    assert "2 read, 2 created" in run.out and "0 bad" in run.out, run.out + run.err
    assert Article.objects.get(headline="Harbour reopens").body == (
        "Line one line two, **bold**."
    )
    pages_answer()


def test_a_feed_entry_whose_guid_holds_an_unclosed_tag_is_imported(
    tmp_path, run_import
):
    """An entry whose <guid> holds an unclosed tag (<guid><b></guid>), which
    makes the feed not well-formed XML, is imported without a URL, and so
    are the entries after it: feedparser's fallback parser gave the entry
    a link of None, and reading it stopped the whole import with a
    traceback (AttributeError)."""
    items = "".join(
        FEED_ITEM.format(title=title, slug=slug)
        for title, slug in [("Harbour reopens", "harbour"), ("Market", "market")]
    ).replace(
        "<link>https://feed.example/harbour</link><guid>harbour</guid>",
        "<guid><b></guid>",
    )
    path = tmp_path / "feed.rss"
    path.write_text(feed(items))
    run = run_import(path)
    assert "2 read, 2 created" in run.out and "0 bad" in run.out, run.out + run.err
    assert Article.objects.get(headline="Harbour reopens").canonical_url == ""
    pages_answer()
