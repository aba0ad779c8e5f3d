"""In Chromium: the search pages for readers who zoom or use the keyboard."""

from __future__ import annotations

import pytest

from newsroom.articles.tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [320, 390])
def test_result_pages_reflow_at_320_css_pixels(
    browser, live_server, search_backend, index_now, width
):
    """WCAG 1.4.10: at 320 CSS px (a 1280 px window at 400 % zoom) and a
    phone's 390 px, the middle page of seven pages of results, whose pager
    shows Previous, seven page numbers and Next, does not scroll sideways."""
    for n in range(70):
        f.article(f"Harbour report number {n}", body="The harbour reopened.")
    index_now()
    context = browser.new_context(viewport={"width": width, "height": 800})
    try:
        tab = context.new_page()
        tab.set_default_timeout(15000)
        tab.goto(live_server.url + "/search/?q=harbour&page=4")
        numbers = tab.locator(".search-pager__numbers > *")
        assert numbers.count() == 7
        sizes = tab.evaluate(
            """() => ({scroll: document.documentElement.scrollWidth,
                       client: document.documentElement.clientWidth,
                       pager: document.querySelector('.search-pager')
                         .getBoundingClientRect().right})"""
        )
        assert sizes["scroll"] <= sizes["client"], (width, sizes)
        assert sizes["pager"] <= sizes["client"], (width, sizes)
    finally:
        context.close()


def _contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two computed ``rgb(...)`` colours."""

    def luminance(color: str) -> float:
        parts = color[color.index("(") + 1 : color.index(")")].split(",")
        channels = []
        for value in parts[:3]:
            c = float(value) / 255
            channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
        r, g, b_ = channels
        return 0.2126 * r + 0.7152 * g + 0.0722 * b_

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("forced_colors", ["none", "active"])
def test_the_suggestion_chosen_with_the_arrow_keys_is_visibly_marked(
    browser, live_server, search_backend, index_now, forced_colors
):
    """WCAG 2.4.7 and 1.4.11: a keyboard reader who presses Down in the header
    box sees which suggestion Enter will open: the marked option has an
    outline at least 2 px wide, or a background with 3:1 contrast against the
    list, in ordinary colours and in forced colours (Windows High Contrast),
    where backgrounds are replaced."""
    f.article("Raqqa rebuilding fund approved", body="Money for Raqqa.")
    f.article("Raqqa's old city wall breached", body="The wall fell.")
    index_now()
    context = browser.new_context(forced_colors=forced_colors)
    try:
        tab = context.new_page()
        tab.set_default_timeout(15000)
        tab.goto(live_server.url + "/")
        box = tab.get_by_label("Search for keyword")
        box.click()
        box.press_sequentially("raq", delay=40)
        tab.locator("#search-suggest li").nth(1).wait_for()
        box.press("ArrowDown")
        marked = tab.locator("#search-suggest li[aria-selected=true]")
        assert marked.count() == 1
        assert box.get_attribute("aria-activedescendant") == marked.get_attribute("id")
        looks = tab.evaluate(
            """() => {
                const style = e => getComputedStyle(e);
                const on = document.querySelector(
                    '#search-suggest li[aria-selected=true]');
                const list = document.getElementById('search-suggest');
                const s = style(on);
                const bg = s.backgroundColor === 'rgba(0, 0, 0, 0)'
                    ? style(list).backgroundColor : s.backgroundColor;
                return {outline: s.outlineStyle, width: parseFloat(s.outlineWidth),
                        background: bg, list: style(list).backgroundColor};
            }"""
        )
        outlined = looks["outline"] not in ("none", "hidden") and looks["width"] >= 2
        shaded = _contrast(looks["background"], looks["list"]) >= 3
        assert outlined or shaded, looks
    finally:
        context.close()


def test_the_date_button_keeps_an_edge_in_forced_colours(
    browser, live_server, search_backend, index_now
):
    """In forced colours (Windows High Contrast) the results page's date-range
    button, drawn by its dark background alone, keeps a visible border
    instead of reading as plain text."""
    f.article("Harbour reopens", body="The harbour reopened.")
    index_now()
    context = browser.new_context(forced_colors="active")
    try:
        tab = context.new_page()
        tab.set_default_timeout(15000)
        tab.goto(live_server.url + "/search/?q=harbour")
        tab.locator(".search-dates__button").wait_for(state="attached")
        style, width = tab.evaluate(
            """() => { const s = getComputedStyle(
                document.querySelector('.search-dates__button'));
                return [s.borderTopStyle, parseFloat(s.borderTopWidth)]; }"""
        )
        assert style != "none" and width >= 1, (style, width)
    finally:
        context.close()


def test_a_date_that_is_not_a_date_is_named_and_kept(
    page, live_server, search_backend, index_now
):
    """WCAG 3.3.1: a reader who types 2026-13-45 in the date range's From box
    and presses Enter is told that the From date was ignored, the box still
    holds what they typed (to correct it, not type it again) and is marked
    invalid; the To box, left empty, is not."""
    f.article("Harbour reopens", body="The harbour reopened.")
    index_now()
    page.goto(live_server.url + "/search/?q=harbour")
    box = page.get_by_role("textbox", name="From")
    box.click()
    page.keyboard.type("2026-13-45")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    notice = page.locator(".search-notice--problem")
    assert notice.count() == 1
    assert '"from" date' in notice.inner_text()
    box = page.get_by_role("textbox", name="From")
    assert box.input_value() == "2026-13-45"
    assert box.get_attribute("aria-invalid") == "true"
    assert page.get_by_role("textbox", name="To").get_attribute("aria-invalid") is None
    assert page.locator(".search-hit").count() == 1
