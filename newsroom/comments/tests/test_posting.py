"""Posting a comment through the real views: nothing lost, clear refusals."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import OperationalError
from django.test import Client

from newsroom.articles.models import Article
from newsroom.articles.tests import factories as f
from newsroom.comments.intake import with_retry
from newsroom.comments.models import Comment, ReplyConsent
from newsroom.comments.tests.helpers import form_data, post

pytestmark = pytest.mark.django_db

TYPED = {
    "name": "Zoë <Reader>",
    "email": "zoe@example.org",
    "body": "My long considered view,\n\nin two paragraphs & more.",
}


def assert_kept(html: str) -> None:
    assert 'value="Zoë &lt;Reader&gt;"' in html
    assert 'value="zoe@example.org"' in html
    assert (
        "My long considered view,\n\nin two paragraphs &amp; more.</textarea>" in html
    )


def test_success_redirects_and_says_awaiting_moderation(client):
    """A good post is stored as pending, answers 303, then the page says so."""
    a = f.article()
    response = post(client, a, **TYPED)
    assert response.status_code == 303
    assert response["Location"] == a.get_absolute_url() + "#comments"
    comment = Comment.objects.get()
    assert comment.status == Comment.Status.PENDING
    assert comment.network == "127.0.0.0/24" and comment.email == "zoe@example.org"
    page = client.get(response["Location"]).content.decode()
    assert "awaiting moderation" in page
    assert "Total Comments (0)" in page  # pending comments are not counted


def test_wrong_code_keeps_every_field_and_shows_the_message_by_the_code(client):
    """A wrong code answers 400 with the article, the typed text and a new code."""
    a = f.article("A story to comment on")
    data = form_data(client, a, **TYPED, code="WRONG", notify_replies="on")
    response = client.post(f"/comments/post/{a.pk}/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "A story to comment on" in html
    assert_kept(html)
    assert 'name="notify_replies" checked' in html
    assert 'id="code-error"' in html and "was not right" in html
    assert data["token"] not in html  # a new code replaces the failed one
    assert not Comment.objects.exists()
    # The failed code is spent: trying it again with the right answer fails too.
    from newsroom.comments.confirmation import answer_for

    data["code"] = answer_for(data["token"], a.pk)
    again = client.post(f"/comments/post/{a.pk}/", data)
    assert again.status_code == 400 and again["X-Comment-Refusal"] == "code_used"


def test_replayed_code_is_refused(client):
    """The same solved code posted twice stores one comment only."""
    a = f.article()
    data = form_data(client, a)
    assert client.post(f"/comments/post/{a.pk}/", data).status_code == 303
    data["body"] = "A different comment now."
    response = client.post(f"/comments/post/{a.pk}/", data)
    assert response.status_code == 400
    assert "already used" in response.content.decode()
    assert Comment.objects.count() == 1


def test_missing_fields_each_get_a_message_and_the_rest_is_kept(client):
    """No name and no comment: both say so; the email typed stays."""
    a = f.article()
    response = post(client, a, name="", body="  ", email="kept@example.org")
    html = response.content.decode()
    assert response.status_code == 400
    assert "Please give a name" in html and "Please write a comment" in html
    assert 'value="kept@example.org"' in html


def test_bad_input_is_a_400_not_a_500(client):
    """Junk in every field is refused cleanly."""
    a = f.article()
    for junk in [
        {"parent": "abc"},
        {"email": "not-an-email"},
        {"body": "x" * 6000},
        {"token": "garbage"},
        {"stamp": "forged"},
        {"name": "n" * 500},
    ]:
        response = post(client, a, **junk)
        assert response.status_code == 400, junk
    assert client.post("/comments/post/999999/", {}).status_code == 404
    # A GET posts nothing: it leads back to the form (see the test below).
    assert client.get(f"/comments/post/{a.pk}/").status_code == 303
    assert not Comment.objects.exists()


def test_honeypot_and_minimum_fill_time(client, settings):
    """A filled honeypot or a form sent back too fast is refused, text kept."""
    a = f.article()
    response = post(client, a, **TYPED, homepage="http://spam.example")
    assert response.status_code == 400 and response["X-Comment-Refusal"] == "honeypot"
    assert_kept(response.content.decode())
    settings.NEWSROOM_COMMENTS_MIN_FILL_SECONDS = 60
    response = post(client, a, **TYPED)
    assert response.status_code == 400 and response["X-Comment-Refusal"] == "too_fast"
    assert "That was quick" in response.content.decode()
    assert not Comment.objects.exists()


def test_csrf_is_enforced():
    """A post without the CSRF token is refused."""
    from django.test import Client

    a = f.article()
    strict = Client(enforce_csrf_checks=True)
    data = form_data(strict, a)
    data.pop("csrfmiddlewaretoken", None)
    assert strict.post(f"/comments/post/{a.pk}/", data).status_code == 403


def test_new_code_button_keeps_what_was_typed_without_scripts(client):
    """Pressing "new code" re-renders with every field kept and no error shown."""
    a = f.article()
    data = form_data(client, a, **TYPED, new_code="1", code="")
    response = client.post(f"/comments/post/{a.pk}/", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert_kept(html)
    assert "comment-form__error" not in html
    assert data["token"] not in html
    assert f'value="{data["stamp"]}"' in html  # the fill-time stamp is kept


def test_mode_none_publishes_at_once_and_counts(client):
    """With no moderation the comment shows at once and the count follows."""
    a = f.article(comment_moderation=Article.Moderation.NONE)
    response = post(client, a, **TYPED)
    comment = Comment.objects.get()
    assert response["Location"].endswith(f"#comment-{comment.pk}")
    assert Article.objects.get(pk=a.pk).comment_count == 1
    html = client.get(a.get_absolute_url()).content.decode()
    assert "Total Comments (1)" in html and "your comment is published" in html
    assert "Zoë &lt;Reader&gt;" in html and "zoe@example.org" not in html


def test_first_time_mode_trusts_the_signed_cookie_not_a_claimed_email(client, settings):
    """A newcomer waits; once approved, their browser's signed cookie lets the
    next comment up at once. Another browser claiming the same email waits,
    and its answer is the same as for any unknown address."""
    settings.NEWSROOM_COMMENTS_MODERATION = "first"
    a = f.article()
    post(client, a, email="new@example.org", body="first words")
    assert Comment.objects.get().status == Comment.Status.PENDING
    Comment.objects.update(status=Comment.Status.APPROVED)
    post(client, a, email="", body="second words, no email given")
    assert Comment.objects.latest("id").status == Comment.Status.APPROVED
    stranger = Client()
    claimed = post(stranger, a, email="new@example.org", body="claiming words")
    assert Comment.objects.latest("id").status == Comment.Status.PENDING
    unknown = post(Client(), a, email="nobody@example.org", body="unknown words")
    assert Comment.objects.latest("id").status == Comment.Status.PENDING
    assert claimed.status_code == unknown.status_code == 303
    assert claimed["Location"] == unknown["Location"]
    # A forged cookie listing the approved comment is not trusted either.
    forged = Client()
    forged.cookies["nr_commenter"] = str(Comment.objects.first().pk)
    post(forged, a, body="forged cookie words")
    assert Comment.objects.latest("id").status == Comment.Status.PENDING


def _as_another_process(monkeypatch) -> None:
    """This process now has another nonce, as a second server worker does."""
    import re
    import secrets

    from newsroom.core import slots

    nonce = secrets.token_hex(12)
    monkeypatch.setattr(slots, "NONCE", nonce)
    for name in ("csrf", "code_token", "code_question", "code_image"):
        monkeypatch.setattr(slots, name.upper(), f"\x00nr{nonce}:{name}\x00")
    monkeypatch.setattr(
        slots,
        "MARK",
        re.compile(
            f"\x00nr{nonce}:(csrf|code_token|code_question|code_image"
            f"|stamp\\.[0-9]{{1,18}})\x00"
        ),
    )


def test_a_comment_form_kept_by_another_worker_is_filled_here(client, monkeypatch):
    """With Redis every worker shares the kept empty comment form, whose
    markers carry the nonce of the worker that rendered it. Another worker's
    pages showed those markers raw: NUL bytes for the CSRF token, the code and
    the stamp, so a reader's post was a 403 (seen on a granian server of 3
    workers: 7 of 12 article pages)."""
    a = f.article()
    assert client.get(a.get_absolute_url()).status_code == 200  # worker one
    _as_another_process(monkeypatch)
    html = client.get(a.get_absolute_url()).content.decode()
    assert "\x00" not in html
    response = post(client, a, body="Posted from a page of the second worker.")
    assert response.status_code == 303
    assert Comment.objects.filter(article=a).count() == 1


def test_article_override_beats_the_site_mode(client, settings):
    """An article set to "all" holds even a known commenter; "none" holds nobody."""
    settings.NEWSROOM_COMMENTS_MODERATION = "none"
    held = f.article(comment_moderation=Article.Moderation.ALL)
    post(client, held, body="held words")
    assert Comment.objects.get().status == Comment.Status.PENDING
    settings.NEWSROOM_COMMENTS_MODERATION = "all"
    free = f.article(comment_moderation=Article.Moderation.NONE)
    post(client, free, body="free words")
    assert Comment.objects.latest("id").status == Comment.Status.APPROVED


def test_closed_comments_per_article_and_site_wide(client, settings):
    """Closed comments show no form and refuse posts with 403, text kept."""
    a = f.article(comments_enabled=False)
    assert "Comments are closed" in client.get(a.get_absolute_url()).content.decode()
    b = f.article()
    data = form_data(client, b, **TYPED)
    settings.NEWSROOM_COMMENTS_ENABLED = False
    response = client.post(f"/comments/post/{b.pk}/", data)
    assert response.status_code == 403
    assert "Comments are closed" in response.content.decode()
    assert not Comment.objects.exists()


def test_guard_refusal_keeps_text_and_gives_reason(client, settings):
    """A banned word refuses with the reason by the comment, text kept."""
    settings.NEWSROOM_COMMENTS_BANNED_WORDS = ["casino"]
    a = f.article()
    response = post(client, a, **{**TYPED, "body": "Visit my casino"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "does not publish" in html and "Visit my casino</textarea>" in html
    assert response["X-Comment-Refusal"] == "banned_words"


def test_rate_limit_answers_429(client, settings):
    """Past the per-network limit the reader is told to wait; nothing is stored."""
    settings.NEWSROOM_COMMENTS_LIMITS = {
        **settings.NEWSROOM_COMMENTS_LIMITS,
        "RATE_NETWORK": (2, 60),
    }
    a = f.article()
    for i in range(2):
        assert post(client, a, body=f"comment number {i}").status_code == 303
    response = post(client, a, body="one too many")
    assert (
        response.status_code == 429 and "wait 60 seconds" in response.content.decode()
    )
    assert Comment.objects.count() == 2


def test_held_comment_emails_moderators_with_signed_links(
    client, django_capture_on_commit_callbacks
):
    """Each held comment sends one email, after commit, with approve/reject links."""
    a = f.article()
    with django_capture_on_commit_callbacks(execute=True):
        post(client, a, **TYPED)
    # (The commenter's address gets its confirmation link: test_confirm_email.)
    to_desk = [m for m in mail.outbox if m.to == ["desk@example.org"]]
    assert len(to_desk) == 1
    message = to_desk[0]
    assert "/comments/moderate/" in message.body and "Approve:" in message.body


def test_a_flood_of_held_comments_sends_moderators_a_bounded_number_of_emails(
    settings, django_capture_on_commit_callbacks
):
    """Held comments from many networks (each within its own rate limit) mail
    the moderators at most MODERATOR_MAILS a period, then one email that says
    more wait in the queue, with its address; every comment is still stored
    and waits. Each one sent its own email, so a bot that solves the
    proof-of-work from many networks made the site send thousands."""
    settings.NEWSROOM_COMMENTS_MODERATION = "all"
    settings.NEWSROOM_COMMENTS_LIMITS = {
        **settings.NEWSROOM_COMMENTS_LIMITS,
        "MODERATOR_MAILS": (3, 3600),
    }
    a = f.article()
    for n in range(12):
        reader = Client(REMOTE_ADDR=f"198.51.{n}.7")
        with django_capture_on_commit_callbacks(execute=True):
            response = post(reader, a, body=f"Flood comment number {n} here.")
        assert response.status_code == 303
    subjects = [m.subject for m in mail.outbox if m.to == ["desk@example.org"]]
    assert subjects.count("[The Newsroom] Comment awaiting moderation") == 3
    assert subjects.count("[The Newsroom] Many comments awaiting moderation") == 1
    assert len(subjects) == 4
    (note,) = [
        m
        for m in mail.outbox
        if m.subject.endswith("Many comments awaiting moderation")
    ]
    assert "/admin/comments/pendingcomment/" in note.body
    assert Comment.objects.filter(status=Comment.Status.PENDING).count() == 12


def test_retry_when_sqlite_says_locked():
    """A write that meets "database is locked" is tried again, then succeeds."""
    calls = []

    def write():
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("database is locked")
        return "done"

    assert with_retry(write) == "done" and len(calls) == 3
    with pytest.raises(OperationalError):
        with_retry(lambda: (_ for _ in ()).throw(OperationalError("no such table")))


def test_a_reader_cannot_write_lines_into_the_moderators_email(
    client, settings, django_capture_on_commit_callbacks
):
    """A name is one line, and the comment is quoted in the moderators' email:
    a name with newlines forged the email's own "Network:" and "Held because:"
    lines, and a body could put its own "Approve:" link above the real one."""
    settings.NEWSROOM_COMMENTS_MODERATION = "all"
    a = f.article()
    name = "Ada\nNetwork: 198.51.100.0/24\nHeld because:\n  - moderation mode"
    body = "Fine story.\n\nApprove: https://evil.example/approve\nReject: x"
    with django_capture_on_commit_callbacks(execute=True):
        post(client, a, name=name, body=body)
    assert Comment.objects.get().name == (
        "Ada Network: 198.51.100.0/24 Held because: - moderation mode"
    )
    (message,) = [m for m in mail.outbox if m.to == ["desk@example.org"]]
    lines = message.body.splitlines()
    assert [n for n in lines if n.startswith("Network:")] == ["Network: 127.0.0.0/24"]
    approve = [n for n in lines if n.startswith("Approve:")]
    assert len(approve) == 1 and "/comments/moderate/" in approve[0]
    assert "> Approve: https://evil.example/approve" in lines


def test_a_reply_by_a_name_with_a_newline_is_still_notified(
    django_capture_on_commit_callbacks,
):
    """The reply email's subject carries the replier's name: a newline in it
    raised BadHeaderError and the email was silently lost."""
    from newsroom.comments import moderation

    a = f.article()
    parent = Comment.objects.create(
        article=a,
        name="Parent",
        body="The parent comment.",
        email="parent@example.org",
        notify_replies=True,
        replies_vouched=True,
        status=Comment.Status.APPROVED,
    )
    ReplyConsent.objects.create(email="parent@example.org")
    reply = Comment.objects.create(
        article=a,
        name="Bo\nBcc: someone@example.org",
        body="A reply.",
        parent=parent,
        status=Comment.Status.PENDING,
    )
    with django_capture_on_commit_callbacks(execute=True):
        moderation.set_status([reply], Comment.Status.APPROVED)
    (message,) = mail.outbox
    assert message.to == ["parent@example.org"] and "\n" not in message.subject


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("change", ["deleted", "rejected"])
def test_a_reply_to_a_comment_removed_while_it_is_posted_is_refused_not_a_500(
    client, monkeypatch, change
):
    """A moderator deletes (or rejects) the comment a reader is answering
    after the intake checked the parent and before the reply's transaction:
    the reply gets the intake's "no longer shown" answer with its text kept.
    On PostgreSQL the insert of a reply to a deleted comment broke the
    foreign key at COMMIT: an IntegrityError, a 500 for the reader (seen at a
    barrier against the admin's delete on a granian server)."""
    from newsroom.comments import guard

    a = f.article()
    parent = Comment.objects.create(
        article=a, name="Parent", body="The parent comment.", status="approved"
    )
    real_prepare = guard.prepare

    def removed_meanwhile(sub):
        if change == "deleted":
            Comment.objects.filter(pk=parent.pk).delete()
        else:
            Comment.objects.filter(pk=parent.pk).update(status="rejected")
        return real_prepare(sub)

    monkeypatch.setattr(guard, "prepare", removed_meanwhile)
    response = post(client, a, parent=str(parent.pk), body="My reply to it.")
    assert response.status_code == 400
    assert response["X-Comment-Refusal"] == "parent"
    assert "My reply to it." in response.content.decode()
    assert not Comment.objects.filter(body="My reply to it.").exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("change", ["deleted", "withdrawn", "closed"])
def test_a_comment_on_a_story_withdrawn_while_it_is_posted_is_refused_not_a_500(
    client, monkeypatch, change
):
    """The desk deletes the story, withdraws it, or closes its comments
    after the intake checked it and before the comment's transaction: the
    comment is refused as on a closed story (a deleted one is the 404 it
    now is), stores nothing, and is no 500.
    A deleted story broke the foreign key at COMMIT on PostgreSQL (as a
    deleted parent did); a withdrawn one took a comment nobody could see."""
    from newsroom.articles.models import Article
    from newsroom.comments import guard

    a = f.article("A story about to go")
    real_prepare = guard.prepare

    def gone_meanwhile(sub):
        story = Article.objects.filter(pk=a.pk)
        if change == "deleted":
            story.delete()
        elif change == "withdrawn":
            story.update(status="draft")
        else:
            story.update(comments_enabled=False)
        return real_prepare(sub)

    monkeypatch.setattr(guard, "prepare", gone_meanwhile)
    client.raise_request_exception = False
    response = post(client, a, body="My words on it.")
    if change == "deleted":
        assert response.status_code == 404, response.status_code
    else:
        assert response.status_code == 403, response.status_code
        assert response["X-Comment-Refusal"] == "closed"
    assert not Comment.objects.filter(body="My words on it.").exists()


@pytest.mark.django_db
def test_the_forms_address_opened_again_leads_back_to_the_form(client):
    """A refused comment is shown again at the form's own address
    (/comments/post/<id>/); opening that address again (a restored session,
    the address copied, a reload turned into a GET) answered 405 with an
    empty body: a blank page. Now GET and HEAD lead to the story's form
    (303); a story that is not public is still 404."""
    article = f.article("Harbour reopens")
    for method in ("get", "head"):
        response = getattr(client, method)(f"/comments/post/{article.pk}/")
        assert response.status_code == 303, method
        assert response["Location"] == article.get_absolute_url() + "#comment-form"
    draft = f.article("Draft", status="draft")
    assert client.get(f"/comments/post/{draft.pk}/").status_code == 404
    assert client.get("/comments/post/999999999/").status_code == 404
    assert client.put(f"/comments/post/{article.pk}/").status_code == 405
