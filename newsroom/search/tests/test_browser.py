"""A reader searches from the header box in a real Chromium."""

from __future__ import annotations

import pytest

from newsroom.articles.tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_search_box_results_facet_and_follow(
    page, live_server, search_backend, index_now
):
    """Type in the header box (suggestions appear), submit, see highlighted
    results, narrow by a section facet, and follow a result to the article."""
    f.article(
        "Fighters breach Raqqa's old city wall",
        body="The wall fell.",
        section_name="World",
    )
    f.article(
        "Raqqa rebuilding fund approved",
        body="Money for Raqqa.",
        section_name="Business",
    )
    index_now()
    page.goto(live_server.url + "/")
    box = page.get_by_label("Search for keyword")
    box.click()
    box.press_sequentially("raq", delay=40)
    suggestion = page.locator("#search-suggest li", has_text="raqqa").first
    suggestion.wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    box.fill("raqqa")
    box.press("Enter")
    page.wait_for_url("**/search/?q=raqqa")
    assert page.locator(".search-hit").count() == 2
    assert page.locator(".search-hit mark").first.inner_text().lower() == "raqqa"
    assert page.get_by_label("Search for keyword").input_value() == "raqqa"
    page.locator(".facet--section a", has_text="Business").click()
    page.wait_for_url("**section=business**")
    assert page.locator(".search-hit").count() == 1
    page.locator(".search-hit__headline a").first.click()
    page.wait_for_url("**/article/raqqa-rebuilding-fund-approved/")
    assert "Raqqa rebuilding fund approved" in page.locator("h1").inner_text()
