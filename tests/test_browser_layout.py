"""A 250-character unbroken headline does not push any page sideways.

Issue 18 item 7, in Chromium at a phone's width (390 px) and a desktop's
(1280 px): home, section, tag, author, article and search pages have no
horizontal overflow, and the headline stays inside the viewport.
"""

from __future__ import annotations

import pytest

from newsroom.articles.tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORD = "Donaudampfschifffahrtsgesellschaftskapitän" * 6  # 252 characters
URL = "https://example.org/" + "a" * 200


@pytest.mark.parametrize("width", [390, 1280])
def test_no_page_scrolls_sideways_with_a_250_character_word(
    live_server, browser, width
):
    """Every page that shows the headline fits its width: the document is no
    wider than the viewport and the headline's box ends inside it."""
    assert len(WORD) >= 250
    story = f.article(
        WORD[:250],
        tags=("Rivers",),
        authors=("Amira Haddad",),
        standfirst=f"{WORD} and a link {URL} pasted by an editor.",
        body=f"{WORD}\n\n> {URL}\n\nEnd.",
    )
    for i in range(3):
        f.article(f"Ordinary story {i}")
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        tab = context.new_page()
        tab.set_default_timeout(15000)
        pages = [
            "/",
            "/section/world/",
            "/tag/rivers/",
            "/author/amira-haddad/",
            story.get_absolute_url(),
        ]
        for path in pages:
            tab.goto(live_server.url + path)
            sizes = tab.evaluate(
                """() => {
                    const el = document.documentElement;
                    const heads = [...document.querySelectorAll('h1, h2, h3')]
                        .filter(h => h.textContent.includes('Donau'))
                        .map(h => h.getBoundingClientRect().right);
                    return {scroll: el.scrollWidth, client: el.clientWidth, heads};
                }"""
            )
            assert sizes["scroll"] <= sizes["client"], (path, width, sizes)
            assert sizes["heads"], (path, "the long headline is not on the page")
            assert max(sizes["heads"]) <= sizes["client"] + 1, (path, width, sizes)
    finally:
        context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_the_not_found_page_fits_and_offers_its_search(live_server, browser, width):
    """The site's 404 for a long dead address fits the width, and its
    search-the-address link leads to a results page that searches those
    words."""
    f.article("Harbour reopens after the storm")
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        tab = context.new_page()
        tab.set_default_timeout(15000)
        response = tab.goto(f"{live_server.url}/article/harbour-{WORD.lower()}/")
        assert response is not None and response.status == 404
        sizes = tab.evaluate(
            """() => ({scroll: document.documentElement.scrollWidth,
                       client: document.documentElement.clientWidth})"""
        )
        assert sizes["scroll"] <= sizes["client"], (width, sizes)
        assert tab.locator("form[role=search] input[name=q]").first.is_visible()
        tab.get_by_role("link", name="Search for the words in the address").click()
        tab.wait_for_url("**/search/?q=harbour*")
        assert "harbour" in tab.locator("input[name=q]").first.input_value()
    finally:
        context.close()
