"""Restoring an earlier revision (the History button) as a browser does it:
the revert form is based on the story as it is now, not on the old version."""

from __future__ import annotations

import pytest

from newsroom.articles.tests import factories as f

from .desk_helpers import account, form_data, logged_in
from .test_desk import change_url

pytestmark = pytest.mark.django_db


def test_an_editor_restores_an_earlier_revision_from_the_history_page():
    story = f.article("A story with a first version", status="draft")
    story.body = "The first version."
    story.save()
    first = story.history.latest().history_id
    ed = logged_in(account("eddie", "editor"))
    data = form_data(
        ed.get(change_url(story)).content.decode(), body="A worse second version."
    )
    assert ed.post(change_url(story), data).status_code == 302

    history = ed.get(f"/admin/articles/article/{story.pk}/history/").content.decode()
    revert = f"/admin/articles/article/{story.pk}/history/{first}/"
    assert revert in history
    response = ed.post(revert, form_data(ed.get(revert).content.decode()))
    page = response.content.decode()
    assert "Someone saved this story after you opened it" not in page
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.body == "The first version."
