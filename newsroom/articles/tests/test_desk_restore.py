"""Restoring an earlier revision (the History button) as a browser does it:
the revert form is based on the story as it is now, not on the old version."""

from __future__ import annotations

import pytest

from newsroom.articles.tests import factories as f

from .desk_helpers import account, form_data, logged_in
from .test_desk import change_url

pytestmark = pytest.mark.django_db


def test_an_editor_restores_an_earlier_revision_from_the_history_page():
    _restore_an_earlier_revision()


@pytest.mark.django_db(transaction=True)
def test_a_restore_as_a_server_runs_it_is_not_a_500():
    """Each request in its own transaction, as on a server, not inside the
    test's: django-simple-history's revert view runs without one, and the
    version check's SELECT ... FOR UPDATE raised TransactionManagementError
    on PostgreSQL. Every restore was a 500 (seen on a granian server); the
    test above ran inside pytest's transaction and could not see it."""
    _restore_an_earlier_revision()


def _restore_an_earlier_revision() -> None:
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
