"""Upload -> publish -> the picture on the article, its card, og:image, JSON-LD,
the feeds and the API; and the admin's library (several files, duplicates)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from newsroom.articles.tests import factories as f
from newsroom.media import samples
from newsroom.media.checks import content_hash
from newsroom.media.models import Image

pytestmark = pytest.mark.django_db
SITE = "https://news.example"
MEDIA = "{http://search.yahoo.com/mrss/}"


def _upload(admin_client, *files, **fields):
    data = {
        "upload": list(files),
        "alt": "",
        "caption": "",
        "credit": "",
        "source_url": "",
        **fields,
    }
    return admin_client.post("/admin/media/image/add/", data)


def _jpeg(name="dawn.jpg", seed=0, **kw) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, samples.photo(seed=seed, **kw), "image/jpeg")


def test_upload_publish_and_the_picture_is_everywhere(admin_client, client, settings):
    """An editor uploads a JPEG in the admin and sets it as an article's lead
    image; the article page, the home card, og:image, JSON-LD, RSS, Atom and the
    API all carry it, on our own origin with alt, caption and credit."""
    settings.SITE_URL = SITE
    response = _upload(
        admin_client,
        _jpeg(exif=samples.gps_exif()),
        alt="Fishing boats at dawn",
        caption="The harbour before the storm.",
        credit="Photo: Desk / CC BY 4.0",
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    image = Image.objects.get()
    story = f.article("Storm nears the coast", lead_image=image)
    key = image.key

    page = client.get(story.get_absolute_url()).content.decode()
    lead = re.search(r'<figure class="figure story__lead">.*?</figure>', page, re.S)
    assert lead, "no lead figure"
    fig = lead.group(0)
    assert f'srcset="/media/r/{key}/320w.webp 320w, /media/r/{key}/640w.webp' in fig
    assert 'width="640" height="1024"' in fig  # rotated upright by its EXIF
    assert 'alt="Fishing boats at dawn"' in fig and 'fetchpriority="high"' in fig
    assert "The harbour before the storm." in fig and "Photo: Desk / CC BY 4.0" in fig
    og = re.search(r'property="og:image" content="([^"]+)"', page).group(1)
    assert og == f"{SITE}/media/r/{key}/f50x50-1200x630.jpg"
    ld = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', page).group(1)
    )
    assert len(ld["image"]) == 3 and ld["image"][0]["url"].endswith("-1200x675.jpg")
    assert client.get(og.removeprefix(SITE)).status_code == 200

    home = client.get("/").content.decode()
    assert f"/media/r/{key}/f50x50-640x360.webp" in home
    assert 'class="card card--lead card--pic"' in home

    rss = ET.fromstring(client.get("/feeds/rss/").content)
    content = rss.find(f"channel/item/{MEDIA}content")
    assert content.get("url") == f"{SITE}/media/r/{key}/1280w.jpg"
    assert content.find(f"{MEDIA}credit").text == "Photo: Desk / CC BY 4.0"
    atom = client.get("/feeds/atom/").content.decode()
    assert f"{SITE}/media/r/{key}/1280w.jpg" in atom

    api = client.get(f"/api/v1/articles/{story.pk}").json()
    assert api["image"]["alt"] == "Fishing boats at dawn"
    assert api["image"]["credit"] == "Photo: Desk / CC BY 4.0"
    assert api["image"]["renditions"]["640x360"].startswith(f"{SITE}/media/r/{key}/")


def test_several_files_at_once_and_a_duplicate_is_offered(admin_client):
    """Several files upload in one go; the same file again is not stored twice:
    the form points to the picture already in the library."""
    response = _upload(
        admin_client, _jpeg("a.jpg", 1), _jpeg("b.jpg", 2), credit="Desk"
    )
    assert response.status_code == 302
    assert Image.objects.count() == 2
    assert set(Image.objects.values_list("credit", flat=True)) == {"Desk"}
    again = _upload(admin_client, _jpeg("a-copy.jpg", 1), alt="Same")
    assert again.status_code == 200
    first = Image.objects.get(content_hash=content_hash(samples.photo(seed=1)))
    assert "already in the library" in again.content.decode()
    assert f"/admin/media/image/{first.pk}/change/" in again.content.decode()
    assert Image.objects.count() == 2


def test_an_empty_file_is_told_as_empty_and_nothing_else(admin_client):
    """A 0-byte file is "empty", and the form says nothing false beside it:
    it went on to say "Every file is already in the library."."""
    response = _upload(
        admin_client, SimpleUploadedFile("blank.jpg", b"", "image/jpeg"), alt="x"
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "The submitted file is empty." in page
    assert "already in the library" not in page
    assert not Image.objects.exists()


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "JPEG"])
def test_a_picture_whose_exif_block_is_damaged_is_taken_upright(admin_client, fmt):
    """A picture whose EXIF block is not EXIF (a broken camera, an editor, a
    stranger's file) is still a picture: the upload is accepted with its
    pixels as they are (no orientation can be read) and no metadata kept;
    the same goes for an importer's add_image. Pillow raised SyntaxError out
    of the EXIF reader, a 500 in the admin and a stopped import."""
    import io

    from PIL import Image as PILImage

    from newsroom.media.library import add_image

    def damaged(seed: int) -> bytes:
        out = io.BytesIO()
        PILImage.new("RGB", (48, 32), (20 * seed, 90, 160)).save(
            out, fmt, exif=b"\x00" * 8
        )
        return out.getvalue()

    ext = {"PNG": "png", "WEBP": "webp", "JPEG": "jpg"}[fmt]
    upload = SimpleUploadedFile(f"broken.{ext}", damaged(1), f"image/{ext}")
    response = _upload(admin_client, upload, alt="Harbour at dawn")
    assert response.status_code == 302, response.content.decode()[:2000]
    image = Image.objects.get()
    assert (image.width, image.height) == (48, 32)
    with image.file.open("rb") as stored:
        assert not PILImage.open(stored).getexif()
    imported, _ = add_image(damaged(2), f"wire.{ext}", alt="Harbour wall")
    assert (imported.width, imported.height) == (48, 32)


def test_the_same_new_file_twice_in_one_upload_is_stored_once(admin_client):
    """One new picture selected twice in one upload (and a third file): one
    copy is stored, the other counted as a duplicate and said so. The form
    looked for duplicates in the library only, so the second copy's row
    broke the unique content hash: a 500, and the originals written before
    it stayed on disk with no row."""
    response = _upload(
        admin_client,
        _jpeg("a.jpg", 31),
        _jpeg("a-again.jpg", 31),
        _jpeg("b.jpg", 32),
        credit="Desk",
    )
    assert response.status_code == 302, response.status_code
    assert Image.objects.count() == 2
    page = admin_client.get(response["Location"]).content.decode()
    assert "1 file(s) were already in the library or sent twice" in page


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not a picture"),
        ("photo.jpg", samples.photo(40, 40, fmt="PNG"), "is really a PNG"),
    ],
)
def test_the_admin_refuses_with_the_reason(admin_client, name, data, message):
    """A refused file comes back to the form with the reason, nothing stored."""
    response = _upload(
        admin_client, SimpleUploadedFile(name, data, "image/jpeg"), alt="x"
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Image.objects.exists()


def test_alt_text_is_required_unless_decorative(admin_client):
    """One picture without alt text is refused unless marked decorative."""
    assert _upload(admin_client, _jpeg()).status_code == 200
    assert _upload(admin_client, _jpeg(), decorative="on").status_code == 302


def test_the_library_list_searches_captions_and_shows_thumbnails(admin_client):
    """The admin list finds a picture by caption, credit or alt, with a thumbnail."""
    _upload(admin_client, _jpeg(seed=5), alt="A red kite", caption="Over the ridge")
    _upload(admin_client, _jpeg(seed=6), alt="A crowd", credit="Photo: Ana Lima")
    admin_client.get("/admin/")  # shows (and so clears) the "added" messages
    html = admin_client.get("/admin/media/image/?q=ridge").content.decode()
    assert "Over the ridge" in html and "A crowd" not in html
    assert re.search(r'<img src="/media/r/[0-9a-f]{16}/f50x50-160x160.jpg"', html)
    html = admin_client.get("/admin/media/image/?q=Lima").content.decode()
    assert "A crowd" in html and "Over the ridge" not in html


def test_editors_pick_the_lead_picture_and_author_photo_in_the_admin(admin_client):
    """The story form offers the library's pictures as the lead image (search as
    you type), and the author form a photo."""
    _upload(admin_client, _jpeg(seed=9), alt="A kite", caption="Kite over the ridge")
    form = admin_client.get("/admin/articles/article/add/").content.decode()
    assert 'name="lead_image"' in form and "admin-autocomplete" in form
    found = admin_client.get(
        "/admin/autocomplete/",
        {"term": "ridge", "app_label": "articles", "model_name": "article",
         "field_name": "lead_image"},
    ).json()  # fmt: skip
    assert [r["text"] for r in found["results"]] == ["Kite over the ridge"]
    author = admin_client.get("/admin/articles/author/add/").content.decode()
    assert 'name="photo"' in author


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("position", [0, 1])
def test_the_same_file_landing_from_another_editor_mid_upload_is_no_500(
    admin_client, position
):
    """Two editors upload the same new picture at the same moment: the other
    one's row is committed, on its own connection, between this upload's
    duplicate check and its save (a ``pre_save`` receiver runs the other
    upload in a thread and waits for it). The unique content hash refused
    this one's row: a 500, its original left on disk with no row. Now the
    picture is the one already stored, said so, and no orphan file is left;
    the upload's other files are still added.

    PostgreSQL only: on SQLite the admin's transaction is IMMEDIATE, so the
    second upload waits for the first to commit before its check."""
    import threading

    from django.core.files.storage import default_storage
    from django.db import connection
    from django.db.models.signals import pre_save

    from newsroom.media.library import add_image

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises the uploads (IMMEDIATE): no race to lose")
    raced = samples.photo(seed=41)
    # The raced file comes first: a later one would find the other upload
    # waiting on this transaction's content-version bump (a deadlock that
    # PostgreSQL breaks; see the note on media/admin.py's _stored).
    files = [SimpleUploadedFile("race.jpg", raced, "image/jpeg")]
    files += [_jpeg("other.jpg", 42)] if position else []
    landed: list = []

    def theirs():
        try:
            landed[0] = add_image(raced, "theirs.jpg", alt="Theirs")[0]
        finally:
            connection.close()

    def other_editor(sender, instance, **kwargs):
        if instance.content_hash == content_hash(raced) and not landed:
            landed.append(None)
            other = threading.Thread(target=theirs)
            other.start()
            other.join(30)

    folder = f"{Image.file.field.upload_to}{content_hash(raced)[:2]}"
    before = (
        set(default_storage.listdir(folder)[1])
        if default_storage.exists(folder)
        else set()
    )
    pre_save.connect(other_editor, sender=Image)
    try:
        response = _upload(admin_client, *files, alt="" if position else "Ours")
    finally:
        pre_save.disconnect(other_editor, sender=Image)
    assert landed and landed[0] is not None, "the other upload never landed"
    assert response.status_code == 302, response.status_code
    assert Image.objects.filter(content_hash=content_hash(raced)).count() == 1
    assert Image.objects.count() == 1 + position
    kept = Image.objects.get(content_hash=content_hash(raced))
    assert kept.pk == landed[0].pk and kept.alt == "Theirs"
    page = admin_client.get(response["Location"]).content.decode()
    assert "1 file(s) were already in the library or sent twice" in page
    assert "was added successfully" not in page
    # Only the stored row's original is new on disk under the picture's hash
    # (the media folder outlives the database between tests).
    assert kept.file.name.rsplit("/", 1)[0] == folder
    name = kept.file.name.rsplit("/", 1)[1]
    new = set(default_storage.listdir(folder)[1]) - before
    assert sorted(n for n in new if n.startswith(content_hash(raced))) == [name]


def test_a_caption_pasted_with_a_line_break_keeps_the_feeds_up(admin_client, client):
    """Word's line break (a vertical tab) or another control character in a
    picture's alt text, caption or credit, typed in the admin: every RSS and
    Atom feed listing the story answered 500 (XML 1.0 has no such
    characters). The feeds carry the text without them."""
    response = _upload(
        admin_client,
        _jpeg(),
        alt="Boats\x01 at dawn",
        caption="Line one\x0bline two",
        credit="Desk\x0c/ Wire\x1b",
    )
    assert response.status_code == 302
    story = f.article("Storm nears the coast", lead_image=Image.objects.get())
    client.raise_request_exception = False
    for url in ("/feeds/rss/", "/feeds/atom/", "/feeds/section/world/rss/"):
        response = client.get(url)
        assert response.status_code == 200, url
        root = ET.fromstring(response.content)
        text = " ".join(root.itertext())
        assert "Line one" in text and "Boats at dawn" in text, url
    assert client.get(story.get_absolute_url()).status_code == 200


def test_a_pictures_text_is_stored_without_control_characters(admin_client, client):
    """Control characters in a picture's alt text, caption or credit are
    dropped when the picture is saved (from the admin, an importer or code),
    so the page and the API do not carry them either; they were stored as
    typed and only the feeds cleaned them. A caption keeps its lines; alt
    text and credit are one line."""
    from newsroom.media.library import add_image

    response = _upload(
        admin_client,
        _jpeg(),
        alt="Boats\x01 at\u202e dawn",
        caption="Line one\x0bline two\x1b",
        credit="Desk\x0c/ Wire\x7f",
    )
    assert response.status_code == 302
    image = Image.objects.get()
    assert (image.alt, image.caption, image.credit) == (
        "Boats at dawn",
        "Line one\nline two",
        "Desk / Wire",
    )
    imported, _ = add_image(samples.photo(seed=5), "b.jpg", alt="Harbour\x00 wall")
    assert imported.alt == "Harbour wall"
    story = f.article("Storm nears the coast", lead_image=image)
    page = client.get(story.get_absolute_url()).content.decode()
    api = client.get(f"/api/v1/articles/{story.pk}").content.decode()
    for shown in (page, api):
        assert "Boats at dawn" in shown
        assert not any(c in shown for c in "\x01\x0b\x1b\x0c\x7f\u202e")
