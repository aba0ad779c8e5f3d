"""Moderation links, the admin queue, counts, threads, reports, notifications."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.auth.models import User
from django.core import mail, signing
from django.core.management import call_command
from django.test import Client

from newsroom.articles.models import Article
from newsroom.articles.tests import factories as f
from newsroom.comments import moderation
from newsroom.comments.models import Ban, Comment, ReplyConsent, UsedCode
from newsroom.comments.threads import threaded

pytestmark = pytest.mark.django_db


def make(article, name="Bo", status=Comment.Status.APPROVED, **kw) -> Comment:
    kw.setdefault("body", f"words by {name}")
    c = Comment.objects.create(article=article, name=name, status=status, **kw)
    moderation.recount([article.pk])
    return c


def count(article) -> int:
    return Article.objects.get(pk=article.pk).comment_count


def test_moderation_link_get_only_confirms_and_post_changes(client):
    """An emailed approve link shows a confirm page; the POST approves and counts."""
    a = f.article()
    c = make(a, status=Comment.Status.PENDING)
    url = f"/comments/moderate/{moderation.moderation_token(c, 'approve')}/"
    page = client.get(url)
    assert page.status_code == 200 and b"Approve this comment?" in page.content
    c.refresh_from_db()
    assert c.status == Comment.Status.PENDING and count(a) == 0
    done = client.post(url)
    assert done.status_code == 200 and b"approved" in done.content
    assert Comment.objects.get(pk=c.pk).status == Comment.Status.APPROVED
    assert count(a) == 1
    c.refresh_from_db()  # a link sent now, for the comment as it is now
    reject = f"/comments/moderate/{moderation.moderation_token(c, 'reject')}/"
    client.post(reject)
    assert count(a) == 0


def test_a_replayed_moderation_link_does_nothing(client):
    """Approve, then reject: replaying the approve link leaves it rejected."""
    a = f.article()
    c = make(a, status=Comment.Status.PENDING)
    approve = f"/comments/moderate/{moderation.moderation_token(c, 'approve')}/"
    reject = f"/comments/moderate/{moderation.moderation_token(c, 'reject')}/"
    assert client.post(approve).status_code == 200
    assert Comment.objects.get(pk=c.pk).status == Comment.Status.APPROVED
    # The reject link was sent with the same email: the state has changed since.
    again = client.post(reject)
    assert again.status_code == 409 and b"already" in again.content
    assert Comment.objects.get(pk=c.pk).status == Comment.Status.APPROVED
    moderation.set_status([c], Comment.Status.REJECTED)  # e.g. in the admin
    replay = client.post(approve)
    assert replay.status_code == 409
    assert Comment.objects.get(pk=c.pk).status == Comment.Status.REJECTED
    assert count(a) == 0
    page = client.get(approve)
    assert page.status_code == 409 and b'method="post"' not in page.content


def test_forged_or_expired_moderation_links_are_refused(client, settings):
    """A tampered or outdated link answers 400 and changes nothing."""
    a = f.article()
    c = make(a, status=Comment.Status.PENDING)
    token = moderation.moderation_token(c, "approve")
    assert client.post(f"/comments/moderate/{token[:-3]}abc/").status_code == 400
    forged = signing.dumps({"c": c.pk, "a": "delete"}, salt=moderation.MODERATE_SALT)
    assert client.post(f"/comments/moderate/{forged}/").status_code == 400
    settings.NEWSROOM_COMMENTS_LIMITS = {
        **settings.NEWSROOM_COMMENTS_LIMITS,
        "LINK_MAX_AGE_DAYS": -1,
    }
    assert client.post(f"/comments/moderate/{token}/").status_code == 400
    assert Comment.objects.get(pk=c.pk).status == Comment.Status.PENDING


def test_counts_follow_every_status_change():
    """Approve, spam, remove: the article's count is the approved comments."""
    a = f.article()
    c1, c2 = make(a, status=Comment.Status.PENDING), make(a, "Cy")
    assert count(a) == 1
    assert moderation.set_status([c1], Comment.Status.APPROVED) == 1
    assert count(a) == 2
    moderation.set_status([c1.pk, c2.pk], Comment.Status.SPAM)
    assert count(a) == 0
    assert moderation.set_status([c1], Comment.Status.SPAM) == 0  # no change


def test_admin_queue_bulk_approve_and_ban(client):
    """Staff approve from the queue in bulk and ban a network; reasons are shown."""
    client.force_login(User.objects.create_superuser("mod", "mod@example.org", "pw"))
    a = f.article()
    held = [
        make(
            a,
            f"R{i}",
            status=Comment.Status.PENDING,
            network="203.0.113.0/24",
            reasons=["links: 3 links (more than 2)"],
        )
        for i in range(3)
    ]
    queue = client.get("/admin/comments/pendingcomment/")
    assert queue.status_code == 200 and b"3 links (more than 2)" in queue.content
    ids = [str(c.pk) for c in held[:2]]
    client.post(
        "/admin/comments/pendingcomment/",
        {"action": "mark_approved", "_selected_action": ids},
    )
    assert count(a) == 2
    client.post(
        "/admin/comments/pendingcomment/",
        {"action": "ban_networks", "_selected_action": [str(held[2].pk)]},
    )
    assert Ban.objects.filter(kind="network", value="203.0.113.0/24").exists()
    assert client.get("/admin/comments/reportedcomment/").status_code == 200
    assert client.get("/admin/comments/ban/").status_code == 200


def test_thread_indents_replies_and_caps_depth():
    """Replies follow their parent, indented, never deeper than MAX_DEPTH."""
    a = f.article()
    root = make(a, "Root")
    chain = [root]
    for i in range(6):
        chain.append(make(a, f"D{i + 1}", parent=chain[-1]))
    other = make(a, "Other")
    rows = threaded(list(Comment.objects.approved()), newest_first=False, max_depth=4)
    assert [c.name for c, _ in rows] == [c.name for c in chain] + ["Other"]
    assert [d for _, d in rows] == [0, 1, 2, 3, 4, 4, 4, 0]
    newest = threaded(list(Comment.objects.approved()), newest_first=True, max_depth=4)
    assert newest[0][0] == other and newest[1][0] == root


def test_article_page_shows_thread_order_switch_and_reply_form(client):
    """The page lists approved comments only, replies under parents, both orders."""
    a = f.article()
    first = make(a, "First")
    reply = make(a, "Replier", parent=first)
    make(a, "Second")
    make(a, "Hidden", status=Comment.Status.PENDING)
    html = client.get(a.get_absolute_url()).content.decode()
    assert "Total Comments (3)" in html and "Hidden" not in html
    assert html.index("First") < html.index("Replier") < html.index("Second")
    assert re.search(rf'id="comment-{reply.pk}" class="comment comment--depth-1"', html)
    newest = client.get(a.get_absolute_url() + "?comments=newest").content.decode()
    assert newest.index("Second") < newest.index("First") < newest.index("Replier")
    form = client.get(f"{a.get_absolute_url()}?reply={first.pk}").content.decode()
    assert f'name="parent" value="{first.pk}"' in form and "Replying to" in form


def test_reply_posts_under_its_parent(client):
    """A reply to an approved comment is stored with that parent."""
    from newsroom.comments.tests.helpers import post

    a = f.article(comment_moderation=Article.Moderation.NONE)
    parent = make(a, "Parent")
    assert post(client, a, parent=str(parent.pk)).status_code == 303
    assert Comment.objects.latest("id").parent == parent
    elsewhere = make(f.article(), "Elsewhere")
    response = post(client, a, parent=str(elsewhere.pk), body="other words")
    assert response.status_code == 400 and 'name="parent" value=""' in (
        response.content.decode()
    )


def test_reports_count_once_per_visitor_and_a_network_adds_at_most_three(client):
    """20 cookie-less reports with one user agent count once; 20 with 20 user
    agents from one network count 3 (the cap); a bot's counts nothing."""
    a = f.article()
    c = make(a, status=Comment.Status.APPROVED)
    url = f"/comments/{c.pk}/report/"
    ua = "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"
    for _ in range(20):
        assert Client().post(url, HTTP_USER_AGENT=ua).status_code == 303
    assert Comment.objects.get(pk=c.pk).report_count == 1
    for n in range(20):
        Client().post(url, HTTP_USER_AGENT=f"{ua} build/{n}")
    assert Comment.objects.get(pk=c.pk).report_count == 3
    bot = Client(REMOTE_ADDR="198.51.100.4")
    bot.post(url, HTTP_USER_AGENT="Googlebot/2.1 (+http://www.google.com/bot.html)")
    assert Comment.objects.get(pk=c.pk).report_count == 3
    Client(REMOTE_ADDR="198.51.100.4").post(url, HTTP_USER_AGENT=ua)
    assert Comment.objects.get(pk=c.pk).report_count == 4


def test_a_network_reporting_across_a_window_turn_adds_no_more_than_its_cap(
    client, settings
):
    """The cap on one network's reports of a comment holds over any period,
    not per fixed window: reports sent just before and just after a window's
    turn (midnight, for the default day) add the cap once, not twice."""
    settings.NEWSROOM_COMMENTS_LIMITS = {
        **settings.NEWSROOM_COMMENTS_LIMITS,
        "REPORTS_PER_NETWORK": (2, 2),
    }
    a = f.article()
    c = make(a, status=Comment.Status.APPROVED)
    url = f"/comments/{c.pk}/report/"
    ua = "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"
    while not 1.4 <= time.time() % 2 < 1.5:  # the last half second of a window
        time.sleep(0.01)
    for n in range(2):
        assert Client().post(url, HTTP_USER_AGENT=f"{ua} a/{n}").status_code == 303
    time.sleep(2 - time.time() % 2 + 0.05)  # just past the window's turn
    for n in range(2):
        assert Client().post(url, HTTP_USER_AGENT=f"{ua} b/{n}").status_code == 303
    assert Comment.objects.get(pk=c.pk).report_count == 2


def test_report_counts_once_per_browser_and_joins_the_queue():
    """Reporting is a POST; the same browser reporting twice counts once."""
    client = Client(HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0")
    a = f.article()
    c = make(a)
    assert client.get(f"/comments/{c.pk}/report/").status_code == 405
    assert client.post(f"/comments/{c.pk}/report/").status_code == 303
    client.post(f"/comments/{c.pk}/report/")
    assert Comment.objects.get(pk=c.pk).report_count == 1
    assert list(Comment.objects.reported()) == [c]


def test_a_report_asked_as_json_is_thanked_in_json_and_counts_the_same():
    """The page's script asks for JSON: the thank-you comes back as JSON (no
    message left for the next page), the report counts once per browser as
    the form's does, and the page's own answer is unchanged."""
    client = Client(HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0")
    a = f.article()
    c = make(a)
    url = f"/comments/{c.pk}/report/"
    for _ in range(2):
        response = client.post(url, HTTP_ACCEPT="application/json")
        assert response.status_code == 200
        assert response.json() == {
            "message": "Thank you: a moderator will look at this comment."
        }
    assert Comment.objects.get(pk=c.pk).report_count == 1
    assert "messages" not in response.cookies
    page = client.get(a.get_absolute_url()).content.decode()
    assert "a moderator will look" not in page
    assert client.post(url).status_code == 303


def test_reply_notification_only_after_approval_once_with_unsubscribe(
    client, django_capture_on_commit_callbacks
):
    """The parent hears of a reply when it is approved, once, and can opt out;
    opting out takes back the address's yes to reply emails."""
    a = f.article()
    parent = make(
        a,
        "Parent",
        email="parent@example.org",
        notify_replies=True,
        replies_vouched=True,
    )
    ReplyConsent.objects.create(email="parent@example.org")
    reply = make(a, "Child", parent=parent, status=Comment.Status.PENDING)
    assert moderation.notify_replies([reply.pk]) == 0  # not approved yet
    with django_capture_on_commit_callbacks(execute=True):
        moderation.set_status([reply], Comment.Status.APPROVED)
    assert [m.to for m in mail.outbox] == [["parent@example.org"]]
    message = mail.outbox[0]
    assert "List-Unsubscribe" in message.extra_headers
    with django_capture_on_commit_callbacks(execute=True):
        moderation.set_status([reply], Comment.Status.PENDING)
        moderation.set_status([reply], Comment.Status.APPROVED)
    assert len(mail.outbox) == 1  # never twice for one reply
    url = re.search(r"(/comments/unsubscribe/[^\s]+/)", message.body).group(1)
    assert client.get(url).status_code == 200
    assert Comment.objects.get(pk=parent.pk).notify_replies is True
    assert client.post(url).status_code == 200
    assert Comment.objects.get(pk=parent.pk).notify_replies is False
    assert not ReplyConsent.objects.exists()


def test_a_flood_of_replies_mails_their_parent_a_bounded_number_of_emails(
    settings, django_capture_on_commit_callbacks
):
    """Replies under one comment (a flood from many networks, each within its
    own rate limit) mail its author at most REPLY_MAILS a period; another
    address has its own share, and every reply is shown. Each reply was
    mailed, so a bot could fill a subscriber's inbox through the site."""
    settings.NEWSROOM_COMMENTS_LIMITS = {
        **settings.NEWSROOM_COMMENTS_LIMITS,
        "REPLY_MAILS": (3, 3600),
    }
    a = f.article()
    parent = make(
        a,
        "Parent",
        email="parent@example.org",
        notify_replies=True,
        replies_vouched=True,
    )
    other = make(
        a, "Other", email="other@example.org", notify_replies=True, replies_vouched=True
    )
    for address in ("parent@example.org", "other@example.org"):
        ReplyConsent.objects.create(email=address)
    pending = Comment.Status.PENDING
    replies = [make(a, f"R{n}", parent=parent, status=pending) for n in range(6)]
    replies.append(make(a, "To other", parent=other, status=pending))
    with django_capture_on_commit_callbacks(execute=True):
        moderation.set_status(replies, Comment.Status.APPROVED)
    sent_to = [m.to for m in mail.outbox]
    assert sent_to.count(["parent@example.org"]) == 3
    assert sent_to.count(["other@example.org"]) == 1
    assert count(a) == 9


def test_privacy_export_and_delete_by_email(capsys):
    """The command exports everything about one email, then deletes it."""
    a = f.article()
    mine = make(a, "Me", email="me@example.org", network="192.0.2.0/24")
    theirs = make(a, "Them", parent=mine)
    Ban.objects.create(kind="email", value="me@example.org")
    ReplyConsent.objects.create(email="me@example.org")
    call_command("comment_privacy", "export", "ME@example.org")
    out = capsys.readouterr().out
    assert '"email": "me@example.org"' in out and "192.0.2.0/24" in out
    assert '"reply_emails_confirmed_at": "20' in out
    call_command("comment_privacy", "delete", "me@example.org")
    assert not Comment.objects.filter(email="me@example.org").exists()
    assert not Ban.objects.exists() and not ReplyConsent.objects.exists()
    theirs.refresh_from_db()
    assert theirs.parent is None and count(a) == 1


def test_spent_codes_are_purged_once_expired():
    """Used-code rows older than a code's lifetime are deleted."""
    from datetime import timedelta

    from django.utils import timezone

    from newsroom.comments.confirmation import get_backend

    UsedCode.objects.create(
        challenge_id="old", used_at=timezone.now() - timedelta(hours=1)
    )
    UsedCode.objects.create(challenge_id="new")
    assert get_backend().purge() == 1
    assert list(UsedCode.objects.values_list("challenge_id", flat=True)) == ["new"]


def test_deleting_approved_comments_in_the_admin_recounts(client):
    """A moderator deletes an approved comment (its delete page, or the list's
    "Delete selected"): Total Comments drops with it. It stayed at the old
    number, with no comment under it, until another change recounted."""
    client.force_login(User.objects.create_superuser("mod", "mod@example.org", "pw"))
    a = f.article()
    one, two, three = (make(a, name=n) for n in ("One", "Two", "Three"))
    assert count(a) == 3
    url = f"/admin/comments/comment/{one.pk}/delete/"
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert count(a) == 2
    client.post(
        "/admin/comments/comment/",
        {"action": "delete_selected", "_selected_action": [two.pk], "post": "yes"},
    )
    assert not Comment.objects.filter(pk=two.pk).exists()
    assert count(a) == 1


def test_admin_status_edit_and_data_export_keep_things_right(client):
    """A status changed by hand in the admin recounts; the export is JSON."""
    client.force_login(User.objects.create_superuser("mod", "mod@example.org", "pw"))
    a = f.article()
    c = make(a, status=Comment.Status.PENDING, email="x@example.org")
    form = client.get(f"/admin/comments/comment/{c.pk}/change/")
    assert form.status_code == 200
    response = client.post(
        f"/admin/comments/comment/{c.pk}/change/",
        {
            "article": a.pk,
            "parent": "",
            "name": c.name,
            "email": c.email,
            "body": c.body,
            "status": "approved",
            "report_count": 0,
            "created_at_0": c.created_at.strftime("%Y-%m-%d"),
            "created_at_1": c.created_at.strftime("%H:%M:%S"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert count(a) == 1
    export = client.post(
        "/admin/comments/comment/",
        {"action": "export_data", "_selected_action": [str(c.pk)]},
    )
    assert export["Content-Type"] == "application/json"
    assert b'"x@example.org"' in export.content


@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_on_one_article_count_every_comment():
    """Twelve moderators approve twelve comments of one article at once (a
    barrier): Total Comments says 12. On PostgreSQL each recount's UPDATE
    waited for the other's row lock and then wrote a count from its own,
    older snapshot: 12 approved comments showed as 2."""
    import threading

    from django.db import connection

    a = f.article()
    pending = [
        make(a, name=f"Reader {n}", status=Comment.Status.PENDING) for n in range(12)
    ]
    barrier = threading.Barrier(len(pending))

    def approve(c: Comment) -> None:
        try:
            barrier.wait()
            moderation.set_status([c], Comment.Status.APPROVED)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(c,)) for c in pending]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert a.comments.filter(status=Comment.Status.APPROVED).count() == 12
    assert count(a) == 12


@pytest.mark.parametrize("action", ["export", "delete"])
def test_comment_privacy_refuses_an_address_that_is_not_utf8(action):
    """An address typed in a terminal of another encoding (not UTF-8) is
    refused in one line; it ended in a UnicodeEncodeError traceback."""
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="UTF-8"):
        call_command("comment_privacy", action, "reader\udcff@example.com")
