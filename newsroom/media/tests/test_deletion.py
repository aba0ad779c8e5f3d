"""A picture deleted from the library: nothing of it is left to serve."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from newsroom.media import renditions, samples
from newsroom.media.library import add_image
from newsroom.media.models import Image
from newsroom.media.renditions import SPECS

pytestmark = pytest.mark.django_db


def _stored(image: Image) -> list[str]:
    _, files = default_storage.listdir(f"r/{image.key}")
    return [f"r/{image.key}/{name}" for name in files]


def test_a_deleted_picture_leaves_no_file_to_serve(
    admin_client, client, django_capture_on_commit_callbacks
):
    """A picture deleted in the admin (an upload by mistake, a takedown) takes
    its original and every rendition with it: nginx serves any rendition on
    disk without asking the app, so a file left behind stayed public at its
    old address for ever, and the original stayed on disk."""
    image, _ = add_image(samples.photo(800, 500, seed=41), "a.jpg", alt="Gone")
    other, _ = add_image(samples.photo(800, 500, seed=42), "b.jpg", alt="Kept")
    for picture in (image, other):
        for spec, ext in [("640w", "webp"), ("320x180", "jpg")]:
            url = renditions.url(picture, spec, ext)
            assert client.get(url).status_code == 200
    urls = ["/media/" + name for name in _stored(image)]
    assert len(urls) == 2
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/admin/media/image/{image.pk}/delete/", {"post": "yes"}
        )
    assert response.status_code == 302
    assert not Image.objects.filter(pk=image.pk).exists()
    assert not default_storage.exists(image.file.name)
    assert _stored(image) == []
    for url in urls:
        assert client.get(url).status_code == 404
    assert default_storage.exists(other.file.name)  # the others are untouched
    assert len(_stored(other)) == 2


def test_a_rendition_asked_for_as_its_picture_is_deleted_is_404_and_not_kept(
    client,
):
    """A reader's request that found the picture just before its deletion
    committed, and renders after: the answer is a 404 and the file it made is
    not left behind (it would be served for ever); with the original already
    removed, a 404 too, not a 500."""
    image, _ = add_image(samples.photo(800, 500, seed=43), "a.jpg", alt="Going")
    stale = Image.objects.get(pk=image.pk)
    Image.objects.filter(pk=image.pk).delete()  # committed; files not yet removed
    with pytest.raises(Image.DoesNotExist):
        renditions.ensure(stale, SPECS["640w"], "jpg")
    assert not default_storage.exists(
        renditions.storage_name(stale, SPECS["640w"], "jpg")
    )

    again, _ = add_image(samples.photo(800, 500, seed=44), "b.jpg", alt="Lost")
    default_storage.delete(again.file.name)  # removed by a deletion meanwhile
    client.raise_request_exception = False
    assert client.get(renditions.url(again, "640w")).status_code == 404


def test_a_rendition_removed_between_its_making_and_its_reading_is_404(
    client, monkeypatch
):
    """The deletion's removal of the files can land after the view made (or
    found) the rendition and before it opened it to answer: the answer is a
    404, not a 500 (FileNotFoundError from opening it)."""
    from newsroom.media import views

    image, _ = add_image(samples.photo(800, 500, seed=45), "a.jpg", alt="Going")
    real = views.ensure

    def then_deleted(picture, spec, ext):
        stored = real(picture, spec, ext)
        default_storage.delete(stored)  # what the committed deletion does
        return stored

    monkeypatch.setattr(views, "ensure", then_deleted)
    client.raise_request_exception = False
    response = client.get(renditions.url(image, "640w"))
    assert response.status_code == 404
