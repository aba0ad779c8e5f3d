"""The pages work under the site's own strict policies, in a real Chromium.

These tabs keep the Content-Security-Policy the server sends (the shared
``page`` fixture bypasses it for axe-core's injection), and every CSP
violation the browser reports, in the console or as a
``securitypolicyviolation`` event, fails the test: search suggestions, the
share buttons, the comment form's proof-of-work (ALTCHA) path, the admin's
login and writing view, and the API's Swagger UI.
"""

from __future__ import annotations

import re

import pytest

from conftest import wait_until
from newsroom.articles.models import Article
from newsroom.articles.tests import factories as f
from newsroom.articles.tests.desk_helpers import account
from newsroom.comments.models import Comment
from newsroom.search.tests.conftest import index_now, search_backend  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


@pytest.fixture
def strict(browser):
    """A tab under the server's own policy, and the list of what it refused."""
    context = browser.new_context()  # no bypass_csp: the policy applies
    context.add_init_script(WATCH)
    tab = context.new_page()
    tab.set_default_timeout(20000)
    refused: list[str] = []

    def watch(message) -> None:
        if "Content Security Policy" in message.text:
            refused.append(message.text)

    context.on("console", watch)
    yield tab, refused
    context.close()


def violations(tab, refused: list[str]) -> list[str]:
    found = list(refused)
    try:
        found += tab.evaluate("window.__cspViolations || []")
    except Exception:  # noqa: BLE001 - the tab navigated away: console only
        pass
    return found


def test_search_suggestions_work_under_the_policy(
    strict,
    live_server,
    search_backend,  # noqa: F811 - the fixture imported above
    index_now,  # noqa: F811
):
    """Typing in the header box shows suggestions (suggest.js, a fetch to
    /search/suggest) with nothing refused."""
    tab, refused = strict
    f.article("Raqqa's old city wall falls", body="The wall fell.")
    index_now()
    tab.goto(live_server.url + "/")
    box = tab.get_by_label("Search for keyword")
    box.click()
    box.press_sequentially("raq", delay=40)
    tab.locator("#search-suggest li", has_text="raqqa").first.wait_for()
    assert violations(tab, refused) == []


def test_share_buttons_work_under_the_policy(strict, live_server):
    """The copy button copies and counts through share.js; a network button
    posts to /share/ and the 303 to the network is not refused by
    form-action (the network itself is answered by a stand-in)."""
    tab, refused = strict
    tab.context.route(
        re.compile(r"^https://x\.com/.*"),
        lambda route: route.fulfill(body="<p>shared</p>", content_type="text/html"),
    )
    article = f.article("Share me under a strict policy")
    tab.goto(live_server.url + article.get_absolute_url())
    tab.locator("button[data-network=copy]").click()
    status = tab.locator("[data-share-status]")
    status.filter(has_text=re.compile("copied|Copy this link")).wait_for()
    with tab.context.expect_page() as opened:
        tab.locator("button[data-network=x]").click()
    network = opened.value
    network.wait_for_url(re.compile(r"^https://x\.com/intent/tweet"))
    network.get_by_text("shared").wait_for()
    assert violations(tab, refused) == []


def test_the_comment_form_proof_of_work_path_works_under_the_policy(
    strict, live_server, settings
):
    """The ALTCHA widget (vendored strict-CSP build, its worker from our own
    URL) solves its proof-of-work and the comment is taken, held for a
    moderator, with nothing refused."""
    tab, refused = strict
    settings.NEWSROOM_COMMENTS_MIN_FILL_SECONDS = 0  # a quick reader
    article = f.article("Proof under policy", comment_moderation="none")
    tab.goto(live_server.url + article.get_absolute_url())
    tab.fill("#id_name", "Pat Reader")
    tab.fill("#id_body", "Works without any inline script.")
    tab.locator("altcha-widget input[type=checkbox]").focus()
    tab.keyboard.press("Space")  # its tick mark covers the box from the mouse
    wait_until(
        tab,
        "() => (document.querySelector('input[name=altcha]') || {}).value",
        timeout=60,
    )
    assert violations(tab, refused) == []
    tab.locator(".comment-form__submit").click()
    tab.get_by_text("awaiting moderation").wait_for()
    assert Comment.objects.get().name == "Pat Reader"
    assert violations(tab, refused) == []


def test_the_admin_login_and_writing_view_work_under_the_policy(strict, live_server):
    """An editor signs in, opens a story's change page (the writing view with
    its live Markdown preview and the admin's own scripts) and saves it."""
    tab, refused = strict
    account("eddie", "editor")
    article = f.article("Admin under policy", body="First paragraph.")
    base = live_server.url
    tab.goto(base + "/admin/login/")
    tab.get_by_label("Username").fill("eddie")
    tab.get_by_label("Password").fill("not-a-real-pass-123")
    tab.get_by_role("button", name="Log in").click()
    tab.wait_for_url(re.compile(r"/admin/$"))
    tab.goto(base + f"/admin/articles/article/{article.pk}/change/")
    tab.locator("#id_body").fill("New first paragraph.\n\n> A quote.")
    tab.locator(".desk-preview blockquote").wait_for()
    tab.locator("input[name=_save]").click()
    tab.wait_for_url(re.compile(r"/admin/articles/article/$"))
    assert Article.objects.get(pk=article.pk).body.startswith("New first")
    assert violations(tab, refused) == []


def test_the_api_docs_work_under_their_own_policy(strict, live_server):
    """The Swagger UI at /api/v1/docs renders the API's operations."""
    tab, refused = strict
    tab.goto(live_server.url + "/api/v1/docs")
    tab.locator(".opblock").first.wait_for()
    assert violations(tab, refused) == []
