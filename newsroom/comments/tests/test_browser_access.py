"""In Chromium: the accessible path under a strict CSP, and a hostile origin.

A reader who uses the keyboard only and cannot see images posts through the
proof-of-work widget (vendored, no inline script, its worker from our own
URL); a page on another origin cannot get a comment posted at all.
"""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import wait_until
from newsroom.articles.models import Article
from newsroom.articles.tests import factories as f
from newsroom.comments.models import Comment
from newsroom.comments.moderation import recount

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The policy issue 12 will send, and a stricter one without blob: workers;
# the widget must work under both.
POLICIES = [
    "default-src 'self'; script-src 'self'; worker-src 'self' blob:",
    "default-src 'self'; script-src 'self'; worker-src 'self'",
]


def _strict(page, url: str, policy: str) -> list[str]:
    """Serve ``url`` with the strict CSP and no images; collect CSP complaints."""
    complaints: list[str] = []
    page.on(
        "console",
        lambda m: complaints.append(m.text) if "Content Security" in m.text else None,
    )

    def with_csp(route):
        response = route.fetch()
        headers = {**response.headers, "content-security-policy": policy}
        route.fulfill(response=response, headers=headers)

    page.route(url, with_csp)
    page.route("**/*.png*", lambda route: route.abort())  # no image for this reader
    return complaints


def _tab_to(page, test: str, limit: int = 40) -> None:
    """Press Tab until the focused element passes the JS ``test``."""
    for _ in range(limit):
        if page.evaluate(f"() => {{ const el = document.activeElement; {test} }}"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached: {test}")


@pytest.mark.parametrize("policy", POLICIES)
def test_a_keyboard_only_reader_without_images_posts_a_comment(
    page, live_server, policy
):
    """No mouse, no image, strict CSP: Tab to the fields, type, tick the
    proof-of-work check with Space, send with Enter; the comment is stored for
    moderation and the page says so."""
    a = f.article("Library hours extended", comment_moderation="none")
    url = live_server.url + a.get_absolute_url()
    complaints = _strict(page, url, policy)
    page.goto(url)
    page.locator("#id_name").wait_for()
    page.keyboard.press("Tab")
    _tab_to(page, "return el && el.id === 'id_name';")
    page.keyboard.type("Kim Listener")
    _tab_to(page, "return el && el.id === 'id_body';")
    page.keyboard.type("Longer hours help people who work late.")
    _tab_to(page, "return el && el.closest && !!el.closest('altcha-widget');")
    page.keyboard.press("Space")
    wait_until(
        page,
        "() => (document.querySelector('input[name=altcha]') || {}).value",
        timeout=60,
    )
    _tab_to(page, "return el && el.classList.contains('comment-form__submit');")
    page.keyboard.press("Enter")
    page.get_by_text("awaiting moderation").wait_for()
    comment = Comment.objects.get()
    assert comment.name == "Kim Listener"
    assert comment.status == Comment.Status.PENDING  # mode "none", still held
    assert "proof-of-work: no code" in comment.reasons
    assert complaints == [], complaints


def test_the_widget_comes_from_this_site_only(page, live_server):
    """Every request the article page makes goes to the site's own origin."""
    a = f.article("Self-hosted")
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    page.goto(live_server.url + a.get_absolute_url())
    page.locator("altcha-widget").wait_for()
    page.wait_for_load_state("networkidle")
    assert seen and all(u.startswith(live_server.url) for u in seen), seen


class _Attacker(BaseHTTPRequestHandler):
    """A page on another origin that tries every way to post a comment."""

    target = ""
    article_id = 0

    def do_GET(self):  # noqa: N802 - http.server's name
        body = f"""<!doctype html><html><body>
<form id="f" method="post" action="{self.target}/comments/post/{self.article_id}/">
<input name="name" value="Mallory"><input name="body" value="Posted by a form.">
</form>
<script>
const api = "{self.target}/api/v1/articles/{self.article_id}/comments";
const payload = JSON.stringify({{name: "Mallory", body: "Posted cross-site.",
                                 challenge_id: "x", answer: "ACDEF"}});
window.results = [];
Promise.allSettled([
  fetch(api, {{method: "POST", mode: "no-cors", body: payload,
              headers: {{"Content-Type": "text/plain"}}}}),
  fetch(api, {{method: "POST", body: payload,
              headers: {{"Content-Type": "application/json"}}}}),
]).then(r => {{ window.results = r.map(x => x.status); window.done = true; }});
</script></body></html>""".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_page_on_another_origin_cannot_post_a_comment(page, live_server):
    """text/plain and JSON fetches and a plain form post, from a second server
    on another port: none of them stores a comment."""
    a = f.article("Target", comment_moderation=Article.Moderation.NONE)
    _Attacker.target = live_server.url
    _Attacker.article_id = a.pk
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Attacker)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        origin = f"http://127.0.0.1:{server.server_address[1]}"
        assert origin != live_server.url
        statuses: list[int] = []
        page.on(
            "response",
            lambda r: statuses.append(r.status) if "/comments" in r.url else None,
        )
        page.goto(origin + "/")
        wait_until(page, "() => window.done === true")
        with page.expect_navigation():
            page.evaluate("document.getElementById('f').submit()")
        assert Comment.objects.count() == 0
        # text/plain reaches the server and is refused (415); the JSON fetch
        # is stopped at its preflight; the form fails the CSRF check (403).
        assert 415 in statuses and 403 in statuses
        assert not any(200 <= s < 300 for s in statuses if s != 204)
    finally:
        server.shutdown()
        server.server_close()


def _focused(page) -> dict:
    return page.evaluate(
        """() => { const el = document.activeElement;
                   return {id: el.id, tag: el.tagName,
                           text: (el.textContent || '').trim()}; }"""
    )


def test_a_refused_comment_puts_the_focus_on_the_first_field_in_error(
    page, live_server
):
    """WCAG 3.3.1 and 4.1.3: after a post refused for a missing name, the page
    comes back with the focus in the name field, whose description is the
    error, so a screen reader says what is wrong at once; the comment as
    typed is still there."""
    from newsroom.comments.confirmation import answer_for

    a = f.article("Ferry timetable changes", comment_moderation="none")
    page.goto(live_server.url + a.get_absolute_url())
    page.fill("#id_body", "The early ferry matters to commuters.")
    token = page.input_value("input[name=token]")
    page.fill("#id_code", answer_for(token, a.pk))
    page.locator(".comment-form__submit").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.locator("#name-error").wait_for()
    wait_until(page, "() => document.activeElement.id === 'id_name'")
    assert page.locator("#id_name").get_attribute("aria-invalid") == "true"
    described = page.locator("#id_name").get_attribute("aria-describedby")
    assert "name" in page.locator(f"#{described}").inner_text().lower()
    assert page.input_value("#id_body") == "The early ferry matters to commuters."
    assert Comment.objects.count() == 0


def test_a_refusal_for_the_whole_form_puts_the_focus_on_its_message(
    page, live_server, settings
):
    """A refusal that belongs to no one field (sent too soon after the form
    was shown) is focused itself: the reader hears it, then tabs on to the
    fields, which keep what was typed."""
    settings.NEWSROOM_COMMENTS_MIN_FILL_SECONDS = 3600
    from newsroom.comments.confirmation import answer_for

    a = f.article("Bridge repairs", comment_moderation="none")
    page.goto(live_server.url + a.get_absolute_url())
    page.fill("#id_name", "Quick Reader")
    page.fill("#id_body", "Faster repairs please.")
    token = page.input_value("input[name=token]")
    page.fill("#id_code", answer_for(token, a.pk))
    with page.expect_navigation():
        page.locator(".comment-form__submit").click()
    page.locator("#comment-form-errors").wait_for()
    wait_until(page, "() => document.activeElement.id === 'comment-form-errors'")
    assert _focused(page)["text"] == page.inner_text("#comment-form-errors").strip()
    assert page.input_value("#id_name") == "Quick Reader"
    assert Comment.objects.count() == 0


def test_a_code_image_answered_busy_is_asked_for_again_and_shown(page, live_server):
    """A code image answered 503 (the server drawing as many codes as it
    may at once) is asked for again a moment later, and shown."""
    a = f.article("Tram lines")
    asked: list[str] = []

    def first_busy(route):
        asked.append(route.request.url)
        if len(asked) == 1:
            route.fulfill(status=503, headers={"Retry-After": "1"}, body="busy")
        else:
            route.continue_()

    page.route("**/comments/code/*.png*", first_busy)
    page.goto(live_server.url + a.get_absolute_url())
    wait_until(
        page,
        "() => { const i = document.querySelector('[data-code-image]');"
        " return i.complete && i.naturalWidth === 220; }",
    )
    assert len(asked) == 2 and asked[1].endswith("&again=1"), asked


# Records the text put into a live region that was already in the page (a
# region added with its words is not announced by every screen reader).
WATCH_LIVE_REGIONS = """() => {
  window.__announced = [];
  const live = '[role=status],[role=alert],[aria-live]';
  new MutationObserver((changes) => {
    for (const change of changes) {
      const node = change.target.nodeType === 1
        ? change.target : change.target.parentElement;
      const region = node && node.closest(live);
      if (region && region.textContent.trim())
        window.__announced.push(region.textContent.trim());
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
  window.__same_page = true;
}"""


def test_new_code_refused_for_too_many_says_why_where_the_focus_is(
    page, live_server, settings
):
    """WCAG 4.1.3 and 2.4.3: "New code" pressed more often than the network
    may have codes gets the site's 429; the reason is said at once and the
    focus goes to it, beside the button, in the same page with everything
    typed still there. (The script fell back to posting the form, and the
    page came back with the focus lost to the form's #comment-form.)"""
    settings.NEWSROOM_COMMENTS_LIMITS = {
        **settings.NEWSROOM_COMMENTS_LIMITS,
        "CODES_MINTED": (1, 600),
    }
    a = f.article("Harbour dredging", comment_moderation="none")
    page.goto(live_server.url + a.get_absolute_url())
    page.fill("#id_body", "Dredging should wait for the spawning season.")
    page.evaluate(WATCH_LIVE_REGIONS)
    before = page.input_value("input[name=token]")
    page.locator("button[name=new_code]").focus()
    page.keyboard.press("Enter")  # the network's one new code
    wait_until(
        page, f"document.querySelector('input[name=token]').value !== {before!r}"
    )
    wait_until(page, "() => document.activeElement.id === 'id_code'")
    page.keyboard.press("Tab")
    assert _focused(page)["text"] == "New code"
    page.keyboard.press("Enter")  # one too many
    wait_until(
        page, "() => /Too many new codes/.test(document.activeElement.textContent)"
    )
    focused = page.evaluate(
        """() => { const el = document.activeElement;
                   return {role: el.getAttribute('role'), text: el.textContent,
                           inBox: !!el.closest('.comment-form__code')}; }"""
    )
    assert focused["role"] == "alert" and focused["inBox"], focused
    assert re.search(r"wait \d+ (seconds?|minutes)", focused["text"]), focused
    assert page.evaluate("() => window.__same_page === true")
    assert any("Too many new codes" in t for t in page.evaluate("window.__announced"))
    assert (
        page.input_value("#id_body") == "Dredging should wait for the spawning season."
    )


def test_the_automatic_check_refused_for_too_many_says_why_and_when(
    page, live_server, settings
):
    """WCAG 4.1.3 and 3.3.1: the "I'm not a robot" check ticked from the
    keyboard once the network has had as many codes and checks as it may
    (the challenge answers 429 with Retry-After) says why and in how many
    seconds to try again, in a live region beside the check that was there
    before (so a screen reader announces it), with everything typed kept.
    (The widget said only "Verification failed. Try again later.")"""
    settings.NEWSROOM_COMMENTS_LIMITS = {
        **settings.NEWSROOM_COMMENTS_LIMITS,
        "CODES_MINTED": (1, 600),
    }
    a = f.article("Tide tables", comment_moderation="none")
    page.goto(live_server.url + a.get_absolute_url())
    page.fill("#id_body", "The tide tables are a day out.")
    before = page.input_value("input[name=token]")
    page.click("button[name=new_code]")  # the network's one new code
    wait_until(
        page, f"document.querySelector('input[name=token]').value !== {before!r}"
    )
    region = page.locator("[data-proof-status]")
    assert region.get_attribute("role") == "alert"
    assert region.inner_text().strip() == ""
    page.evaluate(WATCH_LIVE_REGIONS)
    page.locator("#id_code").focus()
    _tab_to(page, "return el && el.closest && !!el.closest('altcha-widget');")
    page.keyboard.press("Space")
    wait_until(page, "() => /Too many/.test(window.__announced.join(' '))")
    said = region.inner_text()
    assert re.search(r"try again in \d+ (seconds|minutes)", said), said
    assert "kept" in said
    assert page.evaluate("() => window.__same_page === true")
    assert page.input_value("#id_body") == "The tide tables are a day out."


def test_new_code_falling_back_to_the_form_keeps_the_focus_on_the_refusal(
    page, live_server, settings
):
    """When the request for a new code fails (the network, a proxy), the
    script posts the form as without scripts; the server's refusal (429, too
    many codes) comes back focused, as any refusal does. (The form was sent
    with its #comment-form, whose move took the focus back to the page.)"""
    settings.NEWSROOM_COMMENTS_LIMITS = {
        **settings.NEWSROOM_COMMENTS_LIMITS,
        "CODES_MINTED": (1, 600),
    }
    a = f.article("Quay lights", comment_moderation="none")
    page.goto(live_server.url + a.get_absolute_url())
    page.fill("#id_body", "The quay lights went out again.")
    before = page.input_value("input[name=token]")
    page.click("button[name=new_code]")  # the network's one new code
    wait_until(
        page, f"document.querySelector('input[name=token]').value !== {before!r}"
    )
    page.route("**/comments/code/new*", lambda route: route.abort())
    with page.expect_navigation():
        page.click("button[name=new_code]")
    page.locator("#comment-form-notice").wait_for()
    wait_until(page, "() => document.activeElement.id === 'comment-form-notice'")
    assert "Too many new codes" in _focused(page)["text"]
    assert page.input_value("#id_body") == "The quay lights went out again."


def test_a_report_is_thanked_in_a_live_region_and_the_focus_stays_on_the_comment(
    page, live_server
):
    """WCAG 4.1.3: a reader reports a comment from the keyboard; the
    thank-you is put in a live region that was there before (so a screen
    reader announces it), beside the button, and the focus stays on the
    button in the same page. (The report posted the page away and back: the
    thank-you sat above the comments, present on load, so nothing announced
    it, and the focus was lost to the page.)"""
    a = f.article("Ferry fares", comment_moderation="none")
    other = Comment.objects.create(
        article=a, name="Bo", body="An earlier comment.", status=Comment.Status.APPROVED
    )
    comment = Comment.objects.create(
        article=a, name="Cy", body="Fares are too high.", status=Comment.Status.APPROVED
    )
    recount([a.pk])  # the page lists comments once the article counts them
    # A reader's browser: headless Chromium's own user agent names a bot,
    # whose reports count for nothing.
    page.set_extra_http_headers({"User-Agent": "Mozilla/5.0 (X11; Linux) Chrome/130"})
    page.goto(live_server.url + a.get_absolute_url())
    page.evaluate(WATCH_LIVE_REGIONS)
    button = page.locator(f"#comment-{comment.pk} .comment__report button")
    button.focus()
    page.keyboard.press("Enter")
    wait_until(
        page,
        "() => (window.__announced || []).some(t => t.includes('Thank you'))",
    )
    assert page.evaluate("() => window.__same_page === true")
    where = page.evaluate(
        "() => document.activeElement.closest('li') && "
        "document.activeElement.closest('li').id"
    )
    assert where == f"comment-{comment.pk}"
    assert "Reported" in _focused(page)["text"]
    status = page.locator(f"#comment-{comment.pk} [role=status]")
    assert "moderator will look" in status.inner_text()
    comment.refresh_from_db()
    other.refresh_from_db()
    assert (comment.report_count, other.report_count) == (1, 0)
    # Pressed again, it neither counts twice nor leaves the page.
    page.keyboard.press("Enter")
    assert page.evaluate("() => window.__same_page === true")
