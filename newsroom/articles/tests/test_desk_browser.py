"""The desk in a real Chromium: a reporter submits, an editor publishes, and the
story appears to readers; the writing view's live preview works."""

from __future__ import annotations

import re

import pytest

from conftest import wait_until
from newsroom.articles.models import Article
from newsroom.articles.tests import factories as f

from .desk_helpers import account

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "not-a-real-pass-123"


def sign_in(page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(base + "/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/admin/$"))


def sign_in_again_in_another_tab(page, base: str, username: str) -> None:
    """Sign out and in again (as ``username``) in a second tab of the same
    browser: the session and the CSRF token change under the first tab."""
    other = page.context.new_page()
    other.goto(base + "/admin/")
    with other.expect_navigation():
        other.locator("#logout-form button").click()
    other.goto(base + "/admin/login/")
    other.get_by_label("Username").fill(username)
    other.get_by_label("Password").fill(PASSWORD)
    other.get_by_role("button", name="Log in").click()
    other.wait_for_url(re.compile(r"/admin/$"))


def test_a_reporter_submits_an_editor_publishes_and_readers_see_it(live_server, page):
    f.section("World")
    account("rita", "reporter")
    account("eddie", "editor")
    base = live_server.url

    # The reporter writes and submits.
    sign_in(page, base, "rita")
    page.goto(base + "/admin/articles/article/add/")
    page.locator("#id_headline").fill("Reporter's scoop on the harbour")
    page.locator("#id_body").fill("First paragraph.\n\n> A quote from the harbour.")
    # The writing view renders the Markdown beside it, with a word count.
    page.locator(".desk-preview blockquote").wait_for()
    assert "words" in page.locator("#desk-body-meter").inner_text()
    page.locator("#id_section").select_option(label="World")
    options = page.locator("#id_status option").all_inner_texts()
    assert options == ["Draft", "In review"]  # no way to publish from here
    page.locator("#id_status").select_option("review")
    page.locator("#id_workflow_note").fill("Ready for the desk.")
    page.locator("input[name=_save]").click()
    page.wait_for_url(re.compile(r"/admin/articles/article/$"))
    story = Article.objects.get(headline="Reporter's scoop on the harbour")
    assert story.status == "review" and not story.is_public

    # The editor finds it in the queue and publishes.
    sign_in(page, base, "eddie")
    page.goto(base + "/admin/articles/reviewqueue/")
    page.get_by_role("link", name="Review", exact=True).first.click()
    page.wait_for_url(re.compile(r"/change/$"))
    # Read the story's workflow history once the form is there (content()
    # taken mid-load can stop at a blocking script in the head).
    history = page.locator(".field-workflow_history")
    history.wait_for()
    assert "Ready for the desk." in history.inner_text()
    page.locator("#id_status").select_option("published")
    page.locator("input[name=_save]").click()
    page.wait_for_url(re.compile(r"/admin/articles/article/$"))

    # Readers see it.
    page.context.clear_cookies()
    page.goto(base + story.get_absolute_url())
    assert page.locator("h1").inner_text().strip() == "Reporter's scoop on the harbour"


def test_the_article_form_has_no_serious_accessibility_violation(
    live_server, page, axe_source
):
    """axe-core finds nothing serious or critical on the writing view, and the
    form can be filled and saved with the keyboard alone."""

    f.section("World")
    account("eddie", "editor")
    sign_in(page, live_server.url, "eddie")
    assert_no_serious_violation(
        page, live_server.url + "/admin/articles/article/add/", axe_source
    )

    page.locator("#id_headline").focus()
    page.keyboard.type("Typed with the keyboard alone")
    page.keyboard.press("Tab")  # slug
    page.keyboard.press("Tab")  # standfirst
    page.keyboard.press("Tab")  # body
    page.keyboard.type("One paragraph.")
    assert page.locator("#id_body").input_value() == "One paragraph."


def assert_no_serious_violation(page, url: str, axe_source: str) -> None:
    """The writing view at ``url``, once its preview and its autocomplete
    boxes are ready, has no serious or critical axe-core violation."""
    from conftest import axe_violations

    page.goto(url)
    page.locator(".desk-preview").wait_for()
    page.wait_for_load_state("load")
    wait_until(
        page,
        "[...document.querySelectorAll('.select2-selection')]"
        ".every(e => e.getAttribute('aria-label'))",
    )
    found = axe_violations(page, axe_source)
    assert found == [], found


def test_a_storys_change_page_has_no_serious_accessibility_violation(
    live_server, page, axe_source
):
    """WCAG 1.4.1: on a story's own page the breadcrumbs end with its
    headline, so their links sit in a line of text and must differ from it by
    more than colour (underlined); axe-core finds nothing serious or critical
    there. (The add page passed: "Add article" is too short to make a line of
    text, and the links were told apart by colour alone.)"""

    story = f.article("Harbour dredging to start before the spawning season")
    account("eddie", "editor")
    sign_in(page, live_server.url, "eddie")
    assert_no_serious_violation(
        page,
        live_server.url + f"/admin/articles/article/{story.pk}/change/",
        axe_source,
    )


def test_a_save_after_the_account_went_shows_the_text_to_copy(
    live_server, page, axe_source
):
    """An editor's account is switched off while a story is open; Save,
    pressed from the keyboard, brings a page that says nothing was saved,
    with the text typed in labelled fields, and nothing serious for axe-core.
    (It was the sign-in page, the text gone.)"""
    from django.contrib.auth.models import User

    from conftest import axe_violations

    story = f.article("A story left open")
    account("eddie", "editor")
    sign_in(page, live_server.url, "eddie")
    page.goto(live_server.url + f"/admin/articles/article/{story.pk}/change/")
    page.locator("#id_body").fill("Words typed as the account went.")
    User.objects.filter(username="eddie").update(is_active=False)
    page.locator("input[name=_save]").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.locator("#not-saved").wait_for()
    assert "Nothing was saved" in page.inner_text("#not-saved")
    assert page.get_by_label("body").input_value() == (
        "Words typed as the account went."
    )
    assert axe_violations(page, axe_source) == []
    story.refresh_from_db()
    assert "Words typed" not in story.body


def test_the_preview_says_when_it_cannot_be_updated_and_why(
    live_server, page, axe_source
):
    """The editor signs out in another tab while writing: the next change to
    the body leaves the preview as it was and says, in a status region there
    from the start (which screen readers announce), that it could not be
    updated because this browser is no longer signed in, and that the text
    is still here, with nothing serious for axe-core in the pane. Signed in again in
    that tab, the preview follows the text once more and the message goes.
    (It stopped without a word.)"""
    story = f.article("A story left open", body="Words before.")
    account("eddie", "editor")
    sign_in(page, live_server.url, "eddie")
    page.goto(live_server.url + f"/admin/articles/article/{story.pk}/change/")
    state = page.locator("#desk-preview-state")
    assert state.get_attribute("role") == "status"
    page.locator(".desk-preview__body", has_text="Words before.").wait_for()
    assert state.inner_text().strip() == ""

    other = page.context.new_page()
    other.goto(live_server.url + "/admin/")
    with other.expect_navigation():
        other.locator("#logout-form button").click()
    page.locator("#id_body").fill("Words typed after signing out.")
    wait_until(
        page,
        "document.getElementById('desk-preview-state').textContent"
        ".includes('no longer signed in')",
    )
    said = state.inner_text()
    assert "could not be updated" in said and "still here" in said
    assert "after signing out" not in page.inner_text(".desk-preview__body")
    # The pane with its message; the page's breadcrumbs are another matter.
    page.evaluate(axe_source)
    found = page.evaluate(
        "async () => (await axe.run('.desk-preview')).violations"
        ".filter(v => ['serious', 'critical'].includes(v.impact)).map(v => v.id)"
    )
    assert found == [], found

    other.goto(live_server.url + "/admin/login/")
    other.get_by_label("Username").fill("eddie")
    other.get_by_label("Password").fill(PASSWORD)
    other.get_by_role("button", name="Log in").click()
    other.wait_for_url(re.compile(r"/admin/$"))
    page.locator("#id_body").fill("Words typed after signing in again.")
    page.locator(".desk-preview__body", has_text="signing in again").wait_for()
    assert state.inner_text().strip() == ""


def test_the_preview_says_when_the_body_is_longer_than_a_save_allows(
    live_server, page, settings
):
    """A body longer than NEWSROOM_ARTICLE_BODY_MAX_CHARS is said in the
    preview's status region as it is typed (how long, the most allowed, a
    Save will be refused), not only after the Save; trimmed, it goes."""
    settings.NEWSROOM_ARTICLE_BODY_MAX_CHARS = 60
    account("eddie", "editor")
    sign_in(page, live_server.url, "eddie")
    page.goto(live_server.url + "/admin/articles/article/add/")
    page.locator("#id_body").fill("Too long " * 10)
    wait_until(
        page,
        "document.getElementById('desk-preview-state').textContent"
        ".includes('a Save will be refused')",
    )
    assert "the most a story may have is 60" in page.inner_text("#desk-preview-state")
    page.locator("#id_body").fill("Short now.")
    page.locator(".desk-preview__body", has_text="Short now.").wait_for()
    assert page.inner_text("#desk-preview-state").strip() == ""


def test_a_body_past_what_a_request_may_carry_is_said_too_long(live_server, page):
    """A body past DATA_UPLOAD_MAX_MEMORY_SIZE (a 3 MB paste) is said in
    the preview as too long, with its length, like any body past the story
    limit. The site refused the preview's request whole (400), and the
    preview said "the site did not answer": the wrong reason, and the editor
    kept waiting for a site that was up."""
    account("eddie", "editor")
    sign_in(page, live_server.url, "eddie")
    page.goto(live_server.url + "/admin/articles/article/add/")
    page.evaluate(
        r"""() => { const b = document.getElementById('id_body');
                   b.value = 'x'.repeat(3000000) + ' ' + '\u{1F4F0}'.repeat(3);
                   b.dispatchEvent(new Event('input')); }"""
    )
    wait_until(
        page,
        "document.getElementById('desk-preview-state').textContent"
        ".includes('a Save will be refused')",
    )
    said = page.inner_text("#desk-preview-state")
    assert "The body is 3,000,004 characters long" in said, said
    assert "did not answer" not in said


def test_a_save_after_signing_in_again_in_another_tab_is_saved(live_server, page):
    """The editor signs out and in again in another tab while a story is
    open (a sign-in changes the CSRF token); Save in the first tab saves the
    text typed there, the soft lock still guarding against an older
    version. It was the site's "form sent without its security cookie" page,
    the text lost."""
    story = f.article("A story left open", body="Words before.")
    account("eddie", "editor")
    sign_in(page, live_server.url, "eddie")
    page.goto(live_server.url + f"/admin/articles/article/{story.pk}/change/")
    page.locator("#id_body").fill("Words typed across a second sign-in.")

    sign_in_again_in_another_tab(page, live_server.url, "eddie")

    page.locator("input[name=_save]").click()
    page.wait_for_url(re.compile(r"/admin/articles/article/$"))
    story.refresh_from_db()
    assert story.body == "Words typed across a second sign-in."


def _saved_after_another_account_signed_in(page, base: str, path: str, field: str):
    """Open ``path`` as eddie, type in ``field``, let olga sign in in another
    tab, press Save: the page it leads to must be "Nothing was saved" with
    eddie's words."""
    account("eddie", "editor")
    account("olga", "editor")
    sign_in(page, base, "eddie")
    page.goto(base + path)
    page.locator(field).fill("Words eddie typed.")

    sign_in_again_in_another_tab(page, base, "olga")

    with page.expect_navigation():
        page.locator("input[name=_save]").click()
    assert "Nothing was saved" in page.content()
    assert "another account" in page.locator("#not-saved").inner_text()
    assert "Words eddie typed." in page.content()


def test_a_save_after_another_account_signed_in_in_another_tab_is_not_saved(
    live_server, page
):
    """The page sends the current CSRF token (a sign-in in another tab
    changes it), so a Save after someone else signed in there went through
    as that other account: eddie's text saved as olga's revision, with
    olga's rights. The page now says which account opened it, and a Save
    sent as another one is the "Nothing was saved" page with the text."""
    story = f.article("A story left open", body="Words before.")
    path = f"/admin/articles/article/{story.pk}/change/"
    _saved_after_another_account_signed_in(page, live_server.url, path, "#id_body")
    story.refresh_from_db()
    assert story.body == "Words before."


def test_any_admin_form_sent_after_signing_in_again_in_another_tab_is_saved(
    live_server, page
):
    """Not the writing view only: a tag's form left open while the editor
    signs out and in again in another tab (a sign-in changes the CSRF token)
    is saved by its Save. It was the "sent without its security cookie"
    page, what was typed lost."""
    tag = f.tag("Harbour")
    account("eddie", "editor")
    sign_in(page, live_server.url, "eddie")
    page.goto(live_server.url + f"/admin/articles/tag/{tag.pk}/change/")
    page.locator("#id_name").fill("Harbour works")

    sign_in_again_in_another_tab(page, live_server.url, "eddie")

    with page.expect_navigation():
        page.locator("input[name=_save]").click()
    assert "security cookie" not in page.content()
    tag.refresh_from_db()
    assert tag.name == "Harbour works"


def test_any_admin_form_sent_after_another_account_signed_in_is_not_saved(
    live_server, page
):
    """With the current token sent by every admin form, a form opened by
    eddie and sent after olga signed in in another tab would be saved as
    olga's: it is the "Nothing was saved" page with what eddie typed."""
    tag = f.tag("Harbour")
    path = f"/admin/articles/tag/{tag.pk}/change/"
    _saved_after_another_account_signed_in(page, live_server.url, path, "#id_name")
    tag.refresh_from_db()
    assert tag.name == "Harbour"


def test_a_form_sent_to_another_site_gets_no_token_or_account(live_server, page):
    """The admin's script puts the current CSRF token and the account into
    forms sent to this site only: a form on an admin page whose action is
    another site (in text an editor pasted, say) is left with what it had.
    (The policy's form-action 'self' stops such a form besides; what it
    would have sent is read as it is submitted.)"""
    account("eddie", "editor")
    sign_in(page, live_server.url, "eddie")
    page.goto(live_server.url + "/admin/")
    sent = page.evaluate(
        """() => new Promise((done) => {
             const f = document.createElement('form');
             f.method = 'post'; f.action = 'http://elsewhere.example/take';
             f.innerHTML = '<input name="csrfmiddlewaretoken" value="theirs">';
             document.body.appendChild(f);
             f.addEventListener('submit', (e) => {
               e.preventDefault();
               done([...new FormData(f).entries()].map((p) => p.join('=')));
             });
             f.requestSubmit();
           })"""
    )
    assert sent == ["csrfmiddlewaretoken=theirs"]


def test_signing_out_from_a_tab_opened_by_another_account_signs_out(live_server, page):
    """The logout button of a page eddie opened, pressed after olga signed
    in in another tab, signs the browser out: it is not a form whose work
    could be the wrong account's."""
    account("eddie", "editor")
    account("olga", "editor")
    sign_in(page, live_server.url, "eddie")
    page.goto(live_server.url + "/admin/")
    sign_in_again_in_another_tab(page, live_server.url, "olga")
    with page.expect_navigation():
        page.locator("#logout-form button").click()
    assert "Nothing was saved" not in page.content()
    page.goto(live_server.url + "/admin/")
    assert "/admin/login/" in page.url


def test_the_picture_library_names_every_link(live_server, page, axe_source):
    """WCAG 2.4.4 and 4.1.2: in the picture library's list each row's
    thumbnail is a link to the picture; a screen reader hears the picture's
    words for it, never an empty link (axe's link-name)."""
    from conftest import axe_violations
    from newsroom.media import samples
    from newsroom.media.library import add_image

    add_image(samples.photo(640, 400, seed=3), "boats.jpg", alt="Boats at dawn")
    add_image(samples.photo(640, 400, seed=4), "quay.jpg", alt="", caption="The quay")
    account("eddie", "editor")
    sign_in(page, live_server.url, "eddie")
    page.goto(live_server.url + "/admin/media/image/")
    links = page.locator("td.field-thumbnail a, th.field-thumbnail a")
    assert links.count() == 2
    names = sorted(
        page.evaluate(
            """() => [...document.querySelectorAll('.field-thumbnail a')]
                .map(a => a.querySelector('img').alt)"""
        )
    )
    assert names == ["Boats at dawn", "The quay"]
    found = [v for v in axe_violations(page, axe_source) if v["id"] == "link-name"]
    assert found == [], found


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_quote_in_the_preview_is_readable(live_server, browser, axe_source, scheme):
    """WCAG 1.4.3: a quotation in the writing view's preview is as readable as
    the paragraphs around it (axe's color-contrast finds nothing in the
    preview), in the admin's light and dark themes; the admin's own small
    grey blockquote style does not leak into it."""
    from conftest import axe_violations

    f.section("World")
    story = f.article(
        "Harbour quote", body="The mayor spoke.\n\n> We will rebuild the quay."
    )
    account("eddie", "editor")
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        sign_in(page, live_server.url, "eddie")
        page.goto(f"{live_server.url}/admin/articles/article/{story.pk}/change/")
        page.locator(".desk-preview blockquote").wait_for()
        found = [
            v for v in axe_violations(page, axe_source) if v["id"] == "color-contrast"
        ]
        assert found == [], found
    finally:
        context.close()


@pytest.mark.parametrize(
    "role, path",
    [
        ("moderator", "/admin/comments/pendingcomment/"),
        ("moderator", "/admin/comments/comment/"),
        ("editor", "/admin/articles/article/"),
    ],
)
def test_the_list_filters_are_big_enough_to_hit(
    live_server, page, axe_source, role, path
):
    """WCAG 2.5.8 Target Size (Minimum): each link in a list's Filter panel
    (the moderation queue's "Today", "Past 7 days", the article list's
    states) is at least 24 CSS px tall, so a moderator with a shaky hand
    does not pick the filter next to it (axe's target-size)."""
    from conftest import axe_violations

    f.article("Filtered story")
    account("sam", role)
    sign_in(page, live_server.url, "sam")
    page.goto(live_server.url + path)
    links = page.locator("#changelist-filter li a")
    assert links.count() >= 4
    heights = [a.bounding_box()["height"] for a in links.all()]
    assert min(heights) >= 24, heights
    found = [v for v in axe_violations(page, axe_source) if v["id"] == "target-size"]
    assert found == [], found
