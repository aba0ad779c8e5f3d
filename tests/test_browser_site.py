"""A reader in a real Chromium: home page, then an article with every region."""

from __future__ import annotations

import re

import pytest

from newsroom.articles.demo_loader import load_demo
from newsroom.articles.models import Article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reader_goes_from_home_page_to_an_article_with_every_region(live_server, page):
    """Home lists stories; clicking one opens its page with headline, search
    box, share counters and the comment count."""
    load_demo()
    page.goto(live_server.url + "/")
    assert page.locator(".search-box input[name=q]").is_visible()
    first = page.locator(".card__headline a").first
    headline = first.inner_text().strip()
    first.click()
    page.wait_for_url(re.compile(r"/article/[\w-]+/$"))

    assert page.locator("h1").inner_text().strip() == headline
    article = Article.objects.published().get(headline=headline)
    assert page.url.endswith(article.get_absolute_url())
    search = page.get_by_label("Search for keyword")
    assert search.is_visible()
    counters = page.locator(".share .share__count")
    assert counters.count() >= 3
    assert all(re.fullmatch(r"\(\d+\)", c.strip()) for c in counters.all_inner_texts())
    assert page.get_by_text(re.compile(r"^Total Comments \(\d+\)$")).is_visible()
    assert page.get_by_text("Comments About This Article").is_visible()
    assert page.get_by_text("Please fill the fields below.").is_visible()
    # The page's own stylesheet loaded (nothing comes from another server).
    assert (
        page.evaluate("getComputedStyle(document.querySelector('.masthead')).display")
        != "inline"
    )


def test_search_box_submits_to_the_search_page(live_server, page):
    """Typing a word in the header box and pressing Enter asks /search/?q=."""
    load_demo()
    page.goto(live_server.url + "/")
    box = page.get_by_label("Search for keyword")
    box.fill("Raqqa")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q=Raqqa"))
