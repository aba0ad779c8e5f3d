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
