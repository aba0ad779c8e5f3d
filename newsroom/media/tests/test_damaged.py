"""An original damaged on disk: its renditions are a 404 and a logged error,
never a 500 on every request.

The upload decodes every file in full (``checks.clean_upload``), so only the
disk, a bad restore or a hand-copied file can leave a stored original that
no longer decodes."""

from __future__ import annotations

import logging

import pytest
from django.core.files.storage import default_storage

from newsroom.articles.tests import factories as f
from newsroom.media import renditions, samples
from newsroom.media.library import add_image

pytestmark = pytest.mark.django_db


def _cut_in_half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _qoi(data: bytes) -> bytes:
    """A file Pillow opens as QOI, whose decoder then fails with IndexError."""
    return b"qoif" + (64).to_bytes(4, "big") * 2 + bytes([3, 0]) + b"\0" * 10


def _dds(data: bytes) -> bytes:
    """A file Pillow opens as DDS, then NotImplementedError (pixel format)."""
    head = [124, 0x1007, 4, 4, 0, 0, 0]
    return (
        b"DDS "
        + b"".join(v.to_bytes(4, "little") for v in head)
        + b"\0" * 44
        + (32).to_bytes(4, "little")
        + (4).to_bytes(4, "little")
        + b"XYZW"
        + b"\0" * 40
    )


@pytest.mark.parametrize(
    ("damage", "seed"),
    [
        (_cut_in_half, 51),  # a restore cut short
        (lambda data: data[:40], 52),  # hardly more than the header
        (lambda data: b"", 53),  # an empty file
        (lambda data: b"\0" * len(data), 54),  # zeroed blocks
        # Copied in by hand: formats the library never stores, whose
        # decoders fail with errors other than Pillow's usual ones.
        (_qoi, 56),
        (_dds, 57),
    ],
    ids=["half", "header", "empty", "zeroed", "qoi", "dds"],
)
def test_a_damaged_original_is_a_404_and_an_error_in_the_log(
    client, caplog, damage, seed
):
    image, _ = add_image(samples.photo(900, 600, seed=seed), "p.jpg", alt="Hurt")
    with default_storage.open(image.file.name, "rb") as fh:
        data = fh.read()
    with open(default_storage.path(image.file.name), "wb") as fh:
        fh.write(damage(data))
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="newsroom.media"):
        for spec, ext in [("640w", "jpg"), ("320x180", "webp")]:
            url = renditions.url(image, spec, ext)
            response = client.get(url)
            assert response.status_code == 404, url
            assert response["Cache-Control"] == "no-store"
            name = renditions.storage_name(image, renditions.SPECS[spec], ext)
            assert not default_storage.exists(name)  # nothing half made kept
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert errors, "the operator is told"
    assert all(image.key in r.getMessage() for r in errors)
    assert all(image.file.name in r.getMessage() for r in errors)


def test_the_story_page_of_a_damaged_picture_still_renders(client):
    """Only the picture is lost: the story it leads, which links its
    renditions and sizes them from the stored row, is served as before."""
    image, _ = add_image(samples.photo(900, 600, seed=55), "p.jpg", alt="Hurt")
    with open(default_storage.path(image.file.name), "wb") as fh:
        fh.write(b"")
    story = f.article(lead_image=image)
    client.raise_request_exception = False
    page = client.get(story.get_absolute_url())
    assert page.status_code == 200
    assert renditions.url(image, "640w", "webp") in page.content.decode()
    assert client.get(renditions.url(image, "640w", "webp")).status_code == 404
