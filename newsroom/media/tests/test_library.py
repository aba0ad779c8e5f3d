"""The library's intake: what is accepted, what is refused and why, what is kept."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from PIL import Image as PILImage

from newsroom.media import renditions, samples
from newsroom.media.checks import clean_upload
from newsroom.media.library import add_image

pytestmark = pytest.mark.django_db


def _exif(data: bytes) -> dict:
    return dict(PILImage.open(io.BytesIO(data)).getexif())


def test_gps_exif_is_stripped_after_its_orientation_is_applied():
    """A phone JPEG (GPS, camera make, rotate-90 flag) is stored upright with no
    EXIF, and none of its renditions carries EXIF either."""
    raw = samples.photo(400, 300, exif=samples.gps_exif(orientation=6))
    assert _exif(raw)[0x8825]  # the upload really has GPS
    image, created = add_image(raw, "phone.jpg", alt="A test picture")
    assert created
    assert (image.width, image.height) == (300, 400)  # rotated upright
    with default_storage.open(image.file.name) as fh:
        assert _exif(fh.read()) == {}
    for spec, ext in [("320w", "jpg"), ("320w", "webp"), ("320x180", "jpg")]:
        name = renditions.ensure(image, renditions.SPECS[spec], ext)
        with default_storage.open(name) as fh:
            data = fh.read()
        assert _exif(data) == {}, (spec, ext)
        assert b"Exif" not in data[:4096]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (samples.png_bomb(), "bomb.png", "decompression bomb"),
        (samples.photo(64, 64, fmt="PNG"), "renamed.jpg", "is really a PNG"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
            b"<script>alert(1)</script></svg>",
            "logo.svg",
            "not a picture",
        ),
        (b"<!doctype html><html><body>hi</body></html>", "page.jpg", "not a picture"),
        (samples.photo(64, 64)[:300], "cut.jpg", "damaged or truncated"),
        (b"", "empty.jpg", "empty"),
    ],
    ids=["bomb", "png-as-jpg", "svg", "html", "truncated", "empty"],
)
def test_refused_files_say_why(data, name, message):
    """A decompression bomb, a PNG renamed .jpg, an SVG, an HTML page, a cut
    JPEG and an empty file are each refused with a message that says why."""
    with pytest.raises(ValidationError) as caught:
        clean_upload(data, name)
    assert message in " ".join(caught.value.messages)


def test_size_cap(settings):
    """A file over NEWSROOM_MEDIA_MAX_BYTES is refused before it is decoded."""
    settings.NEWSROOM_MEDIA_MAX_BYTES = 1000
    with pytest.raises(ValidationError, match="limit is"):
        clean_upload(samples.photo(300, 300), "big.jpg")


def test_gif_keeps_its_first_frame_as_png():
    """An animated GIF is accepted as its first frame, stored as a PNG."""
    frames = [PILImage.new("RGB", (40, 30), c) for c in ("red", "blue")]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:])
    clean = clean_upload(out.getvalue(), "anim.gif")
    assert clean.extension == "png"
    assert PILImage.open(io.BytesIO(clean.data)).getpixel((5, 5))[:3] == (255, 0, 0)


def test_the_same_file_twice_is_one_image():
    """Uploading the same bytes again returns the image already in the library."""
    raw = samples.photo(200, 100, seed=3)
    first, created = add_image(raw, "a.jpg", alt="x")
    again, created_again = add_image(raw, "b.jpg", alt="y")
    assert created and not created_again
    assert again.pk == first.pk


def test_a_camera_jpeg_with_a_second_picture_is_a_jpeg():
    """A camera's or a phone's JPEG that carries a second picture (an MPF large
    preview, an HDR gain map: Pillow calls it MPO) is accepted as the JPEG it
    is, its first picture upright and without EXIF: it was refused as "MPO
    pictures are not accepted: upload a JPEG"."""
    main = PILImage.open(io.BytesIO(samples.photo(400, 300, seed=5)))
    preview = main.resize((160, 120))
    out = io.BytesIO()
    main.save(
        out, "MPO", save_all=True, append_images=[preview], exif=samples.gps_exif()
    )
    raw = out.getvalue()
    assert PILImage.open(io.BytesIO(raw)).format == "MPO"
    image, created = add_image(raw, "DSC_0042.JPG", alt="A camera picture")
    assert created
    assert image.file.name.endswith(".jpg")
    assert (image.width, image.height) == (300, 400)  # orientation 6 applied
    with default_storage.open(image.file.name) as fh:
        stored = PILImage.open(io.BytesIO(fh.read()))
        assert stored.format == "JPEG"
        assert dict(stored.getexif()) == {}


def test_a_16_bit_grey_png_keeps_its_tones():
    """A 16-bit greyscale PNG (a scanner's, a telescope's) is stored with its
    tones scaled to 8 bits: converted as it was, every value over 255 became
    white and the picture was a white sheet."""
    ramp = PILImage.new("I;16", (256, 8))
    ramp.putdata([x * 257 for _ in range(8) for x in range(256)])
    out = io.BytesIO()
    ramp.save(out, "PNG")
    assert PILImage.open(io.BytesIO(out.getvalue())).mode == "I;16"
    stored = PILImage.open(io.BytesIO(clean_upload(out.getvalue(), "scan.png").data))
    grey = stored.convert("L")
    assert [grey.getpixel((x, 4)) for x in (0, 64, 128, 255)] == [0, 64, 128, 255]
