"""The soft lock records only people who may edit the story, and only stories
that exist."""

from __future__ import annotations

import pytest

from newsroom.articles.desk import EditSession
from newsroom.articles.tests import factories as f

from .desk_helpers import account, logged_in
from .test_desk import change_url

pytestmark = pytest.mark.django_db


def test_an_address_for_a_story_that_does_not_exist_is_not_a_500():
    ed = logged_in(account("eddie", "editor"))
    response = ed.get("/admin/articles/article/987654/change/")
    assert response.status_code == 302  # the admin's "doesn't exist" message
    assert not EditSession.objects.exists()


def test_someone_refused_the_story_is_not_shown_as_having_it_open():
    story = f.article("Someone else's story", status="draft")
    for name, role in (("sam", "reporter"), ("mo", "moderator")):
        assert logged_in(account(name, role)).get(change_url(story)).status_code in (
            302,
            403,
        )
    assert not EditSession.objects.exists()
    page = logged_in(account("eddie", "editor")).get(change_url(story))
    assert "also has this story open" not in page.content.decode()
