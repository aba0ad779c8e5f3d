"""The reader's path through the comment form in a real Chromium."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from conftest import wait_until
from newsroom.articles.models import Article
from newsroom.articles.tests import factories as f
from newsroom.comments.confirmation import answer_for
from newsroom.comments.models import Comment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

XSS = [
    "<script>window.__xss=1;alert(1)</script>",
    '<img src=x onerror="alert(2)" id="xss-img">',
    '"><svg onload=alert(3) id="xss-svg">',
    "javascript:alert(4)",
    "[click](javascript:alert(5))",
    "<a href=\"javascript:alert(6)\" id='xss-a'>x</a>",
    "<iframe src=javascript:alert(7) id=xss-frame></iframe>",
    "'';!--\"<XSS>=&{()}",
    "<body onload=alert(8)>",
    'https://example.org/"onmouseover="alert(9)',
    "<details open ontoggle=alert(10)>",
    "{{ 7*7 }} {% now 'Y' %}",
]


@pytest.fixture
def roomy(settings):
    """One browser posts many comments: lift the per-network limit for it."""
    settings.NEWSROOM_COMMENTS_LIMITS = {
        **settings.NEWSROOM_COMMENTS_LIMITS,
        "RATE_NETWORK": (1000, 60),
        "RATE_ARTICLE": (1000, 60),
    }


def fill(page, article, name: str, body: str, code: str | None = None) -> None:
    page.fill("#id_name", name)
    page.fill("#id_body", body)
    token = page.input_value("input[name=token]")
    page.fill("#id_code", code if code is not None else answer_for(token, article.pk))


def approve_from_email(page, live_server) -> None:
    """Open the newest moderator email's approve link and confirm it."""
    link = re.search(r"Approve: (\S+)", mail.outbox[-1].body).group(1)
    page.goto(live_server.url + link[link.index("/comments/") :])
    page.get_by_role("button", name="Approve").click()
    page.get_by_text("The comment is now").wait_for()


def test_wrong_code_then_right_code_then_approval_then_reply_then_replay(
    page, live_server, roomy
):
    """Wrong code keeps the text; right code awaits moderation; approval shows it;
    the same browser's reply is published at once and sits under its parent; a
    replayed code is refused."""
    a = f.article("Council votes on the bridge")
    url = live_server.url + a.get_absolute_url()
    page.goto(url)
    page.get_by_text("Please fill the fields below.").wait_for()

    fill(page, a, "Ada Reader", "The bridge vote was long overdue.", code="nope")
    page.click(".comment-form__submit")
    assert "was not right" in page.inner_text("#code-error")
    assert page.input_value("#id_name") == "Ada Reader"
    assert page.input_value("#id_body") == "The bridge vote was long overdue."

    # "New code" (script on) swaps the code and leaves the text alone.
    before = page.input_value("input[name=token]")
    page.click("button[name=new_code]")
    wait_until(
        page, f"document.querySelector('input[name=token]').value !== {before!r}"
    )
    assert page.input_value("#id_body") == "The bridge vote was long overdue."

    token = page.input_value("input[name=token]")
    code = answer_for(token, a.pk)
    page.fill("#id_code", code.lower())
    page.click(".comment-form__submit")
    page.get_by_text("awaiting moderation").wait_for()
    assert "Total Comments (0)" in page.content()

    approve_from_email(page, live_server)
    page.goto(url)
    assert "Total Comments (1)" in page.inner_text("#comments-total")
    parent = Comment.objects.get()
    item = page.locator(f"#comment-{parent.pk}")
    assert "The bridge vote was long overdue." in item.inner_text()

    item.get_by_role("link", name=re.compile("Reply")).click()
    page.get_by_text("Replying to").wait_for()
    fill(page, a, "Bo Replier", "I agree with Ada.")
    page.click(".comment-form__submit")
    # This browser's earlier comment was approved: its signed cookie lets the
    # next one up at once ("first-time" moderation).
    page.get_by_text("your comment is published").wait_for()
    page.goto(url)
    assert "Total Comments (2)" in page.inner_text("#comments-total")
    reply = Comment.objects.get(name="Bo Replier")
    assert reply.parent_id == parent.pk
    row = page.locator(f"#comment-{reply.pk}")
    assert row.get_attribute("data-depth") == "1"
    order = page.eval_on_selector_all(
        ".comments__list > li", "els => els.map(e => e.id)"
    )
    assert order == [f"comment-{parent.pk}", f"comment-{reply.pk}"]

    # Replay: the spent token and its answer, sent again from the form.
    fill(page, a, "Cy Replayer", "Trying an old code again.")
    page.eval_on_selector("input[name=token]", "(el, t) => el.value = t", token)
    page.fill("#id_code", code)
    page.click(".comment-form__submit")
    assert "already used" in page.inner_text("#code-error")
    assert page.input_value("#id_body") == "Trying an old code again."
    assert Comment.objects.count() == 2


def test_xss_payloads_in_names_and_bodies_render_as_inert_text(
    page, live_server, roomy
):
    """Hostile names and bodies show as text: no dialog, no injected element."""
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    a = f.article("Open thread", comment_moderation=Article.Moderation.NONE)
    url = live_server.url + a.get_absolute_url()
    for i, payload in enumerate(XSS[:4]):  # through the real form
        page.goto(url)
        fill(page, a, payload[:80], f"{payload} #{i}")
        page.click(".comment-form__submit")
        page.get_by_text("your comment is published").wait_for()
    for i, payload in enumerate(XSS[4:], start=4):  # the same rendering path
        Comment.objects.create(
            article=a,
            name=payload[:80],
            body=f"{payload} #{i}",
            status=Comment.Status.APPROVED,
        )
    Article.objects.filter(pk=a.pk).update(comment_count=len(XSS))
    page.goto(url)
    page.wait_for_load_state("load")
    page.locator(".comments__list").hover()
    page.wait_for_timeout(200)
    assert dialogs == []
    assert page.evaluate("window.__xss") is None
    injected = page.evaluate(
        """() => {
        const list = document.querySelector('.comments__list');
        const bad = list.querySelectorAll(
          'script, img, svg, iframe, details, body, xss, [id^=xss]');
        const handlers = [...list.querySelectorAll('*')].filter(
          el => [...el.attributes].some(a => a.name.startsWith('on')));
        const links = [...list.querySelectorAll('a[href]')].filter(
          a => !/^(https?:|#|\\?)/.test(a.getAttribute('href')));
        return bad.length + handlers.length + links.length;
    }"""
    )
    assert injected == 0
    text = page.inner_text(".comments__list")
    for payload in XSS:
        assert payload.split("\n")[0][:20] in text
    assert "{{ 7*7 }}" in text
    assert len(Comment.objects.filter(article=a)) == len(XSS)
