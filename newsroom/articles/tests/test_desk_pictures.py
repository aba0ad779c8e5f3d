"""A picture that leads a published story is part of that story: a reporter
cannot rewrite its caption, alt text or crop; an editor can."""

from __future__ import annotations

import pytest

from newsroom.articles.tests import factories as f
from newsroom.media import samples
from newsroom.media.library import add_image
from newsroom.media.models import Image

from .desk_helpers import account, during, form_data, logged_in

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


def test_a_picture_leading_a_published_story_is_not_deleted_from_under_it(client):
    """Deleting a picture the live story leads with took it off the story in
    silence (the lead picture is set to nothing); the confirmation page
    listed nothing. Now the picture is protected while a published or
    scheduled story leads with it, the page names the story, and a picture
    that only a draft uses can still go (the draft loses it)."""
    leading, _ = add_image(samples.photo(800, 500, seed=3), "a.jpg", alt="A harbour")
    drafted, _ = add_image(samples.photo(800, 500, seed=4), "b.jpg", alt="A field")
    story = f.article("Harbour reopens after the storm")
    story.lead_image = leading
    story.save()
    draft = f.article("A draft", status="draft")
    draft.lead_image = drafted
    draft.save()
    eddie = logged_in(account("eddie", "editor"))

    delete = f"/admin/media/image/{leading.pk}/delete/"
    page = eddie.get(delete).content.decode()
    assert "Harbour reopens after the storm" in page
    eddie.post(delete, {"post": "yes"})
    assert Image.objects.filter(pk=leading.pk).exists()
    story.refresh_from_db()
    assert story.lead_image_id == leading.pk

    bulk = eddie.post(
        "/admin/media/image/",
        {
            "action": "delete_selected",
            "_selected_action": [leading.pk, drafted.pk],
            "post": "yes",
        },
    )
    assert bulk.status_code in (200, 302)
    assert Image.objects.filter(pk=leading.pk).exists()

    eddie.post(f"/admin/media/image/{drafted.pk}/delete/", {"post": "yes"})
    assert not Image.objects.filter(pk=drafted.pk).exists()
    draft.refresh_from_db()
    assert draft.lead_image_id is None


@pytest.mark.django_db(transaction=True)
def test_a_lead_picture_deleted_while_an_editor_saves_it_is_never_a_500(monkeypatch):
    """An editor saves a story with a lead picture while an administrator
    deletes that picture from the library, after the form found it and
    before the save committed (seen on a granian server: 2 saves in 6 were a
    500, the foreign key broken at COMMIT, the editor's text lost). The
    deletion waits for the save, then clears the story's lead picture, as
    deleting a picture does; both answer as usual."""

    from django.db import connections

    from newsroom.articles.admin import ArticleAdmin
    from newsroom.articles.models import Article

    if connections["default"].vendor != "postgresql":
        pytest.skip("SQLite's IMMEDIATE transactions serialise the two writers")
    picture, _ = add_image(samples.photo(800, 500, seed=3), "c.jpg", alt="A quay")
    story = f.article("A story about to get its picture")
    editor = logged_in(account("eddie", "editor"))
    admin_user = logged_in(account("ada", "administrator"))
    change = f"/admin/articles/article/{story.pk}/change/"
    data = form_data(editor.get(change).content.decode(), lead_image=str(picture.pk))
    url = f"/admin/media/image/{picture.pk}/delete/"
    deleter, codes = during(
        monkeypatch,
        ArticleAdmin,
        "save_model",
        lambda: admin_user.post(url, {"post": "yes"}).status_code,
    )
    response = editor.post(change, data)
    deleter.join(timeout=30)
    assert response.status_code == 302
    assert codes == {"delete": 302}
    assert not Image.objects.filter(pk=picture.pk).exists()
    assert Article.objects.get(pk=story.pk).lead_image_id is None
