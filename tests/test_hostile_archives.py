"""Hostile archives: after each one, the site still answers 200 everywhere.

Each test builds its hostile file here (nothing is copied from ../shared/data),
imports it with the real command, and then reads the home page, the section
and article pages, the RSS and Atom feeds, the news sitemap and the admin
login with the page cache on.
"""

from __future__ import annotations

import gzip
import io
import json
import unicodedata
import xml.dom.minidom

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client

from newsroom.articles.models import Article, Author
from newsroom.core import slots

pytestmark = pytest.mark.django_db

WXR = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
 xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Blog</title><wp:base_site_url>https://blog.example</wp:base_site_url>
<wp:category><wp:category_nicename>{nicename}</wp:category_nicename>
<wp:cat_name><![CDATA[{category}]]></wp:cat_name></wp:category>
{items}
</channel></rss>"""

ITEM = """<item><title>{title}</title><link>https://blog.example/{slug}/</link>
<dc:creator>ed</dc:creator><content:encoded><![CDATA[<p>{body}</p>]]></content:encoded>
<wp:post_id>{pid}</wp:post_id><wp:post_date_gmt>2024-05-01 10:00:00</wp:post_date_gmt>
<wp:post_name>{slug}</wp:post_name><wp:status>publish</wp:status>
<wp:post_type>post</wp:post_type><wp:post_password>{password}</wp:post_password>
<category domain="category" nicename="{nicename}"><![CDATA[{category}]]></category>
</item>"""


def wxr(items: list[dict], category: str = "News", nicename: str = "news") -> str:
    body = "".join(
        ITEM.format(
            **{
                "password": "",
                "body": "Words of the post.",
                "category": category,
                "nicename": nicename,
                **item,
            }
        )
        for item in items
    )
    return WXR.format(items=body, category=category, nicename=nicename)


def rec(fields: dict) -> str:
    """One JSON line, dated (an undated record would be a draft)."""
    return json.dumps({"published": "2024-05-01T10:00:00Z", **fields})


def run(source, *args, refused: bool = False) -> str:
    """stdout and stderr; ``refused``: every record is bad, and the command
    fails (exit 1) after its summary."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(
            "import_articles", str(source), "--progress", "none", *args,
            stdout=out, stderr=err,
        )  # fmt: skip
    except CommandError as exc:
        if not refused:
            raise
        err.write(f"CommandError: {exc}\n")
    else:
        assert not refused, "the import was not refused"
    return out.getvalue() + err.getvalue()


def site_answers(settings) -> None:
    """Home, section, article, feeds, sitemap and admin login all answer 200,
    through the page cache, and feeds and sitemap are well-formed XML."""
    settings.NEWSROOM_PAGE_CACHE_SECONDS = 30
    cache.clear()
    client = Client()
    paths = ["/", "/feeds/rss/", "/feeds/atom/", "/sitemap-news.xml", "/admin/login/"]
    public = Article.objects.published()
    for article in public[:5]:
        paths += [article.get_absolute_url(), article.section.get_absolute_url()]
        paths += [f"/feeds/section/{article.section.slug}/rss/"]
    for path in paths:
        for _ in range(2):  # rendered, then from the page cache
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            body = response.content
            assert slots.NONCE.encode() not in body
        if path.startswith(("/feeds/", "/sitemap")):
            xml.dom.minidom.parseString(body)


def test_wordpress_export_with_a_japanese_category(tmp_path, settings):
    """WordPress writes a non-ASCII term's slug percent-encoded; it becomes a
    URL-safe slug, and a ``../../admin`` slug is made harmless, so the menu
    (on every page, admin login included) still reverses."""
    path = tmp_path / "export.wxr"
    path.write_text(
        wxr(
            [{"title": "東京の朝", "slug": "%e6%9d%b1%e4%ba%ac", "pid": 1}],
            category="ニュース",
            nicename="%e3%83%8b%e3%83%a5%e3%83%bc%e3%82%b9",
        )
        + ""
    )
    assert "1 created" in run(path)
    traversal = tmp_path / "traversal.wxr"
    traversal.write_text(
        wxr([{"title": "Up", "slug": "../../admin", "pid": 2}], "Up", "../../admin")
    )
    # Another file from the same site: the operator vouches for it.
    assert "1 created" in run(traversal, "--source", "wordpress:https://blog.example")
    for article in Article.objects.all():
        assert "%" not in article.slug and "/" not in article.slug
        assert "%" not in article.section.slug and "." not in article.section.slug
    site_answers(settings)


def test_a_record_carrying_page_cache_markers(tmp_path, settings):
    """Text holding the page cache's marker characters (the old fixed form,
    and a 4,400-digit stamp) is cleaned on import; pages stay 200 and no
    visitor's token lands in a headline."""
    path = tmp_path / "markers.jsonl"
    stamp = "\x00nr:stamp." + "9" * 4400 + "\x00"
    path.write_text(
        rec({"id": "m1", "title": "Head \x00nr:csrf\x00 line", "body": stamp}) + "\n"
    )
    assert "1 created" in run(path)
    article = Article.objects.get()
    assert "\x00" not in article.headline and "\x00" not in article.body
    site_answers(settings)
    html = Client().get(article.get_absolute_url()).content.decode()
    assert "Head nr:csrf line" in html


def test_a_gzip_bomb(tmp_path, settings):
    """A small .jsonl.gz expanding to one enormous line is one bad record."""
    settings.NEWSROOM_IMPORT_MAX_RECORD_BYTES = 1 << 20
    path = tmp_path / "bomb.jsonl.gz"
    with gzip.open(path, "wb", compresslevel=9) as fh:
        fh.write(rec({"id": "1", "title": "Fine", "body": "Ok."}).encode())
        fh.write(b"\n" + b"[" * (64 << 20) + b"\n")
    out = run(path)
    assert "1 created" in out and "1 bad" in out
    site_answers(settings)


def test_a_feed_of_nested_bold(tmp_path, settings):
    """40 nested empty <b> in a 630-byte feed import at once."""
    path = tmp_path / "nested.rss"
    nest = "&lt;b&gt;" * 40 + "&lt;/b&gt;" * 40
    path.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        "<item><title>Nested</title><link>https://f.example/n</link>"
        f"<description>{nest} Text after.</description></item></channel></rss>"
    )
    assert "1 created" in run(path)
    assert Article.objects.get().body == "Text after."
    site_answers(settings)


def test_a_feed_whose_body_is_a_path(tmp_path, settings):
    """A feed file that names a private local file does not publish it."""
    secret = tmp_path / "secret.rss"
    secret.write_text(
        '<rss version="2.0"><channel><item><title>Payroll</title>'
        "<link>https://x.example/p</link></item></channel></rss>"
    )
    secret.chmod(0o600)
    feed = tmp_path / "feed.rss"
    feed.write_text(str(secret))
    assert "not a feed" in run(feed, refused=True)
    assert not Article.objects.exists()
    site_answers(settings)


def test_a_directory_with_symlinks_out(tmp_path, settings):
    """Only the directory's own files are imported."""
    outside = tmp_path / "outside.jsonl"
    outside.write_text(rec({"id": "o", "title": "Outside", "body": "x"}))
    root = tmp_path / "dir"
    root.mkdir()
    (root / "own.jsonl").write_text(rec({"id": "i", "title": "Own", "body": "y"}))
    (root / "link.jsonl").symlink_to(outside)
    (root / "up").symlink_to(tmp_path, target_is_directory=True)
    assert "1 created" in run(root)
    assert list(Article.objects.values_list("headline", flat=True)) == ["Own"]
    site_answers(settings)


def test_a_password_protected_post(tmp_path, settings):
    """A protected WordPress post becomes a draft (or is skipped with
    --skip-protected), with a line in the summary; it is never public."""
    path = tmp_path / "protected.wxr"
    path.write_text(
        wxr(
            [
                {"title": "Open", "slug": "open", "pid": 1},
                {"title": "Secret", "slug": "secret", "pid": 2, "password": "pw"},
            ]
        )
    )
    out = run(path)
    assert "1 protected or private kept as drafts" in out
    assert "withheld protected.wxr#item2: password-protected post, a draft" in out
    secret = Article.objects.get(headline="Secret")
    assert secret.status == Article.Status.DRAFT
    assert not Article.objects.published().filter(pk=secret.pk).exists()
    site_answers(settings)
    assert Client().get(secret.get_absolute_url()).status_code == 404
    skipped = tmp_path / "skip.wxr"
    skipped.write_text(
        wxr([{"title": "Hidden", "slug": "h", "pid": 9, "password": "p"}])
    )
    assert "1 protected or private skipped" in run(skipped, "--skip-protected")
    assert not Article.objects.filter(headline="Hidden").exists()


def test_an_article_withdrawn_then_reimported(tmp_path, settings):
    """An article an editor withdrew (and edited) is left as it is by a
    re-import with changed text; --overwrite replaces it, as a revision."""
    path = tmp_path / "wire.jsonl"
    record = {"id": "w1", "title": "Original", "body": "First text."}
    path.write_text(rec(record) + "\n")
    run(path)
    article = Article.objects.get()
    editor = User.objects.create_user("editor", is_staff=True)
    article.status = Article.Status.DRAFT
    article.headline = "Withdrawn by the desk"
    article._history_user = editor
    article.save()
    path.write_text(rec({**record, "body": "Changed text."}) + "\n")
    out = run(path)
    assert "1 kept (edited since imported)" in out
    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT
    assert article.headline == "Withdrawn by the desk"
    assert article.body == "First text."
    site_answers(settings)
    before = article.history.count()
    assert "1 updated" in run(path, "--overwrite")
    article.refresh_from_db()
    assert article.body == "Changed text."
    assert article.history.count() == before + 1
    assert article.history.first().history_change_reason == "import"


def test_a_headline_with_a_vertical_tab(tmp_path, settings):
    """Word's line break (a vertical tab) in a headline or standfirst is
    cleaned on import, and feeds and the news sitemap stay valid XML even for
    text stored before the cleaning."""
    path = tmp_path / "vt.jsonl"
    path.write_text(
        rec({"id": "v", "title": "Line\x0bbreak", "body": "B.", "standfirst": "S\x0bt"})
        + "\n"
    )
    run(path)
    article = Article.objects.get()
    assert article.headline == "Line break" and article.standfirst == "S\nt"
    Article.objects.filter(pk=article.pk).update(
        headline="Stored\x0bearlier\x1b", standfirst="Old\x0c\x01text"
    )
    site_answers(settings)


def test_a_file_cannot_claim_another_imports_source(tmp_path, settings):
    """A second file naming the first import's source cannot overwrite its
    articles, unless the operator says so with --source."""
    first = tmp_path / "agency.jsonl"
    first.write_text(
        rec({"id": "1", "title": "Real", "body": "R.", "source": "agency"})
    )
    run(first)
    forged = tmp_path / "forged.jsonl"
    forged.write_text(
        rec({"id": "1", "title": "Forged", "body": "F.", "source": "agency"})
    )
    out = run(forged, refused=True)
    assert "belongs to another import" in out and "1 bad" in out
    assert Article.objects.get().headline == "Real"
    assert "1 updated" in run(forged, "--source", "agency")
    assert Article.objects.get().headline == "Forged"
    site_answers(settings)


def test_html_pages_without_canonical_urls_are_told_apart_by_path(tmp_path):
    """a/index.html and b/index.html are two pages, not duplicates."""
    for name in ("a", "b"):
        folder = tmp_path / "site" / name
        folder.mkdir(parents=True)
        (folder / "index.html").write_text(
            f"<html><head><title>Page {name}</title></head><body><article>"
            f"<h1>Page {name}</h1><p>{'This is a long enough paragraph. ' * 8}"
            f"About {name}.</p></article></body></html>"
        )
    run(tmp_path / "site")
    assert sorted(Article.objects.values_list("source_id", flat=True)) == [
        "a/index.html",
        "b/index.html",
    ]


def test_pathological_json_records_are_bad_records(tmp_path):
    """Deep nesting, a 5,000-digit number, tags: 5, year 1 and 9999 with an
    offset, and a lone surrogate are each one bad record (or cleaned); the
    run goes on to the good record at the end."""
    lines = [
        "[" * 5000 + "]" * 5000,
        '{"id": "n", "title": "Big", "body": "x", "n": ' + "9" * 5000 + "}",
        rec({"id": "t", "title": "Tags", "body": "x", "tags": 5}),
        rec({"id": "y1", "title": "Y1", "published": "0001-01-01T00:00:00+05:00"}),
        rec({"id": "y9", "title": "Y9", "published": "9999-12-31T23:00:00-05:00"}),
        '{"id": "s", "title": "Lone \\ud800 surrogate", "body": "x"}',
        rec({"id": "ok", "title": "Fine", "body": "x"}),
    ]  # fmt: skip
    path = tmp_path / "weird.jsonl"
    path.write_text("\n".join(lines) + "\n")
    out = run(path)
    assert "7 read, 2 created" in out and "5 bad" in out
    assert Article.objects.get(source_id="s").headline == "Lone surrogate"


def test_an_export_declaring_an_unknown_encoding_is_one_bad_file(tmp_path, settings):
    """A WordPress export whose XML declaration names an encoding Python does
    not know (``x-no-such-enc``) is one "cannot read" line, and the next
    file of the directory is imported: the command ended with a traceback
    (LookupError) and imported nothing after it."""
    folder = tmp_path / "exports"
    folder.mkdir()
    good = wxr([{"title": "Harbour reopens", "slug": "harbour", "pid": 1}])
    bogus = good.replace('encoding="UTF-8"', 'encoding="x-no-such-enc"', 1)
    (folder / "a-bogus.wxr").write_text(bogus)
    (folder / "b-good.wxr").write_text(good)
    out = run(folder, "--format", "wxr")
    assert "cannot read" in out and "x-no-such-enc" in out, out
    assert Article.objects.filter(headline="Harbour reopens").exists(), out
    site_answers(settings)


def _peak(function) -> int:
    """The most memory Python held while ``function`` ran (tracemalloc)."""
    import tracemalloc

    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_an_export_of_junk_elements_around_its_posts_keeps_memory_flat(
    tmp_path, settings
):
    """300,000 empty elements beside the posts (a 1 MB gzip) cost no memory
    that grows with them: only <item>s were let go, so every other element
    stayed in the tree (20 million took 1.8 GB). The posts import."""
    good = wxr([{"title": "Harbour reopens", "slug": "harbour", "pid": 1}])
    junk = "<junk>" + "<x/>" * 150_000 + "</junk>" + "<y/>" * 150_000
    path = tmp_path / "junk.wxr.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(good.replace("</channel>", junk + "</channel>", 1))
    out: list[str] = []
    peak = _peak(lambda: out.append(run(path)))
    assert "1 created" in out[0], out[0]
    assert peak < 15_000_000, peak
    site_answers(settings)


def test_a_post_past_the_record_cap_is_not_built_whole(tmp_path, settings):
    """One post whose body is 40 MB (past NEWSROOM_IMPORT_MAX_RECORD_BYTES, set
    to 1 MB here) is refused while it is read, not after: the importer built
    the whole post first (a 2 GB body took 4.18 GB and 43 s). The post
    before it is imported."""
    settings.NEWSROOM_IMPORT_MAX_RECORD_BYTES = 1 << 20
    posts = wxr(
        [
            {"title": "Harbour reopens", "slug": "harbour", "pid": 1},
            {"title": "Enormous", "slug": "enormous", "pid": 2, "body": "{huge}"},
        ]
    )
    path = tmp_path / "huge.wxr.gz"
    head, tail = posts.split("{huge}", 1)
    with gzip.open(path, "wt") as fh:
        fh.write(head)
        for _ in range(40):
            fh.write("word " * 200_000)
        fh.write(tail)
    out: list[str] = []
    peak = _peak(lambda: out.append(run(path)))
    assert "1 created" in out[0] and "1 bad" in out[0], out[0]
    assert "over 1,048,576 bytes" in out[0], out[0]
    assert peak < 20_000_000, peak
    site_answers(settings)


def test_bidi_controls_in_names_do_not_reverse_the_byline(tmp_path, settings):
    """An imported author name starting with RIGHT-TO-LEFT OVERRIDE (never
    closed) reversed the whole byline in the browser: "By eoD enaJ dna
    nosreP livE". Names, dateline and headline are one-line fields: they
    lose bidi embeddings, overrides and isolates on import (the marks stay)."""
    path = tmp_path / "bidi.jsonl"
    record = {
        "id": "b",
        "title": "Council \u202eapproves\u202c the budget",
        "body": "B.",
        "author": "\u202eEvil Person and Jane Doe",
        "dateline": "\u2067LONDON",
        "tags": ["\u202dElections"],
        "category": "World\u202b",
    }
    path.write_text(rec(record) + "\n")
    run(path)
    article = Article.objects.get()
    names = [a.name for a in article.authors.all()]
    assert sorted(names) == ["Evil Person", "Jane Doe"]
    assert article.headline == "Council approves the budget"
    assert article.dateline == "LONDON"
    assert [t.name for t in article.tags.all()] == ["Elections"]
    assert article.section.name == "World"
    page = Client().get(article.get_absolute_url()).content.decode()
    assert not any(
        c in page for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    )
    # Right-to-left names keep their marks.
    from newsroom.core.text import clean_text

    assert clean_text("\u200fسارة\u200e", multiline=False) == "\u200fسارة\u200e"


@pytest.mark.parametrize(
    "encoding", ["EUC-JP", "Shift_JIS", "ISO-2022-JP", "GB18030", "Big5", "EUC-KR"]
)
def test_an_export_in_a_legacy_east_asian_encoding_imports(
    tmp_path, settings, encoding
):
    """Old Japanese WordPress sites ran in EUC-JP or Shift_JIS, Chinese and
    Korean ones in GB18030, Big5 or EUC-KR, and their exports say so in the
    XML declaration. The parser (expat) reads none of these multi-byte
    encodings: the whole export was refused ("cannot read"). Now it is read
    through Python's codec, and the post, its category and its section come
    through in their own script."""
    korean = encoding == "EUC-KR"
    title, category = ("서울의 아침", "뉴스") if korean else ("東京", "新聞")
    text = wxr(
        [{"title": title, "slug": "morning", "pid": 1, "body": f"{title}。"}],
        category=category,
        nicename="news",
    ).replace('encoding="UTF-8"', f'encoding="{encoding}"', 1)
    path = tmp_path / "export.wxr"
    path.write_bytes(text.encode(encoding))
    out = run(path)
    assert "1 created" in out, out
    story = Article.objects.get()
    assert story.headline == title and f"{title}。" in story.body
    assert story.section.name == category
    site_answers(settings)


def test_an_export_with_bytes_its_encoding_does_not_have_is_one_bad_file(tmp_path):
    """Bytes that are not EUC-JP in an export declaring EUC-JP: one "cannot
    read" line naming the encoding, and the next file still imports."""
    folder = tmp_path / "exports"
    folder.mkdir()
    good = wxr([{"title": "東京", "slug": "tokyo", "pid": 1}])
    euc = good.replace('encoding="UTF-8"', 'encoding="EUC-JP"', 1).encode("euc-jp")
    (folder / "a-broken.wxr").write_bytes(
        euc.replace("東京".encode("euc-jp"), b"\x8f\xff")
    )
    (folder / "b-good.wxr").write_bytes(euc)
    out = run(folder, "--format", "wxr")
    assert "cannot read" in out and "EUC-JP" in out, out
    assert Article.objects.filter(headline="東京").exists(), out


def test_a_flood_of_combining_marks_in_an_imported_story_is_cut(tmp_path, settings):
    """ "Zalgo" text (a letter with hundreds of combining marks) in an imported
    headline, standfirst, body or author name is cut to five marks in a row,
    as comments are: the headline pushed the front page sideways for every
    reader. Real spellings keep theirs: pointed Hebrew, Vietnamese, Yoruba,
    Devanagari, and marks on astral letters or beside emoji."""
    zalgo = "Z" + "\u0301\u0316\u0334" * 300 + "algo"
    kept = [
        "בְּרֵאשִׁית",  # pointed Hebrew: a letter with up to three marks
        "Tiếng Việt",
        "ẹ̀ Yorùbá",
        "हिन्दी",
        "\U0001d400\u0301\u0302 🙂\u0301",
    ]
    path = tmp_path / "zalgo.jsonl"
    path.write_text(
        rec(
            {
                "id": "z1",
                "title": f"{zalgo} storm " + " ".join(kept),
                "summary": zalgo,
                "body": f"{zalgo}\n\n" + "\n\n".join(kept),
                "author": zalgo,
            }
        )
        + "\n"
    )
    assert "1 created" in run(path)
    story = Article.objects.get()
    nfc = unicodedata.normalize("NFC", zalgo)  # Z + U+0301 is one letter, Ź
    cut = nfc[:6] + "algo"  # the letter and five marks
    assert story.headline.startswith(f"{cut} storm "), len(story.headline)
    for word in kept:
        assert unicodedata.normalize("NFC", word) in story.headline, word
        assert unicodedata.normalize("NFC", word) in story.body, word
    assert story.standfirst == cut and story.body.startswith(cut)
    names = [a.name for a in Author.objects.all()]
    assert names == [cut], names
    site_answers(settings)


def test_a_date_whose_numbers_overflow_is_one_bad_record(tmp_path, settings):
    """A date in mail form whose year, hour or offset has twenty digits
    (``1 Jan 99999999999999999999 00:00 GMT``) is one "broken date" line,
    in a JSON lines file and in a WordPress export (a comment's such date
    is left out, as any broken one), and the run goes on: the OverflowError
    stopped the whole import with a traceback."""
    huge = "9" * 20
    lines = [
        rec({"id": "y", "title": "Year", "published": f"1 Jan {huge} 00:00 GMT"}),
        rec({"id": "h", "title": "Hour", "published": f"1 Jan 2024 {huge}:00 GMT"}),
        rec({"id": "z", "title": "Zone", "published": f"1 Jan 2024 00:00 +{huge}"}),
        rec({"id": "ok", "title": "Fine", "body": "Words of the story."}),
    ]
    path = tmp_path / "dates.jsonl"
    path.write_text("\n".join(lines) + "\n")
    out = run(path)
    assert "4 read, 1 created" in out and "3 bad" in out, out
    assert out.count("broken date") == 3, out
    export = wxr(
        [
            {"title": "Overflowing", "slug": "over", "pid": 1},
            {"title": "Harbour reopens", "slug": "harbour", "pid": 2},
        ]
    ).replace(
        "<wp:post_date_gmt>2024-05-01 10:00:00</wp:post_date_gmt>",
        f"<wp:post_date_gmt>1 Jan {huge} 00:00 GMT</wp:post_date_gmt>",
        1,
    )
    comment = (
        "<wp:comment><wp:comment_id>1</wp:comment_id>"
        "<wp:comment_author>Ann</wp:comment_author>"
        "<wp:comment_content>Good news.</wp:comment_content>"
        "<wp:comment_approved>1</wp:comment_approved>"
        f"<wp:comment_date_gmt>1 Jan {huge} 00:00 GMT</wp:comment_date_gmt>"
        "</wp:comment></item>"
    )
    path = tmp_path / "dates.wxr"
    path.write_text(export[::-1].replace("</item>"[::-1], comment[::-1], 1)[::-1])
    out = run(path, "--format", "wxr")
    assert "2 read, 1 created" in out and "1 bad" in out, out
    assert "broken date" in out, out
    harbour = Article.objects.get(headline="Harbour reopens")
    assert harbour.comment_count == 1, out
    site_answers(settings)


def test_a_feed_entry_dated_past_year_9999_in_utc_is_one_bad_record(tmp_path):
    """An RSS entry dated the last minute of 9999 west of Greenwich (or the
    first minute of year 1 east of it), which feedparser moves to UTC, lies
    outside the years Python counts: it is one "date out of range" line and
    the entries after it are imported. The rest of the feed was lost, one
    "cannot read: year 10000 is out of range" line for the whole file."""
    item = (
        "<item><title>{t}</title><link>https://feed.example/{t}</link>"
        "<description>Words of {t}.</description><pubDate>{d}</pubDate></item>"
    )
    dated = {
        "late": "9999-12-31T23:59:59-12:00",
        "early": "0001-01-01T00:00:00+14:00",
        "fine": "Wed, 01 May 2024 11:00:00 GMT",
    }
    items = "".join(item.format(t=t, d=d) for t, d in dated.items())
    path = tmp_path / "feed.rss"
    path.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        f"<link>https://feed.example/</link>{items}</channel></rss>"
    )
    out = run(path, "--format", "rss")
    assert "3 read, 1 created" in out and "2 bad" in out, out
    assert out.count("date out of range") == 2, out
    assert Article.objects.filter(headline="fine").exists(), out


@pytest.mark.parametrize("codec", ["rot13", "zlib", "quopri", "base64"])
def test_an_export_declaring_a_codec_that_is_not_a_text_encoding(tmp_path, codec):
    """An XML declaration naming one of Python's codecs that are not text
    encodings (``encoding="rot13"``, ``zlib``, ``quopri``, ``base64``) is
    one "cannot read" line for that file, and the next file is imported:
    the file's bytes were handed to that codec, whose TypeError, zlib.error
    or bytes stopped the whole import with a traceback."""
    folder = tmp_path / "exports"
    folder.mkdir()
    good = wxr([{"title": "Harbour reopens", "slug": "harbour", "pid": 1}])
    bogus = good.replace('encoding="UTF-8"', f'encoding="{codec}"', 1)
    (folder / "a-bogus.wxr").write_text(bogus)
    (folder / "b-good.wxr").write_text(good)
    out = run(folder, "--format", "wxr")
    assert "cannot read" in out and "not a text encoding" in out, out
    assert Article.objects.filter(headline="Harbour reopens").exists(), out


def test_an_export_comment_with_an_id_longer_than_its_column(tmp_path, settings):
    """A WordPress comment whose ``comment_id`` is 300 characters long is
    kept under the id fitted to its 200-character column (its beginning and
    a hash of the whole), its reply threaded under it, and a second run
    adds no comment. On PostgreSQL the post and its comments were not
    written ("value too long for type character varying(200)"), and an
    export of that one post stopped the import with a traceback."""
    from newsroom.comments.models import Comment

    long_id = "7" * 300
    comments = "".join(
        "<wp:comment>"
        f"<wp:comment_id>{cid}</wp:comment_id>"
        f"<wp:comment_author>{who}</wp:comment_author>"
        f"<wp:comment_content>{what}</wp:comment_content>"
        "<wp:comment_approved>1</wp:comment_approved>"
        f"<wp:comment_parent>{parent}</wp:comment_parent>"
        "<wp:comment_date_gmt>2024-05-01 11:00:00</wp:comment_date_gmt>"
        "</wp:comment>"
        for cid, who, what, parent in [
            (long_id, "Ann", "Good news.", "0"),
            ("8", "Bob", "Agreed.", long_id),
            (long_id + "9", "Cy", "At last.", "0"),
        ]
    )
    export = wxr([{"title": "Harbour reopens", "slug": "harbour", "pid": 1}])
    path = tmp_path / "one.wxr"
    path.write_text(export.replace("</item>", comments + "</item>", 1))
    for created in (3, 0):
        out = run(path, "--format", "wxr")
        assert "1 read" in out and "0 bad" in out and f"{created} comments" in out
    story = Article.objects.get(headline="Harbour reopens")
    assert story.comment_count == 3, out
    reply = Comment.objects.get(name="Bob")
    assert reply.parent is not None and reply.parent.name == "Ann"
    site_answers(settings)
