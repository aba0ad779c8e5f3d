"""In Chromium: text in another script reads in its own direction.

The site is written in English (``<html lang="en">``), but a headline, a
standfirst or a comment may be Arabic or Hebrew. Each such block takes its
direction from its own text (``dir="auto"``), so its punctuation and numbers
are placed where a reader of that script expects them.
"""

from __future__ import annotations

import pytest

from newsroom.articles.models import Article
from newsroom.articles.tests import factories as f
from newsroom.comments.models import Comment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARABIC = "هل يخفض المصرف المركزي أسعار الفائدة هذا العام؟"
ARABIC_STANDFIRST = "قال مسؤول إن التضخم ينخفض بسرعة كافية."
HEBREW_NAME = "דנה לוי"
HEBREW_BODY = "האם זה נכון? אני לא בטוחה."

DIRECTION = """(selector) => [...document.querySelectorAll(selector)]
    .map(el => getComputedStyle(el).direction)"""


def test_right_to_left_headlines_and_comments_take_their_own_direction(
    page, live_server
):
    """An Arabic headline and standfirst, on the article page and in the
    section's cards, and a Hebrew commenter's name and comment, are laid out
    right to left (their question mark ends the sentence on the left); the
    English headline beside them stays left to right."""
    story = f.article(
        ARABIC,
        standfirst=ARABIC_STANDFIRST,
        section_name="Business",
        comment_moderation=Article.Moderation.NONE,
    )
    f.article("Coffee prices rise again", section_name="Business")
    Comment.objects.create(
        article=story,
        name=HEBREW_NAME,
        body=HEBREW_BODY,
        status=Comment.Status.APPROVED,
    )
    Article.objects.filter(pk=story.pk).update(comment_count=1)

    page.goto(live_server.url + story.get_absolute_url())
    assert page.evaluate(DIRECTION, ".story__headline") == ["rtl"]
    assert page.evaluate(DIRECTION, ".story__standfirst") == ["rtl"]
    assert page.evaluate(DIRECTION, ".comment__name") == ["rtl"]
    assert page.evaluate(DIRECTION, ".comment__body") == ["rtl"]

    page.goto(live_server.url + "/section/business/")
    heads = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('.card__headline')]
            .map(h => [h.textContent.trim(), getComputedStyle(h).direction]))"""
    )
    assert heads[ARABIC] == "rtl", heads
    assert heads["Coffee prices rise again"] == "ltr", heads


EDGES = """(selector) => { const s = getComputedStyle(document.querySelector(selector));
    return [s.borderTopStyle, parseFloat(s.borderTopWidth),
            s.borderBottomStyle, parseFloat(s.borderBottomWidth)]; }"""


def test_buttons_keep_an_edge_in_forced_colours(browser, live_server):
    """In forced colours (Windows High Contrast) backgrounds are replaced, so
    a button drawn by its dark background alone reads as plain text: the
    header's Search and the comment form's Post comment keep a visible
    border there."""
    story = f.article("Harbour reopens", section_name="World")
    context = browser.new_context(forced_colors="active")
    try:
        tab = context.new_page()
        tab.set_default_timeout(15000)
        tab.goto(live_server.url + story.get_absolute_url())
        for selector in (".search-box__button", ".comment-form__submit"):
            top, top_width, bottom, bottom_width = tab.evaluate(EDGES, selector)
            assert top != "none" and top_width >= 1, (selector, top, top_width)
            assert bottom != "none" and bottom_width >= 1, (selector, bottom)
    finally:
        context.close()


def test_the_narrow_sections_button_is_named_sections(browser, live_server):
    """At a phone's width the section links fold into a "Sections" button
    (a <summary>); its icon is drawn by CSS and must not be read: a screen
    reader said "trigram for heaven Sections". The name is "Sections", and
    Enter opens the list."""
    f.article("Harbour reopens", section_name="World")
    context = browser.new_context(viewport={"width": 390, "height": 800})
    try:
        tab = context.new_page()
        tab.set_default_timeout(15000)
        tab.goto(live_server.url + "/")
        nav = tab.get_by_role("navigation", name="Sections")
        snapshot = nav.aria_snapshot()
        assert "\u2630" not in snapshot, snapshot
        toggle = tab.locator("summary.sections-nav__toggle")
        assert toggle.is_visible()
        toggle.focus()
        tab.keyboard.press("Enter")
        nav.get_by_role("link", name="World").wait_for()
    finally:
        context.close()
