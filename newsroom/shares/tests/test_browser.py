"""In a real browser, the copy-link button counts once per visitor-day."""

import pytest

from conftest import wait_until
from newsroom.articles.tests import factories as f
from newsroom.shares.models import ShareCount

from .conftest import UA

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clicking_copy_link_counts_once_and_not_again_the_same_day(
    browser, live_server
):
    """First click: (0) becomes (1); a second click and a reload stay at (1)."""
    a = f.article("A story worth sharing")
    # Headless Chromium announces itself as a bot; this reader looks like a
    # person's browser so the share counts.
    context = browser.new_context(user_agent=UA)
    context.grant_permissions(
        ["clipboard-read", "clipboard-write"], origin=live_server.url
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    leaving = []
    # No request may leave the machine: anything not ours is recorded, refused.
    page.route(
        lambda url: not url.startswith(live_server.url),
        lambda route: (leaving.append(route.request.url), route.abort()),
    )
    try:
        page.goto(live_server.url + a.get_absolute_url())
        button = page.locator("button.share__button--copy")
        count = button.locator(".share__count")
        assert count.inner_text() == "(0)"
        with page.expect_response(lambda r: "/share/copy/" in r.url) as first:
            button.click()
        assert first.value.json()["counted"] is True
        wait_until(
            page,
            "document.querySelector('.share__button--copy .share__count')"
            ".textContent === '(1)'",
        )
        status = page.locator("[data-share-status]").inner_text()
        assert status == "Link copied." or status.startswith("Copy this link: ")
        with page.expect_response(lambda r: "/share/copy/" in r.url) as second:
            button.click()
        assert second.value.json() == {**first.value.json(), "counted": False}
        assert count.inner_text() == "(1)"
        page.reload()
        assert (
            page.locator("button.share__button--copy .share__count").inner_text()
            == "(1)"
        )
        # The other buttons go through our own share links, never a script.
        fb = page.locator("form:has(button.share__button--facebook)")
        assert fb.get_attribute("action") == f"/share/facebook/{a.pk}/"
        assert fb.get_attribute("method") == "post"
        assert ShareCount.objects.get(article=a, network="copy").count == 1
        assert leaving == []
    finally:
        context.close()


def test_a_network_button_counts_and_goes_to_the_network(browser, live_server):
    """Clicking Facebook, with scripts switched off, posts the button's form:
    the share counts and a new tab heads for facebook.com (stopped at the
    machine's edge by the test)."""
    a = f.article("A story for Facebook")
    context = browser.new_context(user_agent=UA, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15000)
    external = []

    def stop(route):
        external.append(route.request.url)
        route.fulfill(status=200, body="(network share dialog)")

    # On the context, so the new tab the button opens is covered too.
    context.route("https://www.facebook.com/**", stop)
    try:
        page.goto(live_server.url + a.get_absolute_url())
        with context.expect_page() as new_tab:
            page.locator("button.share__button--facebook").click()
        new_tab.value.wait_for_url("https://www.facebook.com/**")
        assert len(external) == 1 and "sharer.php?u=" in external[0]
        assert ShareCount.objects.get(article=a, network="facebook").count == 1
        page.reload()
        assert (
            page.locator("button.share__button--facebook .share__count").inner_text()
            == "(1)"
        )
    finally:
        context.close()


def test_each_counter_says_what_it_counts_to_a_screen_reader(browser, live_server):
    """WCAG 1.3.1 and 2.4.6: a button's accessible name is its visible text
    and what the number counts ("Facebook (2) shares", "Email (1) share"),
    not a bare "(2)"; after Copy link counts, its name follows the new count."""
    a = f.article("A story to count")
    ShareCount.objects.create(article=a, network="facebook", count=2)
    ShareCount.objects.create(article=a, network="email", count=1)
    context = browser.new_context(user_agent=UA)
    context.grant_permissions(
        ["clipboard-read", "clipboard-write"], origin=live_server.url
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(live_server.url + a.get_absolute_url())
        bar = page.get_by_role("region", name="Share")
        for name in ("Facebook (2) shares", "Email (1) share", "Copy link (0) shares"):
            assert bar.get_by_role("button", name=name, exact=True).count() == 1, name
        assert page.locator(".share__button--facebook .share__count").inner_text() == (
            "(2)"
        )
        with page.expect_response(lambda r: "/share/copy/" in r.url):
            bar.get_by_role("button", name="Copy link (0) shares").click()
        bar.get_by_role("button", name="Copy link (1) share", exact=True).wait_for()
    finally:
        context.close()
