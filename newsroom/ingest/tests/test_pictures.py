"""Importers bring pictures: WordPress featured images and attachments, feed
enclosures and media:content, a page's og:image; fetched once, bounded, public
addresses only; a failed picture never fails its article."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

import pytest

from newsroom.articles.models import Article
from newsroom.ingest import pictures
from newsroom.ingest.fetch import FetchError
from newsroom.ingest.fetch import fetch as fetch_url
from newsroom.media import samples
from newsroom.media.models import Image
from newsroom.search.models import IndexChange

pytestmark = pytest.mark.django_db
PHOTO = samples.photo(800, 500, seed=11)
OTHER = samples.photo(600, 400, seed=12)
# Set by the server once it has sent the last slow byte of /drip.jpg.
DRIPPED = threading.Event()


def fetch(url: str, *, timeout: float = 0, max_bytes: int = 0):
    """A picture's fetch as the importer makes it."""
    return fetch_url(
        url,
        max_bytes=max_bytes or 10_000_000,
        seconds=timeout or pictures.FETCH_SECONDS,
        max_redirects=pictures.FETCH_REDIRECTS,
    )


class _Handler(BaseHTTPRequestHandler):
    hits: dict[str, int] = {}
    flaky_up = False  # /flaky.jpg: 503 until a test brings it up

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802 - http.server's name
        _Handler.hits[self.path] = _Handler.hits.get(self.path, 0) + 1
        port = self.server.server_address[1]
        routes = {
            "/photo.jpg": (200, PHOTO, {}),
            "/other.jpg": (200, OTHER, {}),
            "/page.html": (200, b"<html>not a picture</html>", {}),
            "/huge.jpg": (200, b"\xff" * 300_000, {}),
            "/to-photo": (302, b"", {"Location": "/photo.jpg"}),
            "/to-private": (
                302,
                b"",
                {"Location": f"http://127.0.0.2:{port}/photo.jpg"},
            ),
            "/loop": (302, b"", {"Location": "/loop"}),
        }
        if self.path == "/flaky.jpg":
            routes[self.path] = (
                (200, PHOTO, {}) if _Handler.flaky_up else (503, b"", {})
            )
        if self.path == "/drip.jpg":
            try:  # the headers, a byte every 0.1 s for 5 s
                self.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: image/jpeg\r\n")
                for byte in b"X-Drip: " + b"a" * 42:
                    time.sleep(0.1)
                    self.wfile.write(bytes([byte]))
                DRIPPED.set()
                self.wfile.write(b"\r\n\r\n" + PHOTO)
            except OSError:
                pass  # the client went away
            return
        if self.path.startswith("/odd-length/"):
            # A Content-Length http.client gives up on ("²", 5,000 digits):
            # the body is read to the connection's close.
            self.send_response(200)
            self.send_header("Content-Length", unquote(self.path.rsplit("/", 1)[1]))
            self.end_headers()
            self.wfile.write(PHOTO)
            return
        if self.path == "/slow.jpg":
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            for _ in range(50):
                self.wfile.write(b"x" * 10)
                self.wfile.flush()
                time.sleep(0.1)
            return
        status, body, headers = routes.get(self.path, (404, b"gone", {}))
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    _Handler.hits = {}
    _Handler.flaky_up = False
    DRIPPED.clear()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def loopback_allowed(settings):
    """The test server is on 127.0.0.1: trusted like an operator's intranet."""
    settings.NEWSROOM_FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]


WXR = """<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Pictures</title><wp:base_site_url>https://pics.example</wp:base_site_url>
{items}
</channel></rss>"""

POST = """<item><title>{title}</title><content:encoded><![CDATA[Body of {title}.]]>
</content:encoded><wp:post_id>{pid}</wp:post_id>
<wp:post_date_gmt>2024-11-07 10:00:00</wp:post_date_gmt><wp:status>publish</wp:status>
<wp:post_type>post</wp:post_type>{meta}</item>"""

ATTACHMENT = """<item><title>{title}</title><wp:post_id>{pid}</wp:post_id>
<excerpt:encoded><![CDATA[{caption}]]></excerpt:encoded>
<wp:post_parent>{parent}</wp:post_parent><wp:status>inherit</wp:status>
<wp:post_type>attachment</wp:post_type><wp:attachment_url>{url}</wp:attachment_url>
<wp:postmeta><wp:meta_key>_wp_attachment_image_alt</wp:meta_key>
<wp:meta_value>{alt}</wp:meta_value></wp:postmeta></item>"""


def _attachment(
    title: str, pid: int, parent: int, url: str, alt: str = "", caption: str = ""
) -> str:
    return ATTACHMENT.format(
        title=title, pid=pid, parent=parent, url=url, alt=alt, caption=caption
    )


def _wxr(tmp_path, items: list[str]):
    source = tmp_path / "pics.wxr"
    source.write_text(WXR.format(items="\n".join(items)))
    return source


def _thumb(pid: int) -> str:
    return (
        "<wp:postmeta><wp:meta_key>_thumbnail_id</wp:meta_key>"
        f"<wp:meta_value>{pid}</wp:meta_value></wp:postmeta>"
    )


def test_wordpress_featured_images_and_attachments(
    tmp_path, server, loopback_allowed, run_import
):
    """Featured images (listed after their posts) become lead images with the
    attachment's alt text and caption; a post without one takes its first
    attached picture; a URL two posts share is fetched once; a broken picture
    is counted and its article is imported all the same."""
    items = [
        POST.format(title="Clock", pid=1, meta=_thumb(101)),
        POST.format(title="Bridge", pid=2, meta=_thumb(101)),
        POST.format(title="Market", pid=3, meta=""),
        POST.format(title="Flood", pid=4, meta=_thumb(104)),
        _attachment(
            "Clock face",
            101,
            1,
            f"{server}/photo.jpg",
            alt="The town hall clock",
            caption="The clock at noon.",
        ),
        _attachment("Stalls", 103, 3, f"{server}/to-photo"),
        _attachment("Gone", 104, 4, f"{server}/missing.jpg"),
    ]
    source = _wxr(tmp_path, items)
    run = run_import(source)
    assert "4 created" in run.out
    assert "3 pictures (1 failed)" in run.out
    assert "picture http://127.0.0.1" in run.err and "HTTP 404" in run.err
    clock = Article.objects.get(headline="Clock")
    assert clock.lead_image.alt == "The town hall clock"
    assert clock.lead_image.caption == "The clock at noon."
    assert clock.lead_image.source_url == f"{server}/photo.jpg"
    assert Article.objects.get(headline="Bridge").lead_image == clock.lead_image
    market = Article.objects.get(headline="Market").lead_image
    assert market.pk == clock.lead_image.pk  # same bytes: one library image
    assert Article.objects.get(headline="Flood").lead_image is None
    assert _Handler.hits["/photo.jpg"] == 2  # once directly, once via redirect
    assert Image.objects.count() == 1
    again = run_import(source)
    # Pictures already set are kept; only the broken one is tried again.
    assert "0 pictures (1 failed)" in again.out
    assert _Handler.hits["/photo.jpg"] == 2


def test_a_picture_at_an_address_python_cannot_split_fails_alone(
    tmp_path, server, loopback_allowed, run_import
):
    """A hostile export's picture addresses that ``urlsplit`` cannot read
    (an unclosed IPv6 bracket, a stray one, an upper-case scheme it joins
    to the page's address) are counted as failed pictures, named on stderr,
    and their stories imported: before, the ValueError stopped the import."""
    items = [
        POST.format(title="Clock", pid=1, meta=_thumb(101)),
        POST.format(title="Bridge", pid=2, meta=_thumb(102)),
        POST.format(title="Market", pid=3, meta=_thumb(103)),
        _attachment("Bracket", 101, 1, "http://[::1/x.jpg"),
        _attachment("Stray", 102, 2, "https://a]b.example/x.jpg"),
        _attachment("Fine", 103, 3, f"{server}/photo.jpg"),
    ]
    run = run_import(_wxr(tmp_path, items))
    assert "3 created" in run.out, run.out + run.err
    assert "1 pictures (2 failed)" in run.out, run.out + run.err
    assert run.err.count("cannot read the address") == 2, run.err
    assert Article.objects.get(headline="Market").lead_image is not None
    assert Article.objects.get(headline="Clock").lead_image is None
    page = tmp_path / "story.html"
    body = "<p>" + "A sentence about the harbour and its boats. " * 20 + "</p>"
    page.write_text(
        "<html><head><title>Harbour reopens</title>"
        '<meta property="og:image" content="HTTP://[::1/x.jpg">'
        '<link rel="canonical" href="https://paper.example/harbour">'
        f"</head><body><article><h1>Harbour reopens</h1>{body}</article></body></html>"
    )
    run = run_import(page, "--format", "html")
    assert "1 created" in run.out, run.out + run.err
    assert "0 pictures (1 failed)" in run.out, run.out + run.err
    assert "cannot read the address" in run.err


def test_a_picture_attached_on_a_later_import_reaches_kept_feeds(
    tmp_path, server, loopback_allowed, run_import, client
):
    """Attaching a lead picture changes what readers see, so it moves the
    content version (nothing is queued for the search index, which holds no
    pictures): a feed kept before the picture came shows it at once.
    Here the picture's bytes are already in the library (no new image row,
    so no image save moves the version for it): before the fix the site
    feed kept showing the story without its picture until its copy expired."""
    items = [
        POST.format(title="Clock", pid=1, meta=_thumb(101)),
        POST.format(title="Market", pid=3, meta=_thumb(103)),
        _attachment("Clock face", 101, 1, f"{server}/photo.jpg", alt="Clock"),
        _attachment("Stalls", 103, 3, f"{server}/flaky.jpg", alt="Stalls"),
    ]
    source = _wxr(tmp_path, items)
    assert "1 pictures (1 failed)" in run_import(source).out
    before = client.get("/feeds/rss/").content.decode()
    assert before.count("<media:content") == 1  # the clock's only
    _Handler.flaky_up = True
    queued = IndexChange.objects.count()
    assert "1 pictures (0 failed)" in run_import(source).out
    assert IndexChange.objects.count() == queued  # the index holds no pictures
    market = Article.objects.get(headline="Market")
    assert market.lead_image_id == Article.objects.get(headline="Clock").lead_image_id
    assert Image.objects.count() == 1
    after = client.get("/feeds/rss/").content.decode()
    assert after.count("<media:content") == 2, "the kept feed missed the picture"


def test_feed_enclosures_and_media_content(
    tmp_path, server, loopback_allowed, run_import
):
    """RSS: media:content (an image) or an image enclosure is the lead image."""
    feed = tmp_path / "feed.rss"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0" '
        'xmlns:media="http://search.yahoo.com/mrss/"><channel><title>F</title>'
        "<item><title>One</title><guid>g1</guid><description>Text one.</description>"
        f'<media:content url="{server}/photo.jpg" medium="image"/></item>'
        "<item><title>Two</title><guid>g2</guid><description>Text two.</description>"
        f'<enclosure url="{server}/other.jpg" type="image/jpeg" length="1"/></item>'
        "<item><title>Three</title><guid>g3</guid><description>Text.</description>"
        f'<enclosure url="{server}/a.mp3" type="audio/mpeg" length="1"/></item>'
        "</channel></rss>"
    )
    run = run_import(feed)
    assert "2 pictures (0 failed)" in run.out
    assert Article.objects.get(headline="One").lead_image.width == 800
    assert Article.objects.get(headline="Two").lead_image.width == 600
    assert Article.objects.get(headline="Three").lead_image is None


def test_html_page_og_image(tmp_path, server, loopback_allowed, run_import):
    """An HTML page's og:image becomes its lead image."""
    page = tmp_path / "story.html"
    body = "<p>" + "A sentence about the harbour and its boats. " * 20 + "</p>"
    page.write_text(
        "<html><head><title>Harbour reopens</title>"
        f'<meta property="og:image" content="{server}/other.jpg">'
        '<link rel="canonical" href="https://paper.example/harbour">'
        f"</head><body><article><h1>Harbour reopens</h1>{body}</article></body></html>"
    )
    run = run_import(page, "--format", "html")
    assert "1 pictures (0 failed)" in run.out, run.out + run.err
    assert Article.objects.get().lead_image.width == 600


def test_a_picture_whose_content_length_is_no_number_is_read_whole(
    tmp_path, server, loopback_allowed, run_import
):
    """A picture server's Content-Length that ``str.isdigit()`` takes for a
    number and ``int()`` does not ("²", a superscript two; 5,000 nines) is
    no length: the body is read to its end within the cap, as http.client
    reads it, and the picture comes. The ValueError stopped the import
    while it brought its pictures, with a traceback."""
    feed = tmp_path / "feed.rss"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>F</title>'
        "<item><title>One</title><guid>g1</guid><description>Text.</description>"
        f'<enclosure url="{server}/odd-length/%C2%B2" type="image/jpeg"/></item>'
        "<item><title>Two</title><guid>g2</guid><description>Text.</description>"
        f'<enclosure url="{server}/odd-length/{"9" * 5000}" type="image/jpeg"/>'
        "</item></channel></rss>"
    )
    run = run_import(feed)
    assert "2 created" in run.out, run.out + run.err
    assert "2 pictures (0 failed)" in run.out, run.out + run.err
    assert Article.objects.get(headline="One").lead_image.width == 800
    assert Article.objects.get(headline="Two").lead_image.width == 800


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x.jpg",
        "http://localhost:9/x.jpg",
        "http://10.1.2.3/x.jpg",
        "http://192.168.0.1/x.jpg",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:9/x.jpg",
        "http://0.0.0.0:9/x.jpg",
        "http://[::ffff:127.0.0.1]:9/x.jpg",
        "file:///etc/passwd",
        "ftp://example.org/x.jpg",
        "http://user:pw@example.org/x.jpg",
    ],
)
def test_private_addresses_and_other_schemes_are_refused(url):
    """No fetch goes to loopback, private, link-local (cloud metadata) or
    unspecified addresses, nor to another scheme, nor with credentials."""
    with pytest.raises(FetchError, match="refused"):
        fetch(url, timeout=2)


def test_a_redirect_to_a_private_address_is_refused(server, settings):
    """The address check is made again on every redirect."""
    settings.NEWSROOM_FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]  # not 127.0.0.2
    assert fetch(f"{server}/to-photo").body == PHOTO
    with pytest.raises(FetchError, match="refused: '127.0.0.2'"):
        fetch(f"{server}/to-private")


def test_size_time_and_redirect_caps(server, loopback_allowed):
    """A body over the cap, a slow drip past the deadline and a redirect loop
    each stop with a reason."""
    with pytest.raises(FetchError, match="cap"):
        fetch(f"{server}/huge.jpg", max_bytes=100_000)
    started = time.monotonic()
    with pytest.raises(FetchError, match="deadline|timed out"):
        fetch(f"{server}/slow.jpg", timeout=1)
    assert time.monotonic() - started < 3
    with pytest.raises(FetchError, match="more than 3 redirects"):
        fetch(f"{server}/loop")


def test_a_picture_whose_headers_drip_fails_at_the_deadline(
    tmp_path, server, loopback_allowed, run_import, monkeypatch
):
    """A picture server sending its headers a byte every 0.1 s is left at the
    picture's deadline while it still sends: the story is imported, the
    picture counted as failed. Pictures had a fetcher of their own whose
    timeout bounded each read alone, so a drip held the import as long as
    the server cared; they now go through the import's fetch."""
    monkeypatch.setattr(pictures, "FETCH_SECONDS", 0.5, raising=False)
    feed = tmp_path / "feed.rss"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>F</title>'
        "<item><title>One</title><guid>g1</guid><description>Text.</description>"
        f'<enclosure url="{server}/drip.jpg" type="image/jpeg" length="1"/></item>'
        "</channel></rss>"
    )
    run = run_import(feed)
    assert "1 created" in run.out and "0 pictures (1 failed)" in run.out
    assert "drip.jpg: deadline passed" in run.err
    assert not DRIPPED.is_set()
    assert Article.objects.get().lead_image is None


def test_a_local_picture_past_the_size_limit_is_not_read_whole(
    tmp_path, run_import, settings
):
    """A page's og:image naming a file beside it that is larger than
    NEWSROOM_MEDIA_MAX_BYTES is refused from its size, reading no more than
    the limit and a byte: the importer read the whole file first (a 4 GB
    sparse file took 4.28 GB of memory and 18 s before "the limit is 26
    MB"). Its article is imported all the same."""
    import tracemalloc

    settings.NEWSROOM_MEDIA_MAX_BYTES = 1_000_000
    big = tmp_path / "big.jpg"
    with big.open("wb") as out:  # sparse: 200 MB on paper, nothing on disk
        out.truncate(200_000_000)
    page = tmp_path / "story.html"
    body = "<p>" + "A sentence about the harbour and its boats. " * 20 + "</p>"
    page.write_text(
        "<html><head><title>Harbour reopens</title>"
        '<meta property="og:image" content="big.jpg">'
        '<link rel="canonical" href="https://paper.example/harbour">'
        f"</head><body><article><h1>Harbour reopens</h1>{body}</article></body></html>"
    )
    tracemalloc.start()
    try:
        run = run_import(page, "--format", "html")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "0 pictures (1 failed)" in run.out, run.out + run.err
    assert "too large" in run.err, run.err
    assert peak < 50_000_000, peak
    assert Article.objects.get().lead_image is None
