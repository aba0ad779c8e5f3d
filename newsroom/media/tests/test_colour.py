"""Colour: what the site serves is in sRGB, whatever profile a picture carried."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from PIL import Image as PILImage
from PIL import ImageCms

from newsroom.media import renditions, samples
from newsroom.media.checks import CleanImage, clean_upload, content_hash
from newsroom.media.library import add_image, prepare

pytestmark = pytest.mark.django_db

SATURATED = (64, 200, 64)  # a leaf green, inside Adobe RGB and Display P3
GREY = (128, 128, 128)
PROFILES = {
    "adobe-rgb": samples.icc_profile(),
    "display-p3": samples.icc_profile(
        samples.DISPLAY_P3, gamma=2.2, description="Display P3 compatible (test)"
    ),
}


def _halves(mode: str = "RGB", size=(600, 400)) -> PILImage.Image:
    """Saturated green on the left half, mid grey on the right."""
    picture = PILImage.new("RGB", size, GREY)
    picture.paste(SATURATED, (0, 0, size[0] // 2, size[1]))
    return picture.convert(mode)


def _encode(picture: PILImage.Image, fmt: str, icc: bytes | None) -> bytes:
    out = io.BytesIO()
    kwargs = {"icc_profile": icc} if icc is not None else {}
    if fmt == "JPEG":
        kwargs["quality"] = 95
    picture.save(out, fmt, **kwargs)
    return out.getvalue()


def _open(name: str) -> PILImage.Image:
    with default_storage.open(name) as fh:
        picture = PILImage.open(io.BytesIO(fh.read()))
        picture.load()
    return picture


def _samples(picture: PILImage.Image) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The colours at a quarter and three quarters of the width, mid height:
    inside each half in every rendition (crops are centred, full width or
    a centred box)."""
    rgb = picture.convert("RGB")
    y = rgb.height // 2
    return rgb.getpixel((rgb.width // 4, y)), rgb.getpixel((rgb.width * 3 // 4, y))


def _assert_srgb(picture: PILImage.Image, where: str) -> None:
    green, grey = _samples(picture)
    # Any correct conversion: the red of the wide-gamut green falls from 64
    # towards 0 (about 0 from both spaces) and its blue falls; its green
    # stays about 200; the grey stays a neutral mid grey.
    assert green[0] <= 30, (where, green)
    assert green[2] <= 52, (where, green)
    assert 185 <= green[1] <= 220, (where, green)
    assert all(abs(c - 128) <= 5 for c in grey), (where, grey)
    assert max(grey) - min(grey) <= 4, (where, grey)
    icc = picture.info.get("icc_profile")
    assert not icc, (where, "a profile is embedded")


def _every_rendition(image) -> list[tuple[str, PILImage.Image]]:
    made = []
    for spec in renditions.SPECS.values():
        for ext in renditions.EXTENSIONS:
            made.append(
                (f"{spec.name}.{ext}", _open(renditions.ensure(image, spec, ext)))
            )
    return made


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize(
    ("fmt", "name"), [("JPEG", "p.jpg"), ("PNG", "p.png"), ("WEBP", "p.webp")]
)
def test_a_wide_gamut_photo_is_stored_and_served_in_srgb(profile, fmt, name):
    """A camera's Adobe RGB photo or a phone's Display P3 one is stored with
    its pixels converted to sRGB and no profile, and so is every rendition:
    read as sRGB without its profile, its greens showed washed out."""
    raw = _encode(_halves(), fmt, PROFILES[profile])
    image, created = add_image(raw, name, alt="A leaf")
    assert created
    _assert_srgb(_open(image.file.name), "original")
    for where, picture in _every_rendition(image):
        _assert_srgb(picture, where)


def test_renditions_of_an_original_stored_with_its_profile_are_in_srgb():
    """An original stored by an earlier version with its profile still in it
    (a PNG's was kept) makes renditions in sRGB."""
    raw = _encode(_halves(), "PNG", PROFILES["adobe-rgb"])
    clean = CleanImage(raw, "png", 600, 400, content_hash(raw), "PNG")
    image = prepare(clean, alt="A leaf")
    image.save()
    assert _open(image.file.name).info["icc_profile"] == PROFILES["adobe-rgb"]
    for where, picture in _every_rendition(image):
        _assert_srgb(picture, where)


def test_an_srgb_or_untagged_picture_keeps_its_pixels():
    """A picture with no profile, or with an sRGB one, keeps its pixel values:
    it is already what the site serves."""
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    for icc in (None, srgb):
        stored = PILImage.open(
            io.BytesIO(clean_upload(_encode(_halves(), "PNG", icc), "p.png").data)
        )
        assert _samples(stored) == (SATURATED, GREY)
        assert not stored.info.get("icc_profile")


def test_a_grey_photo_with_a_grey_profile_stays_grey():
    """A greyscale picture with a greyscale profile is converted to sRGB's
    tones and stays a one-channel picture."""
    ramp = PILImage.linear_gradient("L").resize((256, 16))
    raw = _encode(ramp, "PNG", samples.icc_profile(grey=True, gamma=1.8))
    stored = PILImage.open(io.BytesIO(clean_upload(raw, "scan.png").data))
    assert stored.mode == "L"
    assert not stored.info.get("icc_profile")
    # gamma 1.8 read as sRGB (about 2.2) was too dark: mid tones lighten
    assert stored.getpixel((128, 8)) >= ramp.getpixel((128, 8)) + 8


def _hostile_profiles() -> dict[str, bytes]:
    valid = PROFILES["adobe-rgb"]
    huge = bytearray(valid + b"\0" * (5 * 1024 * 1024))
    huge[:4] = len(huge).to_bytes(4, "big")
    lab = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    return {
        "garbage": b"\x8f\x00 not a profile at all " * 40,
        "truncated": valid[:200],
        "bad-tag-offsets": valid[:132] + b"\xff" * (len(valid) - 132),
        "grey-on-rgb": samples.icc_profile(grey=True),
        "cmyk-on-rgb": valid[:16] + b"CMYK" + valid[20:],  # says it is CMYK
        "lab-on-rgb": lab,
        "huge": bytes(huge),
    }


HOSTILE = _hostile_profiles()


@pytest.mark.parametrize("profile", HOSTILE)
@pytest.mark.parametrize(("fmt", "name"), [("JPEG", "h.jpg"), ("PNG", "h.png")])
def test_a_broken_or_hostile_profile_is_never_a_500(
    client, settings, profile, fmt, name
):
    """Garbage in the ICC chunk, a truncated profile, one for the wrong colour
    space (greyscale, CMYK or Lab on an RGB picture) or a huge one: the upload is
    accepted with its pixels as they are and no profile, and every rendition
    is served."""
    settings.NEWSROOM_MEDIA_MAX_BYTES = 12 * 1024 * 1024
    raw = _encode(_halves(), fmt, HOSTILE[profile])
    if (fmt, profile) == ("PNG", "huge"):
        # Pillow itself refuses a PNG whose profile inflates past 1 MB (a
        # zlib bomb guard): the upload is refused as damaged, as before.
        with pytest.raises(ValidationError, match="damaged"):
            add_image(raw, name, alt="Hostile")
        return
    assert PILImage.open(io.BytesIO(raw)).info.get("icc_profile")
    image, created = add_image(raw, name, alt="Hostile")
    assert created
    stored = _open(image.file.name)
    assert not stored.info.get("icc_profile")
    green, grey = _samples(stored)
    assert all(abs(a - b) <= 4 for a, b in zip(green, SATURATED, strict=True))
    for spec in ("640w", "160x160", "1200x630"):
        for ext in renditions.EXTENSIONS:
            response = client.get(renditions.url(image, spec, ext))
            assert response.status_code == 200, (spec, ext)
            assert b"".join(response.streaming_content)


@pytest.mark.parametrize("profile", ["garbage", "grey-on-rgb", "lab-on-rgb"])
def test_a_stored_original_with_a_hostile_profile_still_renders(client, profile):
    """An original stored by an earlier version with a broken profile in it
    is rendered with its pixels as they are, never a 500."""
    raw = _encode(_halves(), "PNG", HOSTILE[profile])
    clean = CleanImage(raw, "png", 600, 400, content_hash(raw), "PNG")
    image = prepare(clean, alt="Hostile")
    image.save()
    response = client.get(renditions.url(image, "640w", "jpg"))
    assert response.status_code == 200
    made = PILImage.open(io.BytesIO(b"".join(response.streaming_content)))
    green, _ = _samples(made)
    assert all(abs(a - b) <= 6 for a, b in zip(green, SATURATED, strict=True))


def test_a_cmyk_jpeg_is_stored_and_served_as_rgb(client):
    """A CMYK JPEG (a print workflow's export) is stored as an RGB JPEG and
    its renditions are served; one carrying an RGB profile (the wrong colour
    space) is read as it was, without it."""
    cmyk = _halves().convert("CMYK")
    for icc in (None, PROFILES["adobe-rgb"]):
        image, _ = add_image(_encode(cmyk, "JPEG", icc), "print.jpg", alt="Print")
        stored = _open(image.file.name)
        assert stored.mode == "RGB"
        assert not stored.info.get("icc_profile")
        green, grey = _samples(stored)
        assert all(abs(a - b) <= 6 for a, b in zip(green, SATURATED, strict=True))
        response = client.get(renditions.url(image, "640w", "webp"))
        assert response.status_code == 200
        assert b"".join(response.streaming_content)
