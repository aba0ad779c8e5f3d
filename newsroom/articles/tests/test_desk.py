"""The desk: roles, the review workflow, soft locks, curation, shared previews."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from newsroom.articles.desk import Pin, PreviewLink, Transition, curated_ids
from newsroom.articles.models import Article
from newsroom.articles.tests import factories as f

from .desk_helpers import account, form_data, logged_in

pytestmark = pytest.mark.django_db

ADD = "/admin/articles/article/add/"


def change_url(a: Article) -> str:
    return f"/admin/articles/article/{a.pk}/change/"


def new_story(client, headline="A reporter's first draft", **changes) -> Article:
    f.section("World")
    html = client.get(ADD).content.decode()
    data = form_data(
        html,
        headline=headline,
        slug="",
        body="Line one.\r\n\r\nLine two.",
        section=str(f.section("World").pk),
        **changes,
    )
    data["slug"] = headline.lower().replace(" ", "-").replace("'", "")
    response = client.post(ADD, data)
    assert response.status_code in (200, 302)
    return Article.objects.filter(headline=headline).first(), response


# --- roles --------------------------------------------------------------


def test_the_four_roles_exist_with_their_permissions():
    from django.contrib.auth.models import Group

    from newsroom.articles.roles import sync_roles

    sync_roles()
    perms = {
        g.name: {
            f"{p.content_type.app_label}.{p.codename}" for p in g.permissions.all()
        }
        for g in Group.objects.prefetch_related("permissions__content_type")
    }
    assert "articles.add_article" in perms["Reporter"]
    assert "articles.publish_article" not in perms["Reporter"]
    assert "articles.edit_others_article" not in perms["Reporter"]
    assert {"articles.publish_article", "articles.add_pin"} <= perms["Editor"]
    assert all(p.startswith("comments.") for p in perms["Comment moderator"])
    assert "auth.change_user" in perms["Administrator"]


def test_create_editor_gives_a_role_and_never_superuser_unless_asked():
    out = __import__("io").StringIO()
    call_command(
        "create_editor", "rita", "--role", "reporter", "--generate", stdout=out
    )
    rita = User.objects.get(username="rita")
    assert rita.is_staff and not rita.is_superuser
    assert [g.name for g in rita.groups.all()] == ["Reporter"]
    assert not rita.has_perm("articles.publish_article")
    call_command("create_editor", "root", "--superuser", "--generate", stdout=out)
    assert User.objects.get(username="root").is_superuser


# --- a reporter can't publish, through any door ------------------------------


def test_a_reporter_writes_a_draft_and_cannot_publish_it_through_the_admin():
    rita = logged_in(account("rita", "reporter"))
    html = rita.get(ADD).content.decode()
    assert 'value="published"' not in html and 'value="review"' in html
    story, _ = new_story(rita)
    assert story.status == "draft" and story.created_by.username == "rita"
    # A crafted POST naming "published" is refused by the form.
    data = form_data(rita.get(change_url(story)).content.decode(), status="published")
    response = rita.post(change_url(story), data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    story.refresh_from_db()
    assert story.status == "draft"
    assert not Article.objects.published().filter(pk=story.pk).exists()


def test_a_reporter_cannot_publish_with_a_bulk_action():
    rita = logged_in(account("rita", "reporter"))
    story, _ = new_story(rita)
    response = rita.post(
        "/admin/articles/article/",
        {"action": "publish", "_selected_action": [story.pk], "index": 0},
    )
    assert response.status_code in (200, 302)
    story.refresh_from_db()
    assert story.status == "draft"


def test_a_reporter_cannot_see_or_edit_another_reporters_story():
    other = f.article("Someone else's draft", status="draft")
    other.created_by = account("sam", "reporter")
    other.save()
    rita = logged_in(account("rita", "reporter"))
    listing = rita.get("/admin/articles/article/").content.decode()
    assert "Someone else&#x27;s draft" not in listing
    assert rita.get(change_url(other)).status_code in (302, 403)
    rita.post(change_url(other), {"headline": "Hijacked"})
    other.refresh_from_db()
    assert other.headline == "Someone else's draft"
    assert rita.get(f"/preview/{other.pk}/").status_code == 403


def test_a_reporter_submits_then_the_story_belongs_to_the_desk():
    rita = logged_in(account("rita", "reporter"))
    story, _ = new_story(rita)
    data = form_data(
        rita.get(change_url(story)).content.decode(),
        status="review",
        workflow_note="Ready: two sources checked.",
    )
    assert rita.post(change_url(story), data).status_code == 302
    story.refresh_from_db()
    assert story.status == "review"
    move = Transition.objects.get(article=story)
    assert (move.from_status, move.to_status, move.user.username) == (
        "draft",
        "review",
        "rita",
    )
    assert move.note == "Ready: two sources checked." and move.label == (
        "submitted for review"
    )
    # Submitted: the reporter may read it but not change it any more.
    data["headline"] = "Changed after submitting"
    rita.post(change_url(story), data)
    story.refresh_from_db()
    assert story.headline == "A reporter's first draft"


def test_a_comment_moderator_works_only_the_comment_queues():
    mo = logged_in(account("mo", "moderator"))
    a = f.article("Some story")
    assert mo.get("/admin/articles/article/").status_code == 403
    assert mo.get(change_url(a)).status_code == 403
    assert mo.get("/admin/comments/comment/").status_code == 200


# --- the editor's side of the workflow ---------------------------------------


def test_an_editor_sends_back_with_a_note_then_publishes_and_the_queue_shows_it():
    rita = logged_in(account("rita", "reporter"))
    story, _ = new_story(rita)
    story.status = "review"
    story.save()
    ed = logged_in(account("eddie", "editor"))
    queue = ed.get("/admin/articles/reviewqueue/").content.decode()
    assert "A reporter&#x27;s first draft" in queue
    assert rita.get("/admin/articles/reviewqueue/").status_code == 403

    data = form_data(
        ed.get(change_url(story)).content.decode(),
        status="draft",
        workflow_note="Needs a second source for the figure.",
    )
    assert ed.post(change_url(story), data).status_code == 302
    back = Transition.objects.filter(article=story).first()
    assert back.label == "sent back" and "second source" in back.note

    data = form_data(ed.get(change_url(story)).content.decode(), status="published")
    assert ed.post(change_url(story), data).status_code == 302
    story.refresh_from_db()
    assert story.is_public
    assert Transition.objects.filter(article=story).first().label == "published"
    # The history is on the story.
    assert "Needs a second source" in ed.get(change_url(story)).content.decode()


def test_scheduling_without_a_future_time_is_refused_with_a_message():
    ed = logged_in(account("eddie", "editor"))
    story, response = new_story(
        ed, status="scheduled", published_at_0="", published_at_1=""
    )
    assert story is None
    assert "needs a publication time in the future" in response.content.decode()
    past = timezone.now() - timedelta(days=1)
    story, response = new_story(
        ed,
        status="scheduled",
        published_at_0=past.strftime("%Y-%m-%d"),
        published_at_1=past.strftime("%H:%M:%S"),
    )
    assert story is None


def test_a_save_that_changes_nothing_records_no_revision_and_keeps_line_endings():
    ed = logged_in(account("eddie", "editor"))
    story, _ = new_story(ed)
    assert "\r" not in story.body
    revisions = story.history.count()
    data = form_data(ed.get(change_url(story)).content.decode())
    assert "\r\n" in data["body"]  # as a browser sends it
    assert ed.post(change_url(story), data).status_code == 302
    story.refresh_from_db()
    assert story.history.count() == revisions
    assert "\r" not in story.body


def test_bulk_actions_publish_unpublish_move_and_tag():
    ed = logged_in(account("eddie", "editor"))
    a = f.article("Bulk one", status="draft")
    b = f.article("Bulk two", status="draft")
    science = f.section("Science")
    tag = f.tag("Budget")
    url = "/admin/articles/article/"
    ed.post(url, {"action": "publish", "_selected_action": [a.pk, b.pk]})
    assert Article.objects.published().filter(pk__in=[a.pk, b.pk]).count() == 2
    ed.post(
        url,
        {
            "action": "move_to_section",
            "_selected_action": [a.pk],
            "section": science.pk,
        },
    )
    ed.post(url, {"action": "add_tag", "_selected_action": [a.pk, b.pk], "tag": tag.pk})
    a.refresh_from_db()
    assert a.section == science and set(tag.articles.all()) == {a, b}
    ed.post(url, {"action": "unpublish", "_selected_action": [b.pk]})
    b.refresh_from_db()
    assert b.status == "draft" and not b.is_public
    assert Transition.objects.get(article=b, to_status="draft").label == "unpublished"


# --- two editors on one story -------------------------------------------------


def test_a_second_editor_is_warned_and_a_stale_save_is_refused_keeping_the_text():
    story = f.article("Contested story")
    one = logged_in(account("one", "editor"))
    two = logged_in(account("two", "editor"))
    first_form = form_data(one.get(change_url(story)).content.decode())
    page = two.get(change_url(story), follow=True).content.decode()
    assert "also has this story open" in page and "one" in page

    second = form_data(page, headline="Two's headline")
    assert two.post(change_url(story), second).status_code == 302

    first_form["body"] = "One's careful rewrite of the whole story."
    response = one.post(change_url(story), first_form)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Someone saved this story after you opened it" in html
    assert "One&#x27;s careful rewrite of the whole story." in html  # text kept
    story.refresh_from_db()
    assert story.headline == "Two's headline"
    assert "careful rewrite" not in story.body


@pytest.mark.parametrize("gone", ["deleted", "deactivated", "signed out"])
def test_a_save_from_an_account_gone_meanwhile_keeps_the_text_and_saves_nothing(
    gone,
):
    """An editor's account is deleted or switched off (or the browser signed
    out in another tab) while a story is open; Save answers 403 with a page
    that says nothing was saved and shows the text typed, to copy. It was
    Django's redirect to the sign-in page, which dropped what was sent: the
    editor's text lost without a word."""
    story = f.article("A story left open", body="The text as it was.")
    user = account("eddie", "editor")
    editor = logged_in(user)
    data = form_data(
        editor.get(change_url(story)).content.decode(),
        headline="A headline typed while the account went",
        body="Paragraphs typed while the account went.\r\n\r\nA second one.",
    )
    if gone == "deleted":
        user.delete()
    elif gone == "deactivated":
        User.objects.filter(pk=user.pk).update(is_active=False)
    else:
        editor.logout()
    response = editor.post(change_url(story), data)
    html = response.content.decode()
    assert response.status_code == 403
    assert "Nothing was saved" in html
    assert "A headline typed while the account went" in html
    assert "Paragraphs typed while the account went." in html
    assert "csrfmiddlewaretoken" not in html and "TOTAL_FORMS" not in html
    assert "__prefix__" not in html and "initial-notes" not in html
    assert "/admin/login/?next=" in html
    story.refresh_from_db()
    assert story.body == "The text as it was."
    # An address opened (not a form sent) still leads to the sign-in page.
    assert editor.get(change_url(story)).status_code == 302


def test_a_save_from_an_account_whose_role_went_meanwhile_keeps_the_text():
    """An editor's role is taken away while a story is open; Save answers
    403 with a page that says nothing was saved, why, and shows the text
    typed, to copy. It was the site's "You can't open this page", the text
    lost. A page opened (not a form sent) is still refused as before."""
    story = f.article("A story left open", body="The text as it was.")
    user = account("eddie", "editor")
    editor = logged_in(user)
    data = form_data(
        editor.get(change_url(story)).content.decode(),
        body="Paragraphs typed while the role went.",
    )
    user.groups.clear()
    response = editor.post(change_url(story), data)
    html = response.content.decode()
    assert response.status_code == 403
    assert "Nothing was saved" in html and "its role may have changed" in html
    assert "Paragraphs typed while the role went." in html
    story.refresh_from_db()
    assert story.body == "The text as it was."
    opened = editor.get(change_url(story))
    assert opened.status_code == 403 and "Nothing was saved" not in (
        opened.content.decode()
    )


def test_the_preview_endpoint_says_why_it_refused():
    """The writing view's preview asks /render/ as the text changes: a
    browser signed out meanwhile gets 403 with ``X-Not-Saved: signed-out``,
    an account whose role went gets ``not-allowed``, so the page can say
    which (it stopped without a word)."""
    user = account("eddie", "editor")
    editor = logged_in(user)
    url = "/admin/articles/article/render/"
    answer = editor.post(url, {"body": "*Words*"})
    assert answer.status_code == 200 and "<em>Words</em>" in answer.json()["html"]
    assert "X-Not-Saved" not in answer
    user.groups.clear()
    refused = editor.post(url, {"body": "*Words*"})
    assert refused.status_code == 403 and refused["X-Not-Saved"] == "not-allowed"
    editor.logout()
    gone = editor.post(url, {"body": "*Words*"})
    assert gone.status_code == 403 and gone["X-Not-Saved"] == "signed-out"


def test_the_preview_follows_the_body_limit_and_says_when_it_is_passed(settings):
    """The preview renders as much of the body as a story may have
    (NEWSROOM_ARTICLE_BODY_MAX_CHARS, not a fixed 200,000) and, past it, says
    what the Save will refuse, with both lengths. It cut a longer body
    allowed by the setting at 200,000 characters, and said nothing of a body
    the Save would refuse."""
    editor = logged_in(account("eddie", "editor"))
    url = "/admin/articles/article/render/"
    settings.NEWSROOM_ARTICLE_BODY_MAX_CHARS = 300_000
    long = "word " * 50_000 + "LASTWORD"
    answer = editor.post(url, {"body": long}).json()
    assert "LASTWORD" in answer["html"] and answer["too_long"] == ""
    settings.NEWSROOM_ARTICLE_BODY_MAX_CHARS = 50
    answer = editor.post(url, {"body": "a" * 49 + " " + "b" * 30}).json()
    assert "bbbb" not in answer["html"]
    assert "80 characters" in answer["too_long"] and "50" in answer["too_long"]


def test_the_preview_says_the_length_the_page_sent_beside_a_cut_body(settings):
    """The page sends at most the first 500,000 characters of a body and
    the whole body's length beside them (a longer paste is past what a
    request may carry): the note says that length. A length that is no
    number, or absurd, is not a 500."""
    editor = logged_in(account("eddie", "editor"))
    url = "/admin/articles/article/render/"
    settings.NEWSROOM_ARTICLE_BODY_MAX_CHARS = 50
    answer = editor.post(url, {"body": "a" * 60, "length": "3000004"}).json()
    assert "The body is 3,000,004 characters long" in answer["too_long"]
    for hostile in ("-5", "1e9", "\u0663", "9" * 5000, ""):
        answer = editor.post(url, {"body": "a" * 60, "length": hostile})
        assert answer.status_code == 200, hostile
        too_long = answer.json()["too_long"]
        assert too_long.startswith("The body is ") and len(too_long) < 300, hostile


# --- the front page -----------------------------------------------------------


def test_a_pinned_story_leads_the_home_page_until_its_pin_expires(client):
    old = f.article(
        "An older story an editor chose to lead",
        published_at=(timezone.now() - timedelta(days=3)),
    )
    f.article("The newest story")
    assert "The newest story" in _lead(client)
    pin = Pin.objects.create(article=old, position=0)
    assert "An older story an editor chose" in _lead(client)
    assert pin.history.count() == 1  # audited like other changes
    pin.expires_at = timezone.now() - timedelta(seconds=1)
    pin.save()
    assert "The newest story" in _lead(client)
    assert curated_ids() == []


def _lead(client) -> str:
    html = client.get("/").content.decode()
    start = html.index('class="front__lead"')
    return html[start : start + 2000]


def test_a_section_pin_leads_that_section_first_and_only_while_public(client):
    old = f.article(
        "Section's chosen story", published_at=(timezone.now() - timedelta(days=5))
    )
    f.article("Newest in the section")
    Pin.objects.create(article=old, section=old.section, position=0)
    html = client.get(old.section.get_absolute_url()).content.decode()
    assert html.index("Section&#x27;s chosen story") < html.index(
        "Newest in the section"
    )
    old.status = "draft"
    old.save()
    assert (
        "Section&#x27;s chosen"
        not in client.get(old.section.get_absolute_url()).content.decode()
    )


# --- previews that can be shared -------------------------------------------------


def test_a_shared_preview_link_shows_a_draft_without_an_account_and_can_be_refused(
    client,
):
    draft = f.article("An embargoed draft", status="draft")
    ed = logged_in(account("eddie", "editor"))
    form = ed.get(change_url(draft)).content.decode()
    assert f"/admin/articles/article/{draft.pk}/share-preview/" in form
    response = ed.post(
        f"/admin/articles/article/{draft.pk}/share-preview/", follow=True
    )
    url = next(
        str(m) for m in response.context["messages"] if "/preview/s/" in str(m)
    ).split(": ", 1)[1]
    path = url[url.index("/preview/s/") :]
    shown = client.get(path)
    assert shown.status_code == 200
    assert "An embargoed draft" in shown.content.decode()
    assert shown["X-Robots-Tag"].startswith("noindex")
    assert "no-store" in shown["Cache-Control"]

    tampered = path[:-3] + ("x" if path[-3] != "x" else "y") + path[-2:]
    assert client.get(tampered).status_code == 403
    link = PreviewLink.objects.get()
    link.expires_at = timezone.now() - timedelta(seconds=1)
    link.save()
    assert client.get(path).status_code == 403
    link.expires_at = timezone.now() + timedelta(days=1)
    link.revoked = True
    link.save()
    refused = client.get(path)
    assert refused.status_code == 403
    assert "not valid" in refused.content.decode()
    # The public page still does not have it.
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_the_writing_view_renders_markdown_with_the_sites_sanitiser():
    rita = logged_in(account("rita", "reporter"))
    html = rita.get(ADD).content.decode()
    assert "articles/admin-writing.js" in html
    out = rita.post(
        "/admin/articles/article/render/",
        {"body": "> quoted\n\n<script>alert(1)</script> **bold**"},
    ).json()["html"]
    assert "<blockquote>" in out and "<strong>bold</strong>" in out
    assert "<script" not in out


def test_a_signed_in_reporter_cannot_publish_through_the_api_either():
    """The API has no route that writes articles: a reporter's session (or
    anyone's) posting, putting or deleting there changes nothing."""
    rita = logged_in(account("rita", "reporter"))
    story, _ = new_story(rita)
    for method in ("post", "put", "patch", "delete"):
        for url in (f"/api/v1/articles/{story.pk}", "/api/v1/articles"):
            response = getattr(rita, method)(
                url,
                data='{"status": "published"}',
                content_type="application/json",
            )
            assert response.status_code in (403, 404, 405), (method, url)
    story.refresh_from_db()
    assert story.status == "draft"
    # Nor does the reporter's preview open another reporter's draft or a
    # published page for the draft exist.
    assert rita.get(story.get_absolute_url()).status_code == 404


def test_a_bulk_move_to_a_section_that_does_not_exist_is_a_message_not_a_500():
    """The action bar's form refuses a junk section or tag before the action
    runs; the action itself also reads a junk value as none (no 500)."""
    ed = logged_in(account("eddie", "editor"))
    a = f.article("Stays where it is")
    for junk in ("abc", "999999", "1 OR 1=1"):
        response = ed.post(
            "/admin/articles/article/",
            {"action": "move_to_section", "_selected_action": [a.pk], "section": junk},
            follow=True,
        )
        assert response.status_code == 200
        assert "No action selected" in response.content.decode()
        response = ed.post(
            "/admin/articles/article/",
            {"action": "add_tag", "_selected_action": [a.pk], "tag": junk},
            follow=True,
        )
        assert response.status_code == 200
    a.refresh_from_db()
    assert a.section.name == "World" and not a.tags.exists()
    # Called directly (as another admin site or a script would), it says so.
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.test import RequestFactory

    from newsroom.articles.admin import ArticleAdmin
    from newsroom.articles.admin_desk import move_to_section

    request = RequestFactory().post("/", {"section": "abc"})
    request.user = User.objects.get(username="eddie")
    request.session = {}
    request._messages = FallbackStorage(request)
    model_admin = ArticleAdmin(Article, __import__("django").contrib.admin.site)
    move_to_section(model_admin, request, Article.objects.filter(pk=a.pk))
    assert [str(m) for m in request._messages] == [
        "Choose a section in the action bar first."
    ]


@pytest.mark.django_db(transaction=True)
def test_two_editors_saving_the_same_version_at_once_one_wins_one_is_refused():
    """Two saves based on the same version, released at a barrier: exactly one
    is stored; the other is refused with its text kept (on PostgreSQL the
    version check locks the row, so they cannot both pass it)."""
    import threading

    from django.db import connections

    story = f.article("Contested at the same instant")
    clients = [logged_in(account(name, "editor")) for name in ("one", "two")]
    forms = [
        form_data(c.get(change_url(story)).content.decode(), headline=f"By {n}")
        for c, n in zip(clients, ("one", "two"), strict=True)
    ]
    start = threading.Barrier(2)
    results: dict[str, tuple[int, str]] = {}

    def save(name, client, data):
        try:
            start.wait(timeout=30)
            response = client.post(change_url(story), data)
            results[name] = (response.status_code, response.content.decode())
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=save, args=(n, c, d))
        for n, c, d in zip(("one", "two"), clients, forms, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    codes = sorted(code for code, _ in results.values())
    assert codes == [200, 302], codes
    loser = next(n for n, (code, _) in results.items() if code == 200)
    winner = "two" if loser == "one" else "one"
    assert "Someone saved this story after you opened it" in results[loser][1]
    assert f"By {loser}" in results[loser][1]  # the refused text is kept
    story.refresh_from_db()
    assert story.headline == f"By {winner}"


@pytest.mark.django_db(transaction=True)
def test_two_editors_publishing_the_same_drafts_at_once_record_one_move_each():
    """Two editors press "Publish selected" on the same five drafts at once (a
    barrier): each story is published once, with one "published" move in its
    workflow history. Each action read the rows before the other's commit,
    so every story had two draft → published moves, by both editors."""
    import threading

    from django.db import connections

    drafts = [f.article(f"Bulk race {n}", status="draft") for n in range(5)]
    ids = [a.pk for a in drafts]
    clients = [logged_in(account(name, "editor")) for name in ("one", "two")]
    start = threading.Barrier(2)
    codes: list[int] = []

    def publish(client):
        try:
            start.wait(timeout=30)
            data = {"action": "publish", "_selected_action": ids}
            codes.append(client.post("/admin/articles/article/", data).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=publish, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert codes == [302, 302]
    assert Article.objects.published().filter(pk__in=ids).count() == 5
    for pk in ids:
        moves = Transition.objects.filter(article_id=pk, to_status="published")
        assert moves.count() == 1, pk


@pytest.mark.django_db(transaction=True)
def test_a_bulk_publish_never_writes_back_an_edit_saved_meanwhile():
    """An editor saves a story's new text while another's bulk publish of it
    (and others) is under way: the text stays. The action read every row
    first and saved each whole, so a save that committed in between was
    overwritten with the old text, and its editor had been told it was saved."""
    import threading
    import time

    from django.db import connections
    from django.db.models.signals import post_save

    if connections["default"].vendor != "postgresql":
        pytest.skip("SQLite's IMMEDIATE transactions serialise the two writers")
    stories = [f.article(f"Bulk edit {n}", status="draft") for n in range(2)]
    ed = logged_in(account("eddie", "editor"))
    other: list[threading.Thread] = []
    edited: list[int] = []

    def edit_meanwhile(pk: int) -> None:
        try:
            Article.objects.filter(pk=pk).update(body="The corrected text.")
        finally:
            connections.close_all()

    def on_save(sender, instance, **kwargs) -> None:
        # The action has saved its first story and not yet the other: another
        # editor's save of the other one commits now, if it can.
        if not other:
            edited.extend(s.pk for s in stories if s.pk != instance.pk)
            other.append(threading.Thread(target=edit_meanwhile, args=edited))
            other[0].start()
            time.sleep(0.5)

    post_save.connect(on_save, sender=Article, dispatch_uid="test-bulk-edit")
    try:
        data = {"action": "publish", "_selected_action": [s.pk for s in stories]}
        assert ed.post("/admin/articles/article/", data).status_code == 302
    finally:
        post_save.disconnect(sender=Article, dispatch_uid="test-bulk-edit")
    other[0].join(timeout=30)
    story = Article.objects.get(pk=edited[0])
    assert story.status == Article.Status.PUBLISHED
    assert story.body == "The corrected text."


@pytest.mark.parametrize(
    "args",
    [
        ("",),
        ("   ",),
        ("two words",),
        ("b\udcffob",),
        ("x" * 151,),
        ("ana", "--email", "not an address"),
    ],
    ids=["empty", "blank", "space", "not utf-8", "too long", "bad email"],
)
def test_create_editor_refuses_a_name_or_email_the_site_would_refuse(args):
    """create_editor checks the username as the user model does (letters,
    digits and @.+-_, at most 150) and the email as an address, in one line
    and with no account made. It made a staff account named "" or "two
    words" (that the sign-in form then refuses), took any text as an email,
    and a name that was not UTF-8 ended in a UnicodeEncodeError traceback."""
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="username|email"):
        call_command("create_editor", *args, "--generate", stdout=io.StringIO())
    assert not User.objects.exists()


def test_the_not_saved_page_never_shows_a_password_that_was_sent():
    """The "Nothing was saved" page shows what a signed-out browser sent, to
    copy; a password form sent that way (an account's "change password",
    the two-factor enrolment) must not put the passwords on a page, where
    they would sit in a textarea for anyone at the screen."""
    user = account("eddie", "editor")
    editor = logged_in(user)
    page = editor.get("/admin/password_change/")
    assert page.status_code == 200
    data = form_data(
        page.content.decode(),
        old_password="the-old-secret-1",
        new_password1="the-new-secret-2",
        new_password2="the-new-secret-2",
    )
    editor.logout()
    response = editor.post("/admin/password_change/", data)
    html = response.content.decode()
    assert response.status_code == 403 and "Nothing was saved" in html
    assert "the-old-secret-1" not in html and "the-new-secret-2" not in html
