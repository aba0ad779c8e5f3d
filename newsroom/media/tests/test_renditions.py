"""Renditions: sizes, crops around the focal point, names, and how they are served."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image as PILImage

from newsroom.media import renditions, samples
from newsroom.media.library import add_image
from newsroom.media.renditions import SPECS, crop_box

pytestmark = pytest.mark.django_db


@pytest.fixture
def image():
    img, _ = add_image(samples.photo(1600, 1000, seed=1), "p.jpg", alt="Shapes")
    return img


def _open(name: str) -> PILImage.Image:
    with default_storage.open(name) as fh:
        return PILImage.open(io.BytesIO(fh.read()))


@pytest.mark.parametrize(
    ("spec", "size"),
    [
        ("320w", (320, 200)),
        ("1280w", (1280, 800)),
        ("1920w", (1600, 1000)),  # never upscaled
        ("640x360", (640, 360)),
        ("160x160", (160, 160)),
        ("1200x630", (1200, 630)),
        ("1200x900", (1200, 900)),
        ("1200x1200", (1000, 1000)),  # the largest square there is
    ],
)
def test_rendition_sizes(image, spec, size):
    """Each spec makes a file of the size its markup announces, in both formats."""
    assert renditions.output_size(image, SPECS[spec]) == size
    for ext, fmt in [("jpg", "JPEG"), ("webp", "WEBP")]:
        made = _open(renditions.ensure(image, SPECS[spec], ext))
        assert made.size == size
        assert made.format == fmt


def test_crop_box_follows_the_focal_point_within_the_edges():
    """A square from a 1600×1000 picture sits on the focal point, clamped inside."""
    assert crop_box(1600, 1000, 1.0, 0.5, 0.5) == (300, 0, 1300, 1000)
    assert crop_box(1600, 1000, 1.0, 0.9, 0.5) == (600, 0, 1600, 1000)
    assert crop_box(1600, 1000, 1.0, 0.0, 0.5) == (0, 0, 1000, 1000)
    assert crop_box(1000, 1600, 16 / 9, 0.5, 0.1) == (0, 0, 1000, 562)


def test_focal_point_moves_the_crop(image):
    """A square crop with the focal point at the far right shows the right edge."""
    src = _open(image.file.name).convert("RGB")
    image.focal_x, image.focal_y = 1.0, 0.5
    image.save()
    made = _open(renditions.ensure(image, SPECS["160x160"], "jpg")).convert("RGB")
    right_edge = src.crop((600, 0, 1600, 1000)).resize((160, 160))
    diff = sum(
        abs(a - b)
        for a, b in zip(made.tobytes()[:3000], right_edge.tobytes()[:3000], strict=True)
    )
    assert diff / 3000 < 12  # the same region, give or take JPEG
    assert "/f100x50-160x160." in renditions.url(image, "160x160")


def test_served_made_once_and_cacheable_forever(client, image):
    """The first request makes the file; both answers are immutable with the
    right type; the name carries the content hash."""
    url = renditions.url(image, "640x360", "webp")
    assert image.content_hash[:16] in url
    first = client.get(url)
    assert first.status_code == 200
    assert first["Content-Type"] == "image/webp"
    assert "immutable" in first["Cache-Control"]
    body = b"".join(first.streaming_content)
    assert PILImage.open(io.BytesIO(body)).size == (640, 360)
    again = client.get(url)
    assert b"".join(again.streaming_content) == body


@pytest.mark.parametrize(
    "path",
    [
        "originals/{h2}/{hash}.jpg",  # originals are never served
        "r/{key}/123w.jpg",  # not a spec
        "r/{key}/640x360.jpg",  # a crop without its focal point
        "r/{key}/f50x50-640w.jpg",  # a width with one
        "r/{key}/640w.png",
        "r/0000000000000000/640w.jpg",
        "r/{key}/../../originals/640w.jpg",
    ],
)
def test_unknown_names_are_404(client, image, path):
    """Only listed specs of library images exist; anything else is a 404."""
    h = image.content_hash
    name = path.format(h2=h[:2], hash=h, key=image.key)
    assert client.get("/media/" + name).status_code == 404


def test_a_stale_focal_point_redirects_to_the_current_crop(client, image):
    """A crop name with a focal point the editor has since moved redirects to
    the current crop (a stranger cannot make one file per point)."""
    response = client.get(f"/media/r/{image.key}/f10x10-640x360.jpg")
    assert response.status_code == 302
    assert response["Location"] == renditions.url(image, "640x360")
    assert not default_storage.exists(f"r/{image.key}/f10x10-640x360.jpg")


def test_markdown_library_pictures_become_figures_and_others_vanish(image):
    """``![alt](image:N "caption")`` becomes our figure with srcset and the
    caption; a picture from elsewhere is not hot-linked (it is dropped)."""
    from newsroom.articles.rendering import render_markdown

    html = render_markdown(
        f'Before.\n\n![Shapes on a wall](image:{image.pk} "Seen at dawn")\n\n'
        "![tracker](https://evil.example/pixel.gif)\n\n"
        f"![gone](image:999999)\n\nAfter."
    )
    assert '<figure class="figure figure--body">' in html
    assert f"/media/r/{image.key}/640w.webp 640w" in html
    assert 'alt="Shapes"' in html  # the library's alt text
    assert "Seen at dawn" in html
    assert "evil.example" not in html and "<img" in html
    assert html.count("<img") == 1
    assert "<p><figure" not in html


def test_make_renditions_makes_each_once(image):
    """The command makes every spec in both formats, and nothing the second time."""
    from django.core.management import call_command

    for spec in SPECS.values():  # other tests may have made some already
        for ext in ("jpg", "webp"):
            default_storage.delete(renditions.storage_name(image, spec, ext))
    out = io.StringIO()
    call_command("make_renditions", stdout=out)
    assert out.getvalue().startswith(f"{len(SPECS) * 2} renditions made for 1 images")
    out = io.StringIO()
    call_command("make_renditions", stdout=out)
    assert out.getvalue().startswith("0 renditions made")


def test_a_pictures_edit_or_deletion_moves_the_content_version(image):
    """Kept pages (front, sections, articles) show a picture's alt text and
    crop; they start again when the content version moves, so an edit to a
    picture, or its deletion, moves it as an article's edit does (they kept
    the old alt text until their time ran out)."""
    from newsroom.core import versions

    before = versions.current(fresh=True)
    image.alt = "Coloured shapes on a table"
    image.save()
    edited = versions.current(fresh=True)
    assert edited > before
    image.delete()
    assert versions.current(fresh=True) > edited


def test_a_reader_making_renditions_does_not_move_the_content_version(client, image):
    """Only an editor's save moves the version: a stranger asking for new
    sizes of a picture (each made on first request) cannot empty every
    node's kept pages."""
    from newsroom.core import versions

    before = versions.current(fresh=True)
    for spec in ("640x360", "320w", "160x160"):
        assert client.get(renditions.url(image, spec, "webp")).status_code == 200
    assert versions.current(fresh=True) == before


@pytest.mark.parametrize("damage", ["missing", "cut short"])
def test_make_renditions_goes_on_past_a_broken_original(damage):
    """An original whose file is gone or cut short (a restore from an older
    copy, a disk error) is named in one line and skipped; every other
    picture still gets its renditions, and the command exits 1 for cron.
    The first broken file ended the run in a FileNotFoundError or
    "image file is truncated" traceback, and the pictures after it got no
    renditions."""
    from django.core.management import call_command
    from django.core.management.base import CommandError

    broken, _ = add_image(samples.photo(900, 600, seed=7), "a.jpg", alt="Broken")
    whole, _ = add_image(samples.photo(900, 600, seed=8), "b.jpg", alt="Whole")
    path = default_storage.path(broken.file.name)
    if damage == "missing":
        default_storage.delete(broken.file.name)
    else:
        with open(path, "r+b") as fh:
            fh.truncate(2000)
    for image in (broken, whole):
        for spec in SPECS.values():
            for ext in ("jpg", "webp"):
                default_storage.delete(renditions.storage_name(image, spec, ext))
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 image"):
        call_command("make_renditions", stdout=io.StringIO(), stderr=err)
    assert broken.key in err.getvalue()
    for spec in SPECS.values():
        assert default_storage.exists(renditions.storage_name(whole, spec, "webp"))


def test_a_transparent_picture_is_on_white_in_its_jpegs():
    """A logo drawn on a transparent background keeps it in WebP and is on
    white in its JPEGs (the <img> fallback, og:image, the feeds): the alpha
    was dropped, the pixels under it are black in most files, and a dark
    logo became a black rectangle."""
    from PIL import ImageDraw

    logo = PILImage.new("RGBA", (800, 450), (0, 0, 0, 0))
    ImageDraw.Draw(logo).rectangle((300, 150, 500, 300), fill=(20, 20, 20, 255))
    out = io.BytesIO()
    logo.save(out, "PNG")
    image, _ = add_image(out.getvalue(), "logo.png", alt="The logo")
    for spec in ("640w", "1200x630"):
        made = _open(renditions.ensure(image, SPECS[spec], "jpg")).convert("RGB")
        w, h = made.size
        assert min(made.getpixel((5, 5))) > 245, spec  # white around it
        assert max(made.getpixel((w // 2, h // 2))) < 40, spec  # the logo
    webp = _open(renditions.ensure(image, SPECS["640w"], "webp"))
    assert webp.mode == "RGBA" and webp.getpixel((5, 5))[3] == 0


class _Watched(ContentFile):
    """A rendition's bytes that look at what the public folder holds while
    they are being written."""

    def __init__(self, data: bytes, folder) -> None:
        super().__init__(data)
        self.folder = folder
        self.seen: list[str] | None = None

    def chunks(self, chunk_size=None):
        yield self.read(16)
        self.seen = sorted(p.name for p in self.folder.iterdir())
        yield self.read()


def test_a_rendition_being_written_is_nowhere_under_the_public_folder(image):
    """nginx serves any file under var/media/r/ without asking the app (and
    marks it immutable), so a half-written copy must never sit there, even
    under a name a stranger would have to guess: it was written beside the
    finished file as ``.<name>.<pid>-<thread>.tmp``."""
    name = renditions.storage_name(image, SPECS["320w"], "jpg")
    folder = Path(default_storage.path(name)).parent
    folder.mkdir(parents=True, exist_ok=True)
    default_storage.delete(name)  # the key is the file's: other tests made it
    before = sorted(p.name for p in folder.iterdir())
    data = renditions.render(image, SPECS["320w"], "jpg")
    content = _Watched(data, folder)
    renditions._store(name, content)
    assert content.seen == before  # nothing new in public while it was written
    assert sorted(p.name for p in folder.iterdir()) == sorted([*before, "320w.jpg"])
    with default_storage.open(name) as fh:
        assert fh.read() == data
    # and nothing is left where it was written
    assert not any(p.is_file() for p in Path(settings.MEDIA_ROOT).rglob("*.tmp"))


def test_make_renditions_sweeps_what_killed_writers_left_half_written():
    """A process killed while it wrote a rendition leaves its file under
    var/media/partial/ (never served, but never removed either). The
    command removes those older than an hour, and leaves a fresh one: a
    live process finishes writing in seconds."""
    import os
    import time

    from django.core.management import call_command

    partial = Path(default_storage.path(renditions.PARTIAL))
    partial.mkdir(parents=True, exist_ok=True)
    old, fresh = partial / "abc-640w.jpg.1-2.tmp", partial / "abc-640w.jpg.3-4.tmp"
    old.write_bytes(b"half")
    fresh.write_bytes(b"half")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    out = io.StringIO()
    call_command("make_renditions", "--key", "0" * 16, stdout=out)
    assert not old.exists()
    assert fresh.exists()
    assert "1 half-written file(s) removed" in out.getvalue()
    fresh.unlink()
