"""Who sets a story's publication time: a reporter's draft goes out when an
editor publishes it, never at a time the reporter typed (slipped into the
archive, below the front page and out of the news sitemap)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from newsroom.articles.models import Article
from newsroom.articles.tests import factories as f

from .desk_helpers import account, form_data, logged_in
from .test_desk import change_url, new_story

pytestmark = pytest.mark.django_db(transaction=True)

LIST = "/admin/articles/article/"


def _when(moment) -> dict:
    local = timezone.localtime(moment)
    return {
        "published_at_0": local.strftime("%Y-%m-%d"),
        "published_at_1": local.strftime("%H:%M:%S"),
    }


def _publish(editor, story: Article, how: str) -> None:
    if how == "form":
        html = editor.get(change_url(story)).content.decode()
        response = editor.post(change_url(story), form_data(html, status="published"))
    else:
        response = editor.post(
            LIST, {"action": "publish", "_selected_action": [story.pk], "index": 0}
        )
    assert response.status_code == 302


@pytest.mark.parametrize("how", ["form", "action"])
def test_a_draft_a_reporter_backdated_goes_out_now_when_an_editor_publishes(how):
    """A reporter types last month into her draft's publication time and
    submits it; the editor publishes it (the form's Published, or the
    "Publish selected stories now" action) without touching the time. It
    goes out now, at the top of the front page: it went out dated last
    month, straight into the archive."""
    rita = logged_in(account("rita", "reporter"))
    story, _ = new_story(rita, **_when(timezone.now() - timedelta(days=30)))
    html = rita.get(change_url(story)).content.decode()
    data = form_data(
        html, status="review", **_when(timezone.now() - timedelta(days=30))
    )
    assert rita.post(change_url(story), data).status_code == 302
    editor = logged_in(account("eddie", "editor"))
    before = timezone.now()
    _publish(editor, story, how)
    story.refresh_from_db()
    assert story.is_public
    assert story.published_at >= before - timedelta(seconds=1)


@pytest.mark.parametrize(
    "date, time",
    [
        ("2001-09-11", "08:46:00"),
        ("9999-12-31", "23:59:59"),
        ("yesterday", "noon"),
        ("2024-02-30", "25:61:00"),
        ("2024-01-01\x00", "00:00:00"),
        ("9" * 400, "1" * 400),
    ],
    ids=["past", "far-future", "words", "impossible", "nul", "huge"],
)
def test_a_reporter_posting_a_publication_time_sets_nothing(date, time):
    """A reporter's crafted POST to her own draft's form (and the add form)
    naming a publication time, past, far future or garbage: no 500, the
    story saved with no publication time (the field is not hers to set)."""
    rita = logged_in(account("rita", "reporter"))
    story, _ = new_story(rita)
    forged = {"published_at_0": date, "published_at_1": time}
    html = rita.get(change_url(story)).content.decode()
    data = form_data(html, body="A changed paragraph.", **forged)
    response = rita.post(change_url(story), data)
    assert response.status_code == 302
    story.refresh_from_db()
    assert (story.body, story.published_at) == ("A changed paragraph.", None)
    added, response = new_story(rita, headline="Another draft", **forged)
    assert response.status_code == 302
    assert added.published_at is None


def test_a_reporters_form_shows_the_time_but_offers_no_field_for_it():
    rita = logged_in(account("rita", "reporter"))
    story, _ = new_story(rita)
    html = rita.get(change_url(story)).content.decode()
    assert 'name="published_at_0"' not in html
    editor = logged_in(account("eddie", "editor"))
    assert 'name="published_at_0"' in editor.get(change_url(story)).content.decode()


def test_an_editor_may_still_backdate_and_a_public_story_keeps_its_time():
    """A late entry: the editor publishes a reporter's draft with a time she
    types herself (yesterday), and it keeps it; a story already public keeps
    its time when it is edited again."""
    rita = logged_in(account("rita", "reporter"))
    story, _ = new_story(rita)
    editor = logged_in(account("eddie", "editor"))
    yesterday = (timezone.now() - timedelta(days=1)).replace(microsecond=0)
    html = editor.get(change_url(story)).content.decode()
    data = form_data(html, status="published", **_when(yesterday))
    assert editor.post(change_url(story), data).status_code == 302
    story.refresh_from_db()
    assert story.published_at == yesterday
    old = f.article("Last week's story", published_at=timezone.now() - timedelta(7))
    kept = old.published_at.replace(microsecond=0)
    html = editor.get(change_url(old)).content.decode()
    data = form_data(html, body="A correction in the text.")
    assert editor.post(change_url(old), data).status_code == 302
    old.refresh_from_db()
    assert old.published_at.replace(microsecond=0) == kept
