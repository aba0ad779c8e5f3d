"""A Save of a story that exists says which version it was opened on
(``based_on``): one that does not (a tab opened before the marker existed,
a script, a crafted POST) is refused with the form's error and its text
kept, for every role. It wrote over whatever was saved meanwhile."""

from __future__ import annotations

import pytest

from newsroom.articles.models import Article
from newsroom.articles.tests import factories as f

from .desk_helpers import account, form_data, logged_in
from .test_desk import ADD, change_url, new_story

pytestmark = pytest.mark.django_db

NO_VERSION = "did not say which version of the story it was opened on"


def _story_for(role: str):
    """A story the account may edit, and its signed-in client."""
    client = logged_in(account("someone", role))
    if role == "reporter":
        story, _ = new_story(client)
    else:
        story = f.article("A story on the desk", body="Line one.\n\nLine two.")
    return story, client


@pytest.mark.parametrize("role", ["reporter", "editor", "administrator"])
@pytest.mark.parametrize("marker", [None, ""], ids=["missing", "empty"])
def test_a_save_without_the_version_it_was_opened_on_is_refused(role, marker):
    story, client = _story_for(role)
    data = form_data(
        client.get(change_url(story)).content.decode(),
        body="An old tab's text.",
        based_on=marker,
    )
    # Someone saves the story after this page was opened.
    story.body = "A newer paragraph."
    story.save()
    response = client.post(change_url(story), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert NO_VERSION in html
    assert "An old tab&#x27;s text." in html  # the text kept, to copy
    story.refresh_from_db()
    assert story.body == "A newer paragraph."


@pytest.mark.parametrize("role", ["reporter", "editor"])
def test_a_save_with_its_version_still_saves(role):
    story, client = _story_for(role)
    data = form_data(client.get(change_url(story)).content.decode(), body="Fixed.")
    assert data["based_on"]
    assert client.post(change_url(story), data).status_code == 302
    story.refresh_from_db()
    assert story.body == "Fixed."


@pytest.mark.parametrize("role", ["reporter", "editor"])
def test_a_new_story_needs_no_version(role):
    client = logged_in(account("someone", role))
    data = form_data(
        client.get(ADD).content.decode(),
        headline="A new story",
        slug="a-new-story",
        body="Its first paragraph.",
        section=str(f.section("World").pk),
        based_on=None,
    )
    assert client.post(ADD, data).status_code == 302
    assert Article.objects.get(slug="a-new-story").body == "Its first paragraph."


def test_a_revert_without_the_version_it_was_opened_on_is_refused():
    story = f.article("A story with a past", body="The first version.")
    first = story.history.latest().history_id
    ed = logged_in(account("eddie", "editor"))
    data = form_data(ed.get(change_url(story)).content.decode(), body="Second.")
    assert ed.post(change_url(story), data).status_code == 302
    revert = f"/admin/articles/article/{story.pk}/history/{first}/"
    response = ed.post(
        revert, form_data(ed.get(revert).content.decode(), based_on=None)
    )
    assert response.status_code == 200
    assert NO_VERSION in response.content.decode()
    story.refresh_from_db()
    assert story.body == "Second."


def test_the_desks_actions_need_no_version():
    """The list's actions act on each story as it is once locked (no page
    of the story was read): they go on as before."""
    story = f.article("A draft to publish", status="draft")
    ed = logged_in(account("eddie", "editor"))
    response = ed.post(
        "/admin/articles/article/",
        {"action": "publish", "_selected_action": [story.pk], "index": 0},
    )
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.is_public
