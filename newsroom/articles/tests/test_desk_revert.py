"""The History button's revert form is a door to the story too: it obeys the
same rule as the change form (a reporter changes only their own drafts)."""

from __future__ import annotations

import pytest

from newsroom.articles.models import Article

from .desk_helpers import account, form_data, logged_in
from .test_desk import change_url, new_story

pytestmark = pytest.mark.django_db


def test_a_reporter_cannot_rewrite_or_unpublish_a_published_story_by_reverting():
    rita = logged_in(account("rita", "reporter"))
    story, _ = new_story(rita)
    first = story.history.earliest().history_id
    ed = logged_in(account("eddie", "editor"))
    data = form_data(ed.get(change_url(story)).content.decode(), status="published")
    assert ed.post(change_url(story), data).status_code == 302
    story.refresh_from_db()
    assert story.is_public

    # The reporter may read the history, but a POST to an old version's
    # revert form must not change the story the desk published.
    revert = f"/admin/articles/article/{story.pk}/history/{first}/"
    assert rita.get(f"/admin/articles/article/{story.pk}/history/").status_code == 200
    data = form_data(
        rita.get(revert).content.decode(),
        body="Rewritten by the reporter after publication.",
        status="draft",
        based_on="",
    )
    response = rita.post(revert, data)
    assert response.status_code == 403
    story.refresh_from_db()
    assert story.status == Article.Status.PUBLISHED
    assert story.body == "Line one.\n\nLine two."
    assert Article.objects.published().filter(pk=story.pk).exists()
