"""Paging through comment threads in a real Chromium with scripts off."""

from __future__ import annotations

import pytest

from newsroom.articles.tests import factories as f
from newsroom.comments.models import Comment

from .test_threads import build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def no_script_page(browser):
    context = browser.new_context(java_script_enabled=False)
    tab = context.new_page()
    tab.set_default_timeout(15000)
    yield tab
    context.close()


def shown(page) -> list[int]:
    return [
        int(el.get_attribute("id").removeprefix("comment-"))
        for el in page.query_selector_all("li.comment")
    ]


def follow(page, name: str) -> None:
    """Click the link and wait for the page it opens."""
    with page.expect_navigation():
        page.get_by_role("link", name=name).click()


def test_older_newer_and_more_replies_work_without_scripts(
    no_script_page, live_server, settings
):
    """With JavaScript off a reader pages forward to the last of 120 threads
    and back, and opens a long thread's other replies, by following links."""
    settings.NEWSROOM_COMMENTS_LIMITS = {
        **settings.NEWSROOM_COMMENTS_LIMITS,
        "REPLIES_PER_THREAD": 1,
    }
    page = no_script_page
    a = f.article()
    by_root = build(a)
    roots = list(by_root)
    page.goto(live_server.url + a.get_absolute_url())
    assert page.get_by_text("Total Comments (").inner_text().startswith("Total")
    assert shown(page)[0] == roots[0]
    follow(page, "Newer comments")
    assert "comments_from=" in page.url and shown(page)[0] == roots[50]
    follow(page, "Newer comments")
    assert shown(page)[0] == roots[100]
    assert page.get_by_role("link", name="Newer comments").count() == 0
    follow(page, "Older comments")
    assert shown(page)[0] == roots[50]
    long_root = roots[
        50 + next(i for i in range(50) if len(by_root[roots[50 + i]]) > 2)
    ]
    hidden = len(by_root[long_root]) - 2
    word = "reply" if hidden == 1 else "replies"
    name = Comment.objects.get(pk=long_root).name
    follow(page, f"{hidden} more {word} to {name}")
    assert "comments_thread=" in page.url
    assert shown(page) == by_root[long_root][:1] + by_root[long_root][2:]
    follow(page, "Back to all comments")
    assert long_root in shown(page)
