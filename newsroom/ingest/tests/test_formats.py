"""Every source format imports its fields (small fixtures written for the tests)."""

from __future__ import annotations

import gzip
import shutil
from datetime import UTC, datetime

import pytest

from newsroom.articles.models import Article
from newsroom.articles.rendering import render_markdown
from newsroom.comments.models import Comment
from newsroom.ingest.sources import detect_format

pytestmark = pytest.mark.django_db


def byline(article: Article) -> list[str]:
    return [b.author.name for b in article.byline_set.order_by("position")]


def test_jsonl_imports_fields_and_reports_bad_records(fixtures, run_import):
    """JSON Lines: headline, Markdown body rendered, date, section, byline, tags,
    URL and source id; a missing title and a broken date are one line each
    with their line number, counted in the summary."""
    run = run_import(fixtures / "articles.jsonl")
    assert "5 read, 3 created" in run.out and "2 bad" in run.out
    assert run.bad_lines == [
        "bad record articles.jsonl:3: missing title",
        "bad record articles.jsonl:4: broken date 'the thirty-first of Octember'",
    ]
    ferry = Article.objects.get(source_id="t-1")
    assert ferry.headline == "Harbour ferry timetable changes for the winter"
    assert ferry.published_at == datetime(2024, 10, 28, 8, 15, tzinfo=UTC)
    assert ferry.section.name == "Local" and ferry.section.slug == "local"
    assert ferry.source == "Test Gazette"
    assert ferry.canonical_url == "https://archive.example/ferry-winter"
    assert ferry.status == Article.Status.PUBLISHED and ferry.is_public
    assert byline(ferry) == ["Nadia Ferreira"]
    shelf = Article.objects.get(source_id="t-2")
    assert byline(shelf) == ["Tom Achebe", "Lena Roth"]
    assert sorted(t.name for t in shelf.tags.all()) == ["R&D", "libraries"]
    assert "<blockquote>" in shelf.body_html
    assert shelf.body_html == render_markdown(shelf.body)
    market = Article.objects.get(source_id="t-5")
    # No date: a draft, never stamped "now" (it would lead the front page).
    assert market.published_at is None and market.status == "draft"


def test_gzip_jsonl_is_read_like_plain(fixtures, run_import, tmp_path):
    """A .jsonl.gz file imports the same records as the plain file."""
    target = tmp_path / "articles.jsonl.gz"
    with gzip.open(target, "wb") as fh:
        fh.write((fixtures / "articles.jsonl").read_bytes())
    run = run_import(target)
    assert "3 created" in run.out
    assert Article.objects.filter(source="Test Gazette").count() == 3


def test_invalid_encoding_is_one_bad_record_and_the_rest_imports(run_import, tmp_path):
    """A line that is not UTF-8 is reported with its line number; its
    neighbours are imported."""
    good = b'{"id": "e-%d", "title": "Good line %d", "body": "Text."}\n'
    latin1 = b'{"id": "e-2", "title": "Caf\xe9 latin-1"}\n'
    data = good % (1, 1) + latin1 + good % (3, 3)
    (tmp_path / "mixed.jsonl").write_bytes(data)
    run = run_import(tmp_path / "mixed.jsonl")
    assert len(run.bad_lines) == 1
    assert run.bad_lines[0].startswith("bad record mixed.jsonl:2: invalid encoding")
    assert sorted(Article.objects.values_list("source_id", flat=True)) == ["e-1", "e-3"]


def test_csv_imports_multiline_bodies_and_reports_rows(fixtures, run_import):
    """CSV with a header row: quoted multi-line bodies keep their paragraphs;
    a row without a title is reported with its line number."""
    run = run_import(fixtures / "articles.csv")
    assert "2 created" in run.out and "1 bad" in run.out
    assert run.bad_lines == ["bad record articles.csv:5: missing title"]
    lane = Article.objects.get(source_id="c-1")
    assert lane.body_html.count("<p>") == 2
    assert '"a big improvement"' in lane.body
    assert lane.section.name == "Transport"
    assert byline(lane) == ["Ana Silva"]


def test_rss_feed_entries_become_articles(fixtures, run_import):
    """RSS: title, link, guid, date, creator, categories; HTML content becomes
    Markdown (strong, quote, link kept, script gone); an untitled entry is bad."""
    run = run_import(fixtures / "feed.rss")
    assert "2 created" in run.out and "1 bad" in run.out
    reservoir = Article.objects.get(source_id="valley-1001")
    assert reservoir.canonical_url == "https://valley.example/news/reservoir-levels"
    assert reservoir.published_at == datetime(2024, 11, 4, 7, 30, tzinfo=UTC)
    assert byline(reservoir) == ["Priya Nair"]
    assert reservoir.section.name == "Environment"
    assert [t.name for t in reservoir.tags.all()] == ["water"]
    assert "**84 per cent**" in reservoir.body
    assert "<blockquote>" in reservoir.body_html
    assert 'href="https://valley.example/rules"' in reservoir.body_html
    assert "alert" not in reservoir.body and "script" not in reservoir.body_html
    orchard = Article.objects.get(canonical_url="https://valley.example/news/orchard")
    assert orchard.body.startswith("Apple, pear and plum")


def test_atom_feed_and_section_option(fixtures, run_import):
    """Atom entries import too; --section puts every article in that section."""
    run = run_import(fixtures / "feed.atom", "--section", "Nature Notes")
    assert "1 created" in run.out
    seal = Article.objects.get()
    assert seal.headline == "Seal pups counted on the sandbank"
    assert seal.section.name == "Nature Notes"
    assert byline(seal) == ["Jo Marsh"]
    assert seal.body_html.count("<p>") == 2


def test_feed_from_a_url(fixtures, run_import, settings):
    """A feed given as an http URL is fetched over real HTTP and imported
    (from an address the operator allowed: loopback is not public)."""
    import http.server
    import threading

    body = (fixtures / "feed.atom").read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the stdlib's name
            self.send_response(200)
            self.send_header("Content-Type", "application/atom+xml")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.NEWSROOM_FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    try:
        run = run_import(f"http://127.0.0.1:{server.server_port}/feed.atom")
    finally:
        server.shutdown()
    assert "1 created" in run.out
    assert Article.objects.get().canonical_url == "https://coast.example/seal-count"


def test_wxr_posts_terms_statuses_and_comments(fixtures, run_import):
    """WXR: posts only (no page, no attachment); publish/draft/future map to
    published/draft/scheduled; slugs, categories and tags (R&D unescaped, Net
    cafés with its slug) kept; comments keep approval state and threading;
    comment_count equals the approved comments."""
    run = run_import(fixtures / "export.wxr")
    assert "3 created" in run.out and "5 comments" in run.out
    clock = Article.objects.get(source_id="11")
    assert clock.source == "wordpress:https://blog.example"
    assert clock.slug == "town-hall-clock"
    assert clock.status == Article.Status.PUBLISHED
    assert clock.published_at == datetime(2024, 11, 7, 10, 0, tzinfo=UTC)
    assert clock.section.slug == "town"
    assert {(t.name, t.slug) for t in clock.tags.all()} == {
        ("R&D", "rd"),
        ("Net cafés", "net-cafes"),
        ("Heritage", "heritage"),
    }
    assert byline(clock) == ["Mina Khan"]
    assert clock.standfirst == "The clock works again."
    assert "<em>escapement</em>" in clock.body_html
    draft = Article.objects.get(source_id="12")
    assert draft.status == Article.Status.DRAFT and not draft.is_public
    future = Article.objects.get(source_id="13")
    assert future.status == Article.Status.SCHEDULED and not future.is_public
    assert not Article.objects.filter(headline__in=["About us", "clock-photo.jpg"])
    comments = {c.name: c for c in Comment.objects.filter(article=clock)}
    assert comments["Olu Adeyemi"].status == Comment.Status.APPROVED
    assert comments["Sam Ree"].parent == comments["Olu Adeyemi"]
    assert comments["Pat Quinn"].status == Comment.Status.PENDING
    assert comments["Old Troll"].status == Comment.Status.REMOVED
    assert comments["Cheap Pills"].status == Comment.Status.SPAM
    assert "Another Blog" not in comments  # pingback
    assert comments["Olu Adeyemi"].created_at == datetime(2024, 11, 7, 12, tzinfo=UTC)
    clock.refresh_from_db()
    assert clock.comment_count == 2
    again = run_import(fixtures / "export.wxr")
    assert "0 created" in again.out and "0 comments" in again.out
    assert Comment.objects.count() == 5


def test_html_page_metadata_and_main_content(fixtures, run_import):
    """HTML: headline, author, date and canonical URL from the page's metadata;
    the body is the article text without navigation, sidebar or footer."""
    run = run_import(fixtures / "page.html")
    assert "1 created" in run.out
    page = Article.objects.get()
    assert page.headline == "Museum reopens its Roman gallery"
    assert byline(page) == ["Clara Whitfield"]
    assert page.published_at == datetime(2024, 11, 8, 9, 30, tzinfo=UTC)
    assert page.canonical_url == "https://riverside.example/culture/roman-gallery"
    assert "bronze lamp found under the market square" in page.body
    assert "The old lights made everything look brown." in page.body
    for chrome in ("Most read", "Parking fees", "Copyright", "Privacy", "Share this"):
        assert chrome not in page.body


def test_html_directory_imports_every_page(fixtures, run_import, tmp_path):
    """A directory of HTML files imports each page once."""
    for name in ("one.html", "two.htm"):
        text = (fixtures / "page.html").read_text()
        if name == "two.htm":
            text = text.replace("Roman gallery", "Egyptian gallery").replace(
                "roman-gallery", "egyptian-gallery"
            )
        (tmp_path / name).write_text(text)
    run = run_import(tmp_path, "--format", "html")
    assert "2 created" in run.out
    assert Article.objects.count() == 2


def test_crawled_text_page_loses_its_chrome(fixtures, run_import):
    """A crawled text page: the headline is found above the prose, and menus,
    search and newsletter prompts, share counters, ads, comment forms and
    footers are dropped by the general rules."""
    run = run_import(fixtures / "crawled.txt")
    assert "1 created" in run.out
    page = Article.objects.get()
    assert page.headline == "Volunteers clear three tonnes of litter from the estuary"
    assert page.body_html.count("<p>") == 4
    assert "this year it was a bicycle" in page.body
    for chrome in (
        "Menu",
        "Search",
        "newsletter",
        "Share",
        "Tweet",
        "Advertisement",
        "Related",
        "Leave a Reply",
        "Required",
        "Name",
        "Post Comment",
        "Total Comments",
        "©",
    ):
        assert chrome not in page.body, chrome


def test_format_detection(fixtures, tmp_path):
    """Formats are told by name, and by content when the name says nothing."""
    assert detect_format(fixtures / "articles.jsonl") == "jsonl"
    assert detect_format(fixtures / "articles.csv") == "csv"
    assert detect_format(fixtures / "feed.rss") == "rss"
    assert detect_format(fixtures / "crawled.txt") == "textpage"
    for name, fmt in [
        ("export.wxr", "wxr"),
        ("feed.atom", "rss"),
        ("page.html", "html"),
        ("articles.jsonl", "jsonl"),
    ]:
        shutil.copy(fixtures / name, tmp_path / "noext")
        assert detect_format(tmp_path / "noext") == fmt, name


def test_missing_source_is_a_clear_error(run_import, tmp_path):
    """A path that does not exist stops with a one-line error, not a traceback."""
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no such file"):
        run_import(tmp_path / "nothing-here.jsonl")


def test_csv_invalid_encoding_is_one_bad_row(run_import, tmp_path):
    """A CSV row with bytes that are not UTF-8 is reported with its line; the
    rows around it import."""
    data = (
        b"id,title,body\n"
        b"x-1,First row,Fine.\n"
        b"x-2,Caf\xe9 row,Latin-1 byte.\n"
        b"x-3,Third row,Fine too.\n"
    )
    (tmp_path / "rows.csv").write_bytes(data)
    run = run_import(tmp_path / "rows.csv")
    assert run.bad_lines == ["bad record rows.csv:3: invalid encoding (not UTF-8)"]
    assert sorted(Article.objects.values_list("source_id", flat=True)) == ["x-1", "x-3"]


def test_an_imported_comments_address_is_kept_only_if_mail_could_go_to_it(
    fixtures, run_import, tmp_path
):
    """An export's comment address is kept as the form would keep it (a
    mailbox at a domain, in the form mail goes to) or not at all: a quoted
    name ('"olu at home"@example.org', which Django's mail unquotes into
    another address) and an [IP] literal were stored as given, where the
    form refuses both. A full-width address is the ASCII one."""
    wxr = (fixtures / "export.wxr").read_text(encoding="utf-8")
    for plain, hostile in (
        ("olu@example.org", '"olu at home"@example.org'),
        ("sam@example.net", "sam@[192.0.2.1]"),
        ("pat@example.com", "\uff30\uff41\uff54@example.com"),
    ):
        assert plain in wxr
        wxr = wxr.replace(plain, hostile)
    source = tmp_path / "export.wxr"
    source.write_text(wxr, encoding="utf-8")
    assert "5 comments" in run_import(source).out
    emails = dict(Comment.objects.values_list("name", "email"))
    assert emails["Olu Adeyemi"] == ""
    assert emails["Sam Ree"] == ""
    assert emails["Pat Quinn"] == "pat@example.com"
