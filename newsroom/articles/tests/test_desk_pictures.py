"""A picture that leads a published story is part of that story: a reporter
cannot rewrite its caption, alt text or crop; an editor can."""

from __future__ import annotations

import pytest

from newsroom.articles.tests import factories as f
from newsroom.media import samples
from newsroom.media.library import add_image
from newsroom.media.models import Image

from .desk_helpers import account, form_data, logged_in

pytestmark = pytest.mark.django_db


def _change(image: Image) -> str:
    return f"/admin/media/image/{image.pk}/change/"


def _rewrite(client, image: Image) -> None:
    page = client.get(_change(image)).content.decode()
    client.post(
        _change(image),
        form_data(page, caption="Rewritten caption", alt="Rewritten alt"),
    )


def test_a_reporter_cannot_rewrite_the_picture_leading_a_published_story(client):
    leading, _ = add_image(samples.photo(800, 500, seed=1), "a.jpg", alt="A harbour")
    spare, _ = add_image(samples.photo(800, 500, seed=2), "b.jpg", alt="A field")
    story = f.article("A published story")
    story.lead_image = leading
    story.save()

    rita = logged_in(account("rita", "reporter"))
    _rewrite(rita, leading)
    leading.refresh_from_db()
    assert (leading.caption, leading.alt) == ("", "A harbour")
    assert "Rewritten" not in client.get(story.get_absolute_url()).content.decode()

    _rewrite(rita, spare)  # a picture no published story shows: still theirs to fix
    spare.refresh_from_db()
    assert spare.caption == "Rewritten caption"

    _rewrite(logged_in(account("eddie", "editor")), leading)
    leading.refresh_from_db()
    assert leading.caption == "Rewritten caption"
